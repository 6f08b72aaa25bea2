import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type BatchWriteCommandInput, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../../../lambdas/event-store/event-store';
import { rebuildReadModels } from '../../../lambdas/projector/rebuild';
import type { System } from '../order-system';

export interface RebuildOptions {
  /** Parallel scan segments over the event store. */
  segments?: number;
  /** Keep the rebuilt tables (default: drop them after the check). */
  keep?: boolean;
  /** How long to wait for the live projector to catch up before calling a difference a mismatch. */
  settleMs?: number;
  log?: (line: string) => void;
}

export interface TableComparison {
  live: string;
  rebuilt: string;
  items: number;
  equal: number;
  different: string[];
  missingFromLive: string[];
  extraInLive: string[];
}

export interface RebuildReport {
  events: number;
  aggregates: number;
  customers: number;
  problems: string[];
  scanSeconds: number;
  writeSeconds: number;
  totalSeconds: number;
  /** Events folded and written per second of scan + fold + write. */
  eventsPerSecond: number;
  comparisons: TableComparison[];
  equal: boolean;
  keptTables: string[];
}

/**
 * Replays the whole event store into fresh read-model tables (copies of the
 * live tables' key schema and indexes, named `<live>-rebuild-<time>`), then
 * checks that each rebuilt table equals its live twin item by item.
 *
 * The rebuild scans the event store at one moment while the live projector
 * keeps going, so a difference is re-checked until `settleMs` has passed
 * before it counts as a mismatch.
 */
export async function rebuildAndCompare(sys: System, options: RebuildOptions = {}): Promise<RebuildReport> {
  const log = options.log ?? console.log;
  const started = Date.now();
  const events = await scanEventStore(sys, options.segments ?? 4, log);
  const scanSeconds = (Date.now() - started) / 1000;

  const models = rebuildReadModels(events);
  for (const problem of models.problems) log(`rebuild: event store problem: ${problem}`);
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const targets = [
    { live: sys.outputs.ReadModelTableName, items: [...models.summaries.values()], key: 'orderId' },
    { live: sys.outputs.CustomerStatsTableName, items: [...models.customers.values()], key: 'customerId' },
  ];
  const writeStarted = Date.now();
  const rebuilt: string[] = [];
  try {
    for (const target of targets) {
      const name = await createTwin(sys, target.live, `${target.live}-rebuild-${stamp}`, log);
      rebuilt.push(name);
      await writeAll(sys, name, target.items as unknown as Record<string, unknown>[], log);
    }
    const writeSeconds = (Date.now() - writeStarted) / 1000;
    const totalSeconds = (Date.now() - started) / 1000;
    log(`rebuild: ${events.length} events → ${models.summaries.size} orders, ${models.customers.size} customers`);

    const comparisons: TableComparison[] = [];
    for (const [i, target] of targets.entries()) {
      comparisons.push(await compareSettled(sys, target.live, rebuilt[i], target.key, options.settleMs ?? 30_000, log));
    }
    const equal =
      models.problems.length === 0 &&
      comparisons.every((c) => c.different.length + c.missingFromLive.length + c.extraInLive.length === 0);
    return {
      events: events.length,
      aggregates: models.summaries.size,
      customers: models.customers.size,
      problems: models.problems,
      scanSeconds,
      writeSeconds,
      totalSeconds,
      eventsPerSecond: events.length / Math.max(totalSeconds, 0.001),
      comparisons,
      equal,
      keptTables: options.keep ? rebuilt : [],
    };
  } finally {
    if (!options.keep) {
      for (const name of rebuilt) await sys.ddb.send(new DeleteTableCommand({ TableName: name }));
      if (rebuilt.length) log(`rebuild: dropped ${rebuilt.join(', ')} (--keep keeps them)`);
    }
  }
}

/** Every stored event, by a consistent parallel scan, with progress. */
async function scanEventStore(sys: System, segments: number, log: (line: string) => void): Promise<StoredEvent[]> {
  const table = sys.outputs.EventStoreTableName;
  const events: StoredEvent[] = [];
  let lastReport = 0;
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await sys.ddb.send(
          new ScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: segments,
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        events.push(...((page.Items ?? []) as StoredEvent[]));
        startKey = page.LastEvaluatedKey;
        if (Date.now() - lastReport > 1000) {
          lastReport = Date.now();
          log(`rebuild: scanned ${events.length} events …`);
        }
      } while (startKey);
    }),
  );
  log(`rebuild: scanned ${events.length} events from ${table} (${segments} segments)`);
  return events;
}

