/**
 * `npm run replay -- --from <ISO time> [--to <ISO time>] [--name N] [--target local|aws]`
 *
 * Replays a time window of the bus archive onto the bus. Safe to repeat:
 * consumers are idempotent by event id and a replayed OrderPlaced stops at
 * AcceptOrder as a duplicate.
 */
import { parseArgs } from 'node:util';
import { replayArchive } from './lib/replay-events/replay';
import { connectTarget, parseTarget } from './lib/target';

function parseTime(flag: string, value: string | undefined, fallback?: Date): Date {
  if (value === undefined && fallback) return fallback;
  const time = new Date(value ?? '');
  if (value === undefined || Number.isNaN(time.getTime())) {
    throw new Error(`--${flag} must be an ISO 8601 time such as 2026-11-23T10:00:00Z, got "${value ?? ''}"`);
  }
  return time;
}

async function main() {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      name: { type: 'string' },
      target: { type: 'string' },
      stack: { type: 'string' },
    },
  });
  const from = parseTime('from', values.from);
  const to = parseTime('to', values.to, new Date());
  const { sys, where } = await connectTarget(parseTarget(values.target), values.stack);
  console.log(`replay: on the ${where}`);
  const result = await replayArchive(sys, { from, to, name: values.name });
  console.log(`replay: ${result.name} completed in ${result.seconds.toFixed(1)} s`);
}

main().catch((error) => {
  console.error(`replay: ${(error as Error).message}`);
  process.exitCode = 1;
});
