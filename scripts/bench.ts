/**
 * `npm run bench` — the benchmark command (not a test). Against the local engine (started and deployed if
 * needed), in one run: the engine's ceiling and raw request rate, the work one order asks of the system
 * (confirmed and compensated, read back from what the system did), the pipeline at a fixed rate and the
 * maximum sustainable rate found by bisection with every order audited against every invariant, the
 * utilization of the engine at that rate, and the cold path (synth time, bundle sizes, init times).
 * Writes bench/results/bench-<time>.json (with the commit) and a summary at the top of BENCHMARKS.md.
 * Exits 1 if any order was lost, applied twice, parked or broke another invariant. Bounded: at most
 * --max-orders orders, --budget-minutes of load and --bisect-steps rates.
 *
 *   npm run bench -- [--fixed-rate 0.5] [--step-seconds 20] [--high 32] [--bisect-steps 6] [--max-orders 1500]
 *                    [--budget-minutes 15] [--work-confirmed 10] [--work-compensated 4] [--skip-work]
 *                    [--synth-runs 1] [--skip-cold] [--no-write]
 *
 * `npm run bench -- --timeline-route [--timeline-orders 60] [--timeline-rate 2]` measures only the order
 * timeline's two routes in one run (scripts/lib/bench/timeline-route.ts): the old event bus rule (fixed
 * message group) and the relay's per-order route, each into a temporary probe queue; it prints a table and
 * writes nothing. While it runs the relay sends to its probe instead of the timeline queue.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { deployLocal, STACK } from '../localstack/deploy';
import { awsEnv, engineClientConfig, ensureEngine, pinnedVersion, ROOT } from '../localstack/engine';
import { addAudits, auditClean, type BenchAudit } from './lib/bench/audit';
import { type BisectionResult, bisect, stepsNeeded } from './lib/bench/bisection';
import { type Ceiling, measureCeiling } from './lib/bench/ceiling';
import { type ColdPath, measureColdPath } from './lib/bench/cold-path';
import { describeCommit, type SourceCommit, sourceCommit } from './lib/bench/commit';
import { type LambdaThrottles, lambdaThrottles } from './lib/bench/lambda-metrics';
import { blend, type OrderWork, orderWork, utilization } from './lib/bench/per-order';
import { type PipelineRun, runStep, type StepResult } from './lib/bench/pipeline';
import { formatTimelineRoute, measureTimelineRoute } from './lib/bench/timeline-route';
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';
import { measure } from './lib/cost/measure';
import { connect } from './lib/order-system';

function positive(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new Error(`--${flag} must be a number in (0, ${max}], got "${value}"`);
  return n;
}

function installedVersion(pkg: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
    .version;
}

export const CLI = command({
  name: 'bench',
  helpCommand: 'npm run bench -- --help',
  usage: `usage: npm run bench -- [--fixed-rate R] [--fixed-seconds S] [--step-seconds S] [--high R]
                            [--bisect-steps N] [--tolerance F] [--max-drain-seconds S] [--max-orders N]
                            [--budget-minutes M] [--work-confirmed N] [--work-compensated N]
                            [--work-interval-ms MS] [--skip-work] [--synth-runs N] [--skip-cold] [--no-write]
       npm run bench -- --timeline-route [--timeline-orders N] [--timeline-rate R]

The benchmark (not a test), against the local engine only (AWS_ENDPOINT_URL, default
http://127.0.0.1:4566; started if none answers, and left running) with the stack deployed
(deploy:local). In one run:
  1. the engine's ceiling (SQS round trips, PutEvents entries) and raw request rate (single-item
     DynamoDB requests per second);
  2. the work per order, confirmed and compensated separately, read back from what the system did
     (the cost measurement's recording proxy, engine log, REPORT lines and execution histories):
     Lambda invocations, engine requests, DynamoDB read and write units, state transitions;
  3. the pipeline at a fixed rate, then the highest sustainable rate found by bisection between the
     fixed rate and --high, every order of every step audited against every invariant (the saga
     and every consumer's effect), and Lambda throttles read back from AWS/Lambda;
  4. utilization at that rate: orders/s × requests per order ÷ raw requests/s;
  5. the cold path (synth time, bundle sizes, init times).
Bounded by --max-orders, --budget-minutes and --bisect-steps. Exit code 0 when no order was lost,
applied twice, parked or broke another invariant, 1 otherwise, 2 for bad arguments.

options
  --fixed-rate R          orders/s of the fixed-rate step, the bisection's known-good low end (default 0.5)
  --fixed-seconds S       length of the fixed-rate step (default 40)
  --step-seconds S        length of each bisection step (default 20)
  --high R                the highest rate tried, probed first (default 32)
  --bisect-steps N        at most N bisection steps (default 6)
  --tolerance F           stop when high ÷ low ≤ 1 + F (default 0.15)
  --max-drain-seconds S   at most S seconds waiting for a step's orders to finish (default 300)
  --max-orders N          at most N orders in all (default 1500)
  --budget-minutes M      at most M minutes of load (default 15)
  --work-confirmed N      orders measured for the confirmed per-order work (default 10)
  --work-compensated N    orders measured for the compensated per-order work (default 4)
  --work-interval-ms MS   pause between those orders (default 1000)
  --skip-work             leave the per-order work (and utilization) out
  --synth-runs N          cdk synth runs for the cold path (default 1)
  --skip-cold             leave the cold path out
  --no-write              print only; write no results file and leave BENCHMARKS.md alone
  --timeline-route        instead, measure only the order timeline's two routes (the old bus rule
                          and the relay's per-order route) into temporary probe queues; prints a
                          table and writes nothing (while it runs the relay sends to its probe)
  --timeline-orders N     orders for --timeline-route (default 60)
  --timeline-rate R       orders/s for --timeline-route (default 2)
  -h, --help              this text

what it writes
  the deployment (.engine/outputs.json); the benchmark's orders on the engine; while the per-order
  work is measured, every function's AWS_ENDPOINT_URL points at a recording proxy (restored after);
  bench/results/bench-<time>.json (with the commit, "dirty" when the tree had changes) and a summary
  at the top of BENCHMARKS.md (not with --no-write)`,
  config: {
    options: {
      'fixed-rate': { type: 'string', default: '0.5' },
      'fixed-seconds': { type: 'string', default: '40' },
      'step-seconds': { type: 'string', default: '20' },
      high: { type: 'string', default: '32' },
      'bisect-steps': { type: 'string', default: '6' },
      tolerance: { type: 'string', default: '0.15' },
      'max-drain-seconds': { type: 'string', default: '300' },
      'max-orders': { type: 'string', default: '1500' },
      'budget-minutes': { type: 'string', default: '15' },
      'work-confirmed': { type: 'string', default: '10' },
      'work-compensated': { type: 'string', default: '4' },
      'work-interval-ms': { type: 'string', default: '1000' },
      'skip-work': { type: 'boolean', default: false },
      'synth-runs': { type: 'string', default: '1' },
      'skip-cold': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'timeline-route': { type: 'boolean', default: false },
      'timeline-orders': { type: 'string', default: '60' },
      'timeline-rate': { type: 'string', default: '2' },
      help: HELP_OPTION,
    },
  },
});

/** Per-order work of the two kinds of order, and the mix the bench offers. */
export interface WorkFigures {
  confirmed: OrderWork;
  compensated: OrderWork;
}