/** Creates an empty table with the live table's keys and global secondary indexes, on demand. */
async function createTwin(sys: System, live: string, name: string, log: (line: string) => void): Promise<string> {
  const { Table } = await sys.ddb.send(new DescribeTableCommand({ TableName: live }));
  if (!Table?.KeySchema || !Table.AttributeDefinitions) throw new Error(`Cannot describe ${live}`);
  const input: CreateTableCommandInput = {
    TableName: name,
    KeySchema: Table.KeySchema,
    AttributeDefinitions: Table.AttributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
    SSESpecification: { Enabled: true },
    ...(Table.GlobalSecondaryIndexes?.length
      ? {
          GlobalSecondaryIndexes: Table.GlobalSecondaryIndexes.map((gsi) => ({
            IndexName: gsi.IndexName,
            KeySchema: gsi.KeySchema,
            Projection: gsi.Projection,
          })),
        }
      : {}),
  };
  await sys.ddb.send(new CreateTableCommand(input));
  await waitUntilTableExists({ client: sys.ddb, maxWaitTime: 300, minDelay: 1 }, { TableName: name });
  log(`rebuild: created ${name}`);
  return name;
}

/** BatchWriteItem in chunks of 25, four at a time, retrying unprocessed items with backoff. */
async function writeAll(sys: System, table: string, items: Record<string, unknown>[], log: (line: string) => void) {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let written = 0;
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      let request: BatchWriteCommandInput['RequestItems'] = {
        [table]: chunk.map((Item) => ({ PutRequest: { Item } })),
      };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
        if (attempt > 10)
          throw new Error(`rebuild: ${table} kept refusing writes (unprocessed items after 10 retries)`);
        request = (await sys.ddb.send(new BatchWriteCommand({ RequestItems: request }))).UnprocessedItems;
      }
      written += chunk.length;
      if (written % 500 < 25 || written === items.length)
        log(`rebuild: wrote ${written}/${items.length} items to ${table}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function scanAll(sys: System, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await sys.ddb.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Compares two tables item by item (attribute order ignored), by key attribute `key`. */
export function compareItems(
  live: Record<string, unknown>[],
  rebuilt: Record<string, unknown>[],
  key: string,
): Pick<TableComparison, 'items' | 'equal' | 'different' | 'missingFromLive' | 'extraInLive'> {
  const liveByKey = new Map(live.map((item) => [String(item[key]), canonical(item)]));
  const rebuiltKeys = new Set<string>();
  const result = {
    items: rebuilt.length,
    equal: 0,
    different: [] as string[],
    missingFromLive: [] as string[],
    extraInLive: [] as string[],
  };
  for (const item of rebuilt) {
    const id = String(item[key]);
    rebuiltKeys.add(id);
    const twin = liveByKey.get(id);
    if (twin === undefined) result.missingFromLive.push(id);
    else if (twin === canonical(item)) result.equal++;
    else result.different.push(id);
  }
  for (const id of liveByKey.keys()) if (!rebuiltKeys.has(id)) result.extraInLive.push(id);
  return result;
}

async function compareSettled(
  sys: System,
  live: string,
  rebuilt: string,
  key: string,
  settleMs: number,
  log: (line: string) => void,
): Promise<TableComparison> {
  const rebuiltItems = await scanAll(sys, rebuilt);
  const deadline = Date.now() + settleMs;
  for (;;) {
    const comparison = { live, rebuilt, ...compareItems(await scanAll(sys, live), rebuiltItems, key) };
    const off = comparison.different.length + comparison.missingFromLive.length + comparison.extraInLive.length;
    if (off === 0 || Date.now() >= deadline) {
      log(
        `rebuild: ${live}: ${comparison.equal}/${comparison.items} equal` +
          (off
            ? `, ${comparison.different.length} different, ${comparison.missingFromLive.length} missing from live, ${comparison.extraInLive.length} extra in live`
            : ''),
      );
      return comparison;
    }
    log(`rebuild: ${live}: ${off} item(s) differ, waiting for the live projector to catch up …`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** JSON with sorted keys, so attribute order never makes two equal items differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
