/**
 * `npm run soak` — the mixed-fault soak run (issue 6), against the local engine only. Brings the engine up
 * (or reuses the one answering), deploys the stack, places N orders over S seconds while its own fault
 * switch mixes every fault kind in, drains (bounded), checks the invariants over every order and prints a
 * table: scenario, planned, fired (counted from the functions' own log lines), planned but not fired,
 * recovered, parked, lost, applied twice, and the fault-free orders parked. Exits 1 when anything was lost
 * or applied twice, any other invariant broke, a fault-free order had a message in a DLQ, or a planned fault
 * did not fire on an order it was planned for; stops the engine only if it started it.
 *
 *   npm run soak -- --orders 300 --duration 150 [--drain 300] [--rates consumer-poison=0.05,declined-card=0]
 *                   [--json soak.json]
 */
import { writeFileSync } from 'node:fs';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { deployLocal } from '../localstack/deploy';
import { awsEnv, endpoint, engineClientConfig, ensureEngine } from '../localstack/engine';
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';
import { formatViolations } from './lib/invariants';
import { connect } from './lib/order-system';
import { FAULT_KINDS, parseRates } from './lib/soak/plan';
import { formatSoakTable, runSoak, soakPassed, unfiredKinds } from './lib/soak/run';

function bounded(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** The soak injects faults and floods queues: never anywhere but an engine on this machine. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(
      `soak runs against the local engine only; AWS_ENDPOINT_URL=${url} is not a loopback address. ` +
        'Unset it (default http://127.0.0.1:4566) or point it at 127.0.0.1.',
    );
  }
}

const DEFAULT_RATES = parseRates(undefined);

export const CLI = command({
  name: 'soak',
  helpCommand: 'npm run soak -- --help',
  usage: `usage: npm run soak -- [--orders N] [--duration S] [--drain S] [--rates kind=rate,...] [--json file]

The mixed-fault soak run, against the local engine only (AWS_ENDPOINT_URL must be a loopback
address; default http://127.0.0.1:4566). Starts the engine if none answers (and stops it at the
end), deploys the stack, places N orders over S seconds while its own fault switch mixes every
fault kind in, drains, checks the invariants over every order and prints a table: scenario,
planned, fired (orders a function logged the fault firing on, read from the functions' logs),
planned but not fired, recovered, parked, lost, applied twice; under it the fault-free orders with
a message in a DLQ (must be 0) and the DLQ messages of other runs (ignored). Exit code 0 when
nothing was lost or applied twice, every invariant held, no fault-free order was parked and every
planned fault fired on every order it was planned for, 1 otherwise, 2 for bad arguments. The run
id is chosen so that every kind with a rate above 0 is planned on some order; too few orders for
the rates is an error.

options
  --orders N       orders to place (default 300, 1 to 20000)
  --duration S     seconds to place them over (default 150)
  --drain S        longest wait for them to settle afterwards (default the larger of 300 and N/2)
  --rates LIST     fault rates, kind=rate with rate in [0, 1], comma-separated (default below)
  --json FILE      also write the result to FILE
  -h, --help       this text

fault kinds (default rate)
${Object.entries(FAULT_KINDS)
  .map(
    ([kind, what]) =>
      `  ${kind.padEnd(28)} ${String(DEFAULT_RATES[kind as keyof typeof FAULT_KINDS]).padEnd(5)} ${what}`,
  )
  .join('\n')}

what it writes
  the deployment (.engine/outputs.json); stock items and orders named soak-<run>-…; a fault
  switch soak-<run> for the run, deleted at the end; FILE with --json`,
  config: {
    options: {
      orders: { type: 'string', default: '300' },
      duration: { type: 'string', default: '150' },
      drain: { type: 'string' },
      rates: { type: 'string' },
      json: { type: 'string' },
      help: HELP_OPTION,
    },
  },
});

async function main() {
  const args = parseCommandLine(CLI);
  if (!args) return;
  const { values } = args;
  const orders = bounded('orders', values.orders, 1, 20_000);
  const durationSeconds = bounded('duration', values.duration, 1, 24 * 3600);
  // Long enough for a poisoned message's three deliveries 30 s apart, and for the backlog of a fast run.
  const drainSeconds = values.drain ? bounded('drain', values.drain, 10, 24 * 3600) : Math.max(300, orders / 2);
  const rates = parseRates(values.rates);
  assertLoopback(endpoint());
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const engine = await ensureEngine();
  console.log(engine.startedByUs ? 'soak: started the engine' : 'soak: reusing the running engine');
  try {
    const sys = connect(await deployLocal({ quiet: true }), awsEnv());
    const config = engineClientConfig(awsEnv());
    const [logs, lambda] = [new CloudWatchLogsClient(config), new LambdaClient(config)];
    const result = await runSoak(sys, { orders, durationSeconds, drainSeconds, rates, logs, lambda });
    console.log(`\n================ soak run ${result.run} ================`);
    console.log(
      `${orders} orders placed in ${result.placedSeconds.toFixed(0)} s, settled ${result.settled ? 'in' : 'NOT within'} ` +
        `${result.drainedSeconds.toFixed(0)} s more; ${result.rules.length} fault rules`,
    );
    console.log(formatSoakTable(result));
    const t = result.report.totals;
    console.log(
      `invariants: ${t.orders} orders, ${t.final} final, ${t.violations} with a violation; outcome mismatches ${result.mismatches.length}`,
    );
    const unfired = unfiredKinds(result);
    console.log(
      `fired faults (from the functions' logs): ${result.fired.length} firings; ` +
        (unfired.length ? `planned but NEVER fired: ${unfired.join(', ')}` : 'every planned kind fired'),
    );
    for (const r of result.rulesNotFired) {
      console.log(`  rule ${r.ruleId} (${r.kind}) was meant to hit ${r.planned} order(s) and fired on none`);
    }
    for (const p of result.plannedNotFired.slice(0, 20)) {
      console.log(`  planned, not fired: ${p.kind} on ${p.orderId} (rule ${p.ruleId}, target ${p.target})`);
    }
    for (const line of [
      ...result.faultFreeParked.slice(0, 10).map((l) => `fault-free order parked: ${l}`),
      ...formatViolations(result.report, 20),
      ...result.mismatches.slice(0, 10),
      ...result.badInputLost.slice(0, 10),
    ]) {
      console.log(`  ${line}`);
    }
    if (values.json) {
      writeFileSync(
        values.json,
        `${JSON.stringify({ ...result, report: { totals: t, violations: formatViolations(result.report, 200) } }, null, 2)}\n`,
      );
      console.log(`soak: wrote ${values.json}`);
    }
    if (!soakPassed(result)) {
      console.error(
        'soak: FAILED: messages lost, effects applied twice, invariants broken, a fault-free order parked or a planned fault not fired (see above)',
      );
      process.exitCode = 1;
    }
  } finally {
    await engine.stop();
  }
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(`soak failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