/** The highest sustainable rate and what it used of the engine. */
export interface MaxSustainable {
  offeredPerSecond: number;
  completedPerSecond: number;
  latencyMs: StepResult['latencyMs'];
  /** True when a rate above it failed (false: every rate tried was sustainable, the limit is higher). */
  limitFound: boolean;
  ratioToSqsCeiling: number;
  ratioToPutEventsCeiling: number;
  /** Share of confirmed orders among the step's finished orders (weights the per-order work). */
  confirmedShare: number;
  /** Engine requests per order in that mix (undefined without the per-order work). */
  requestsPerOrder?: number;
  /** orders/s × requests per order ÷ raw requests/s (undefined without the per-order work). */
  utilization?: number;
}

export interface BenchResult {
  date: string;
  /** The command's arguments (after `npm run bench --`). */
  argv: string[];
  commit: SourceCommit;
  machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string };
  versions: Record<string, string>;
  engineEnv: { LAMBDA_ACCOUNT_CONCURRENCY?: string };
  options: Record<string, number>;
  ceiling: Ceiling;
  work?: WorkFigures;
  pipeline: {
    fixed: StepResult;
    steps: StepResult[];
    bisection: Pick<BisectionResult, 'sustained' | 'failed' | 'reason'>;
    maxSustainable: MaxSustainable | null;
    lambda: LambdaThrottles;
  };
  audit: BenchAudit;
  cold?: ColdPath;
  wallSeconds: number;
}

