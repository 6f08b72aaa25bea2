/**
 * `npm run replay -- --from <ISO time> [--to <ISO time>] [--name N] [--target local|aws]`
 *
 * Replays a time window of the bus archive onto the bus. Safe to repeat:
 * consumers are idempotent by event id and a replayed OrderPlaced stops at
 * AcceptOrder as a duplicate.
 */
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';
import { replayArchive } from './lib/replay-events/replay';
import { connectTarget, parseTarget, TARGET_OPTIONS, TARGET_USAGE } from './lib/target';

export const CLI = command({
  name: 'replay',
  helpCommand: 'npm run replay -- --help',
  usage: `usage: npm run replay -- --from <ISO time> [--to <ISO time>] [--name N] [--target local|aws] [--stack NAME]

Replays a time window of the bus archive onto the bus (EventBridge StartReplay) and waits for it
to finish. Safe to repeat: consumers are idempotent by event id, and a replayed OrderPlaced stops
at AcceptOrder as a duplicate. Exit code 0 when the replay completed, 1 when it failed or had not
finished after 15 minutes of waiting (it keeps running), 2 for bad arguments.

options
  --from TIME    start of the window, ISO 8601 such as 2026-11-23T10:00:00Z (required)
  --to TIME      end of the window, in the past (default now)
  --name N       the replay's name, 1 to 64 of A-Z a-z 0-9 . - _ (default replay-<from>-<now>)
${TARGET_USAGE}
  -h, --help     this text

what it writes
  one EventBridge replay named N; the archived events of the window go onto the stack's bus
  again, where rules and consumers see them (with a replay-name field)`,
  config: {
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      name: { type: 'string' },
      ...TARGET_OPTIONS,
      help: HELP_OPTION,
    },
  },
});

function parseTime(flag: string, value: string | undefined, fallback?: Date): Date {
  if (value === undefined && fallback) return fallback;
  const time = new Date(value ?? '');
  if (value === undefined || Number.isNaN(time.getTime())) {
    throw new Error(`--${flag} must be an ISO 8601 time such as 2026-11-23T10:00:00Z, got "${value ?? ''}"`);
  }
  return time;
}

async function main() {
  const args = parseCommandLine(CLI);
  if (!args) return;
  const { values } = args;
  const from = parseTime('from', values.from);
  const to = parseTime('to', values.to, new Date());
  const { sys, where } = await connectTarget(parseTarget(values.target), values.stack);
  console.log(`replay: on the ${where}`);
  const result = await replayArchive(sys, { from, to, name: values.name });
  console.log(`replay: ${result.name} completed in ${result.seconds.toFixed(1)} s`);
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(`replay: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
