/**
 * `npm run aggregate -- <orderId> [--as-of-version N | --as-of-time <ISO>] [--no-snapshots] [--events] [--target local|aws]`
 *
 * Prints an order aggregate's state, rebuilt from its events (time travel to
 * a version or an instant), and optionally its events with their versions.
 */
import { type EventStoreTables, loadAggregate, readStream, storedEnvelope } from '../lambdas/event-store/event-store';
import { orderAggregate } from '../lambdas/event-store/order-aggregate';
import { command, HELP_OPTION, isMain, parseCommandLine, usageError } from './lib/cli';
import { connectTarget, parseTarget, TARGET_OPTIONS, TARGET_USAGE } from './lib/target';

export const CLI = command({
  name: 'aggregate',
  helpCommand: 'npm run aggregate -- --help',
  usage: `usage: npm run aggregate -- <orderId> [--as-of-version N | --as-of-time <ISO>] [--no-snapshots] [--events]
                                       [--target local|aws] [--stack NAME]

Prints an order aggregate's state, rebuilt from its events in the event store, optionally as it
was at a version or an instant (time travel), and optionally its events with their versions.
Exit code 0 when the order has events, 1 when it has none (at that point), 2 for bad arguments.

options
  <orderId>            the order (required)
  --as-of-version N    the state after event N (whole number ≥ 1; default the latest)
  --as-of-time TIME    the state at an ISO 8601 instant (default now); not with --as-of-version
  --no-snapshots       fold every event from version 1 (default: start from the newest snapshot)
  --events             also list the events up to that version
${TARGET_USAGE}
  -h, --help           this text

what it writes
  nothing: it only reads the event store and snapshot tables`,
  config: {
    allowPositionals: true,
    options: {
      'as-of-version': { type: 'string' },
      'as-of-time': { type: 'string' },
      'no-snapshots': { type: 'boolean', default: false },
      events: { type: 'boolean', default: false },
      ...TARGET_OPTIONS,
      help: HELP_OPTION,
    },
  },
});

async function main() {
  const args = parseCommandLine(CLI);
  if (!args) return;
  const { values, positionals } = args;
  const [orderId] = positionals;
  if (!orderId || positionals.length > 1) {
    usageError(CLI, 'give exactly one order id: npm run aggregate -- <orderId>');
    return;
  }
  if (values['as-of-version'] !== undefined && values['as-of-time'] !== undefined) {
    throw new Error('give --as-of-version or --as-of-time, not both');
  }
  const asOfVersion = values['as-of-version'] === undefined ? undefined : Number(values['as-of-version']);
  if (asOfVersion !== undefined && (!Number.isInteger(asOfVersion) || asOfVersion < 1)) {
    throw new Error(`--as-of-version must be a whole number ≥ 1, got "${values['as-of-version']}"`);
  }
  const asOfTime = values['as-of-time'] === undefined ? undefined : new Date(values['as-of-time']);
  if (asOfTime && Number.isNaN(asOfTime.getTime())) {
    throw new Error(`--as-of-time must be an ISO 8601 time, got "${values['as-of-time']}"`);
  }

  const { sys, where } = await connectTarget(parseTarget(values.target), values.stack);
  const tables: EventStoreTables = {
    eventTable: sys.outputs.EventStoreTableName,
    snapshotTable: sys.outputs.SnapshotTableName,
  };
  const loaded = await loadAggregate(sys.ddb, tables, orderAggregate, orderId, {
    asOfVersion,
    asOfTime,
    useSnapshots: !values['no-snapshots'],
  });
  if (loaded.version === 0) {
    console.log(
      `aggregate: order ${orderId} has no events${asOfVersion || asOfTime ? ' at that point' : ''} (${where})`,
    );
    process.exitCode = 1;
    return;
  }
  console.log(
    `aggregate: order ${orderId} at version ${loaded.version}` +
      (loaded.snapshotVersion
        ? ` (snapshot ${loaded.snapshotVersion} + ${loaded.eventsRead} events)`
        : ` (${loaded.eventsRead} events)`) +
      ` on the ${where}`,
  );
  console.log(JSON.stringify(loaded.state, null, 2));
  if (values.events) {
    for await (const page of readStream(sys.ddb, tables.eventTable, orderId, { toVersion: loaded.version })) {
      for (const item of page) {
        const envelope = storedEnvelope(item);
        console.log(
          `  v${item.version}  ${envelope.time}  ${envelope.type} (schema v${envelope.version})  ${envelope.id}`,
        );
      }
    }
  }
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(`aggregate: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