async function main() {
  const args = parseCommandLine(CLI);
  if (!args) return;
  const { values } = args;
  if (values['timeline-route']) {
    const orders = Math.floor(positive('timeline-orders', values['timeline-orders'], 1000));
    const rate = positive('timeline-rate', values['timeline-rate'], 50);
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const engine = await ensureEngine();
    console.log(engine.startedByUs ? 'bench: started the engine' : 'bench: reusing the running engine');
    const sys = connect(await deployLocal({ quiet: true }), awsEnv());
    const result = await measureTimelineRoute(sys, new LambdaClient(engineClientConfig()), {
      orders,
      rate,
      settleSeconds: Math.max(120, orders),
      log: console.log,
    });
    console.log(`\n================ timeline route: ${orders} orders at ${rate}/s ================`);
    console.log(formatTimelineRoute(result));
    const short = [result.ruleRoute, result.relayRoute].filter((r) => r.eventsDelivered < r.eventsExpected);
    if (short.length > 0) {
      console.error(`bench: routes short of their expected events: ${short.map((r) => r.route).join('; ')}`);
      process.exitCode = 1;
    }
    return;
  }
  const fixedRate = positive('fixed-rate', values['fixed-rate'], 50);
  const fixedSeconds = positive('fixed-seconds', values['fixed-seconds'], 600);
  const stepSeconds = positive('step-seconds', values['step-seconds'], 600);
  const high = positive('high', values.high, 500);
  if (high <= fixedRate) throw new Error(`--high (${high}) must be above --fixed-rate (${fixedRate})`);
  const bisectSteps = Math.floor(positive('bisect-steps', values['bisect-steps'], 20));
  const tolerance = positive('tolerance', values.tolerance, 1);
  const maxDrainSeconds = positive('max-drain-seconds', values['max-drain-seconds'], 3600);
  let ordersLeft = Math.floor(positive('max-orders', values['max-orders'], 5000));
  const budgetMinutes = positive('budget-minutes', values['budget-minutes'], 120);
  const workConfirmed = Math.floor(positive('work-confirmed', values['work-confirmed'], 200));
  const workCompensated = Math.floor(positive('work-compensated', values['work-compensated'], 100));
  const workIntervalMs = Math.floor(Number(values['work-interval-ms']));
  if (!Number.isFinite(workIntervalMs) || workIntervalMs < 0 || workIntervalMs > 60_000)
    throw new Error(`--work-interval-ms must be in [0, 60000], got "${values['work-interval-ms']}"`);
  const synthRuns = Math.floor(positive('synth-runs', values['synth-runs'], 10));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const startedAt = new Date();
  const commit = sourceCommit(ROOT);
  console.log(`bench: commit ${describeCommit(commit)}`);
  const engine = await ensureEngine();
  console.log(engine.startedByUs ? 'bench: started the engine' : 'bench: reusing the running engine');
  const sys = connect(await deployLocal({ quiet: true }), awsEnv());

  console.log('bench: 1/5 ceiling and raw request rate of the engine');
  const ceiling: Ceiling = await measureCeiling(sys);

  let work: WorkFigures | undefined;
  if (values['skip-work']) console.log('bench: 2/5 per-order work skipped (--skip-work)');
  else {
    console.log(
      `bench: 2/5 per-order work: ${workConfirmed} confirmed + ${workCompensated} compensated orders, one every ${workIntervalMs} ms, through the recording proxy`,
    );
    const measured = await measure({
      confirmed: workConfirmed,
      compensated: workCompensated,
      intervalMs: workIntervalMs,
      phaseTimeoutMs: 120_000 + (workConfirmed + workCompensated) * (workIntervalMs + 3000),
      log: (line) => console.log(line.replace(/^cost:/, 'bench: work:')),
    });
    work = {
      confirmed: orderWork(measured.phases.confirmed),
      compensated: orderWork(measured.phases.compensated),
    };
    for (const w of [work.confirmed, work.compensated]) console.log(`bench: work: ${formatWork(w)}`);
  }

  const loadStarted = new Date();
  // The budget is for the load: from the fixed-rate step on (deploy, ceiling and per-order work are not in it).
  const budgetEnds = loadStarted.getTime() + budgetMinutes * 60_000;
  const drainSeconds = (rate: number, seconds: number) =>
    Math.min(maxDrainSeconds, Math.max(60, 2 * seconds, (rate * seconds) / 0.5));
  console.log(`bench: 3/5 pipeline at a fixed ${fixedRate} orders/s for ${fixedSeconds} s`);
  const fixed = await runStep(sys, {
    rate: fixedRate,
    seconds: fixedSeconds,
    maxOrders: ordersLeft,
    drainSeconds: drainSeconds(fixedRate, fixedSeconds),
    baselineP95Ms: Number.POSITIVE_INFINITY,
  });
  ordersLeft -= fixed.step.orders;
  const baselineP95Ms = fixed.step.latencyMs.p95;

  const needed = stepsNeeded(fixedRate, high, tolerance);
  console.log(
    `bench: 4/5 max sustainable rate: bisection between ${fixedRate} and ${high} orders/s, at most ${bisectSteps} steps of ${stepSeconds} s ` +
      `(${needed} would reach ±${(tolerance * 100).toFixed(0)} %)`,
  );
  const steps: PipelineRun[] = [];
  const bisection = await bisect(
    async (rate) => {
      if (
        ordersLeft < rate * stepSeconds ||
        Date.now() + (stepSeconds + drainSeconds(rate, stepSeconds)) * 1000 > budgetEnds
      ) {
        console.log(`bench: stopping before ${rate}/s (order or time budget reached)`);
        return undefined;
      }
      const run = await runStep(sys, {
        rate,
        seconds: stepSeconds,
        maxOrders: ordersLeft,
        drainSeconds: drainSeconds(rate, stepSeconds),
        baselineP95Ms,
      });
      ordersLeft -= run.step.orders;
      steps.push(run);
      return run.step.sustainable;
    },
    {
      low: fixedRate,
      high,
      maxSteps: bisectSteps,
      tolerance,
      onStep: ({ index, maxSteps, rate, low, high: top }) =>
        console.log(`bench: bisection step ${index + 1}/${maxSteps}: ${rate} orders/s (bracket ${low} – ${top})`),
    },
  );
  const lambda = await lambdaThrottles(sys.cloudWatch, {
    prefix: `${STACK}-`,
    start: loadStarted,
    end: new Date(Date.now() + 60_000),
  });

  const runs = [fixed, ...steps];
  const audit = addAudits(runs.map((r) => r.audit));
  const sustainedRun =
    bisection.sustained === undefined
      ? undefined
      : steps.find((s) => s.step.offeredPerSecond === bisection.sustained && s.step.sustainable);
  const maxSustainable = sustainedRun ? maxSustainableOf(sustainedRun, bisection, ceiling, work) : null;

  let cold: ColdPath | undefined;
  if (!values['skip-cold']) {
    console.log('bench: 5/5 cold path: synth, bundle sizes, init times');
    cold = await measureColdPath({ synthRuns });
  }
  const result: BenchResult = {
    date: startedAt.toISOString(),
    argv: process.argv.slice(2),
    commit,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    versions: {
      ministack: pinnedVersion(),
      'aws-cdk-lib': installedVersion('aws-cdk-lib'),
      'aws-cdk': installedVersion('aws-cdk'),
      '@aws-sdk/client-sqs': installedVersion('@aws-sdk/client-sqs'),
    },
    // What the engine was started with, when this process started it (a reused engine's is unknown here).
    engineEnv: engine.startedByUs ? { LAMBDA_ACCOUNT_CONCURRENCY: process.env.LAMBDA_ACCOUNT_CONCURRENCY } : {},
    options: { fixedRate, fixedSeconds, stepSeconds, high, bisectSteps, tolerance, maxDrainSeconds },
    ceiling,
    work,
    pipeline: {
      fixed: fixed.step,
      steps: steps.map((s) => s.step),
      bisection: { sustained: bisection.sustained, failed: bisection.failed, reason: bisection.reason },
      maxSustainable,
      lambda,
    },
    audit,
    cold,
    wallSeconds: (Date.now() - startedAt.getTime()) / 1000,
  };

  console.log('\n================ benchmark ================');
  for (const line of summaryLines(result)) console.log(line);
  for (const example of audit.examples) console.log(`  ${example}`);

  if (!values['no-write']) {
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    prependSummary(result, file.slice(ROOT.length + 1));
    console.log(`bench: wrote ${file.slice(ROOT.length + 1)} and a summary at the top of BENCHMARKS.md`);
  }
  if (!auditClean(audit)) {
    console.error('bench: FAILED: orders were lost, applied twice, parked or broke another invariant (see above)');
    process.exitCode = 1;
  }
}

function maxSustainableOf(
  run: PipelineRun,
  bisection: BisectionResult,
  ceiling: Ceiling,
  work: WorkFigures | undefined,
): MaxSustainable {
  const s = run.step;
  const finished = run.audit.confirmed + run.audit.cancelled;
  const confirmedShare = finished > 0 ? run.audit.confirmed / finished : 1;
  const requestsPerOrder = work
    ? blend(work.confirmed.requests.total, work.compensated.requests.total, confirmedShare)
    : undefined;
  return {
    offeredPerSecond: s.offeredPerSecond,
    completedPerSecond: s.completedPerSecond,
    latencyMs: s.latencyMs,
    limitFound: bisection.failed !== undefined,
    ratioToSqsCeiling: s.completedPerSecond / ceiling.sqsRoundTripsPerSecond,
    ratioToPutEventsCeiling: s.completedPerSecond / ceiling.putEventsPerSecond,
    confirmedShare,
    requestsPerOrder,
    utilization:
      requestsPerOrder === undefined
        ? undefined
        : utilization({
            ordersPerSecond: s.completedPerSecond,
            requestsPerOrder,
            rawRequestsPerSecond: ceiling.rawRequestsPerSecond,
          }),
  };
}

const f2 = (n: number) => n.toFixed(2);

/** One line of per-order work. */
export function formatWork(w: OrderWork): string {
  return (
    `${w.kind} (${w.orders} orders): ${f2(w.lambdaInvocations)} Lambda invocations, ` +
    `${f2(w.requests.total)} engine requests (functions ${f2(w.requests.functions)}, client ${f2(w.requests.client)}, ` +
    `pollers ${f2(w.requests.pollers)}), DynamoDB ${f2(w.dynamodb.readUnits)} RU / ${f2(w.dynamodb.writeUnits)} WU ` +
    `(${f2(w.dynamodb.calls)} calls), ${f2(w.stateTransitions)} state transitions`
  );
}

/** The printed summary: one line per figure. */
export function summaryLines(r: BenchResult): string[] {
  const lines = [
    `commit              ${describeCommit(r.commit)}`,
    `ceiling             SQS ${r.ceiling.sqsRoundTripsPerSecond.toFixed(0)} msg/s (${r.ceiling.sqsRequestsPerSecond.toFixed(0)} requests/s), PutEvents ${r.ceiling.putEventsPerSecond.toFixed(0)} entries/s`,
    `raw request rate    ${r.ceiling.rawRequestsPerSecond.toFixed(0)} requests/s (single-item DynamoDB PutItem + GetItem)`,
  ];
  if (r.work) {
    lines.push(`per order           ${formatWork(r.work.confirmed)}`);
    lines.push(`                    ${formatWork(r.work.compensated)}`);
    for (const reason of r.work.confirmed.notMeasured) lines.push(`not measured        ${reason}`);
  } else lines.push('per order           not measured: --skip-work');
  const f = r.pipeline.fixed;
  lines.push(
    `fixed ${f.offeredPerSecond}/s`.padEnd(20) +
      `${f2(f.completedPerSecond)} orders/s, p50/p95/p99 ${f.latencyMs.p50}/${f.latencyMs.p95}/${f.latencyMs.p99} ms`,
  );
  for (const s of r.pipeline.steps) {
    lines.push(
      `step ${s.offeredPerSecond}/s`.padEnd(20) +
        `${f2(s.completedPerSecond)} orders/s, p50/p95 ${s.latencyMs.p50}/${s.latencyMs.p95} ms, ${s.unfinished} unfinished → ${s.sustainable ? 'sustainable' : 'not sustainable'}`,
    );
  }
  const m = r.pipeline.maxSustainable;
  lines.push(
    m
      ? `max sustainable     ${m.limitFound ? '' : '≥ '}${m.offeredPerSecond}/s offered${m.limitFound ? ` (${r.pipeline.bisection.failed}/s was not)` : ' (the highest rate tried)'}, ` +
          `${f2(m.completedPerSecond)} orders/s completed, p50/p95/p99 ${m.latencyMs.p50}/${m.latencyMs.p95}/${m.latencyMs.p99} ms; ` +
          `${(m.ratioToSqsCeiling * 100).toFixed(2)} % of the SQS ceiling; bisection: ${r.pipeline.bisection.reason}`
      : `max sustainable     none of the rates tried was sustainable (bisection: ${r.pipeline.bisection.reason})`,
  );
  if (m?.utilization !== undefined && m.requestsPerOrder !== undefined) {
    lines.push(
      `utilization         ${(m.utilization * 100).toFixed(1)} % = ${f2(m.completedPerSecond)} orders/s × ${f2(m.requestsPerOrder)} requests/order ` +
        `(${(m.confirmedShare * 100).toFixed(0)} % confirmed) ÷ ${r.ceiling.rawRequestsPerSecond.toFixed(0)} raw requests/s`,
    );
  } else lines.push(`utilization         not measured: ${m ? '--skip-work' : 'no sustainable rate'}`);
  lines.push(
    `Lambda throttles    ${r.pipeline.lambda.totalThrottles} (AWS/Lambda Throttles during the load)${
      r.pipeline.lambda.totalThrottles > 0
        ? `: ${Object.entries(r.pipeline.lambda.throttles)
            .map(([n, v]) => `${n.replace(`${STACK}-`, '')} ${v}`)
            .join(', ')}`
        : ''
    }`,
  );
  const a = r.audit;
  lines.push(
    `orders audited      ${a.orders} (${a.confirmed} confirmed, ${a.cancelled} cancelled, ${a.needsAttention} needs attention): ` +
      `lost ${a.lost}, applied twice ${a.appliedTwice}, parked ${a.parked}, other violations ${a.otherViolations}`,
  );
  if (r.cold) {
    const largest = r.cold.handlers[0];
    const slowest = [...r.cold.handlers].sort((x, y) => y.initMsMedian - x.initMsMedian)[0];
    lines.push(
      `cdk synth           ${r.cold.synthSecondsMedian.toFixed(1)} s (median of ${r.cold.synthSeconds.length})`,
    );
    lines.push(
      `largest bundle      ${largest.function} ${largest.bundleBytes} bytes; slowest init ${slowest.function} ${slowest.initMsMedian.toFixed(1)} ms`,
    );
  }
  lines.push(`wall time           ${r.wallSeconds.toFixed(0)} s`);
  return lines;
}

/** Puts this run's summary first in BENCHMARKS.md (newest first), after the file's introduction. */
function prependSummary(result: BenchResult, file: string) {
  const path = join(ROOT, 'BENCHMARKS.md');
  const text = readFileSync(path, 'utf8');
  const section = [
    `## ${result.date.slice(0, 10)} — \`npm run bench\` (${result.date.slice(11, 16)} UTC)`,
    '',
    `Command: \`${['npm run bench', ...(result.argv.length > 0 ? ['--', ...result.argv] : [])].join(' ')}\`; commit ${describeCommit(result.commit)}; raw figures in \`${file}\`; wall time ${result.wallSeconds.toFixed(0)} s.`,
    '',
    '| What | Figure |',
    '| --- | --- |',
    ...summaryRows(result),
    '',
    '',
  ].join('\n');
  const at = text.indexOf('\n## ');
  writeFileSync(path, at < 0 ? `${text}\n${section}` : `${text.slice(0, at + 1)}${section}${text.slice(at + 1)}`);
}

/** The summary as table rows for BENCHMARKS.md. */
export function summaryRows(r: BenchResult): string[] {
  const f = r.pipeline.fixed;
  const m = r.pipeline.maxSustainable;
  const work = (w: OrderWork) =>
    `| Per ${w.kind} order (${w.orders} measured) | ${f2(w.lambdaInvocations)} Lambda invocations; ${f2(w.requests.total)} engine requests ` +
    `(functions ${f2(w.requests.functions)}, client ${f2(w.requests.client)}, pollers ${f2(w.requests.pollers)}); ` +
    `DynamoDB ${f2(w.dynamodb.readUnits)} read / ${f2(w.dynamodb.writeUnits)} write units; ${f2(w.stateTransitions)} state transitions |`;
  return [
    `| Engine ceiling: SQS send → receive → delete (batches of 10) | **${r.ceiling.sqsRoundTripsPerSecond.toFixed(0)} messages/s** (${r.ceiling.sqsRequestsPerSecond.toFixed(0)} requests/s) |`,
    `| Engine ceiling: EventBridge PutEvents (batches of 10, bus without rules) | **${r.ceiling.putEventsPerSecond.toFixed(0)} entries/s** |`,
    `| Engine raw request rate (single-item DynamoDB PutItem + GetItem) | **${r.ceiling.rawRequestsPerSecond.toFixed(0)} requests/s** |`,
    ...(r.work
      ? [
          work(r.work.confirmed),
          work(r.work.compensated),
          ...r.work.confirmed.notMeasured.map((reason) => `| Not measured | ${reason} |`),
        ]
      : ['| Per-order work | not measured: --skip-work |']),
    `| Pipeline at a fixed ${f.offeredPerSecond} orders/s (${f.orders} orders) | ${f2(f.completedPerSecond)} orders/s; p50 ${f.latencyMs.p50} ms, p95 ${f.latencyMs.p95} ms, p99 ${f.latencyMs.p99} ms |`,
    ...r.pipeline.steps.map(
      (s, i) =>
        `| Bisection step ${i + 1}: ${s.offeredPerSecond} orders/s (${s.orders} orders) | ${f2(s.completedPerSecond)} orders/s; p50 ${s.latencyMs.p50} ms, p95 ${s.latencyMs.p95} ms, p99 ${s.latencyMs.p99} ms; ${s.unfinished} unfinished → ${s.sustainable ? 'sustainable' : 'not sustainable'} |`,
    ),
    m
      ? `| **Max sustainable** | ${m.limitFound ? '' : '≥ '}**${f2(m.completedPerSecond)} orders/s** (offered ${m.offeredPerSecond}/s${m.limitFound ? `; ${r.pipeline.bisection.failed}/s was not` : ', the highest rate tried'}); p50 ${m.latencyMs.p50} ms, p95 ${m.latencyMs.p95} ms, p99 ${m.latencyMs.p99} ms; ${(m.ratioToSqsCeiling * 100).toFixed(2)} % of the SQS ceiling |`
      : `| Max sustainable | none of the rates tried (bisection: ${r.pipeline.bisection.reason}) |`,
    m?.utilization !== undefined && m.requestsPerOrder !== undefined
      ? `| **Utilization** at the max sustainable rate | **${(m.utilization * 100).toFixed(1)} %** = ${f2(m.completedPerSecond)} orders/s × ${f2(m.requestsPerOrder)} requests/order ÷ ${r.ceiling.rawRequestsPerSecond.toFixed(0)} raw requests/s |`
      : `| Utilization | not measured: ${m ? '--skip-work' : 'no sustainable rate'} |`,
    `| Lambda throttles during the load (AWS/Lambda Throttles) | ${r.pipeline.lambda.totalThrottles} |`,
    `| Orders audited (every invariant, every consumer) | ${r.audit.orders}: **lost ${r.audit.lost}, applied twice ${r.audit.appliedTwice}, parked ${r.audit.parked}, other violations ${r.audit.otherViolations}** |`,
    ...(r.cold
      ? [
          `| \`cdk synth\` | ${r.cold.synthSeconds.map((s) => s.toFixed(1)).join(' / ')} s, median **${r.cold.synthSecondsMedian.toFixed(1)} s** |`,
          ...r.cold.handlers.map(
            (h) =>
              `| ${h.function}: bundle, init (median of ${h.initMsAll.length} fresh \`node\`) | ${h.bundleBytes} bytes, ${h.initMsMedian.toFixed(1)} ms |`,
          ),
        ]
      : []),
  ];
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(`bench failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
