/**
 * `npm run bench` — the benchmark command (not a test). Against the local engine (started and deployed if
 * needed), in one run: the engine's ceiling, the pipeline at a fixed rate and stepped up to the maximum
 * sustainable rate with every order audited, and the cold path (synth time, bundle sizes, init times).
 * Writes bench/results/bench-<time>.json and a summary at the top of BENCHMARKS.md. Exits 1 if any order
 * was lost or double-applied. Bounded: at most --max-orders orders and --budget-minutes of load.
 *
 *   npm run bench -- [--fixed-rate 0.5] [--step-seconds 20] [--rates 1,2,4,8,16,32] [--max-orders 1500]
 *                    [--budget-minutes 15] [--synth-runs 1] [--skip-cold] [--no-write]
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
import { deployLocal } from '../localstack/deploy';
import { awsEnv, engineClientConfig, ensureEngine, pinnedVersion, ROOT } from '../localstack/engine';
import { type Ceiling, measureCeiling } from './lib/bench/ceiling';
import { type ColdPath, measureColdPath } from './lib/bench/cold-path';
import { type PipelineRun, runStep } from './lib/bench/pipeline';
import { formatTimelineRoute, measureTimelineRoute } from './lib/bench/timeline-route';
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';
import { connect } from './lib/order-system';

function numberList(flag: string, value: string): number[] {
  const list = value.split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new Error(`--${flag} must be positive numbers separated by commas, got "${value}"`);
  }
  return list;
}

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
  usage: `usage: npm run bench -- [--fixed-rate R] [--fixed-seconds S] [--step-seconds S] [--rates R1,R2,…]
                            [--max-orders N] [--budget-minutes M] [--synth-runs N] [--skip-cold] [--no-write]
       npm run bench -- --timeline-route [--timeline-orders N] [--timeline-rate R]

The benchmark (not a test), against the local engine only (AWS_ENDPOINT_URL, default
http://127.0.0.1:4566; started if none answers, and left running) with the stack
deployed (deploy:local). In one run: the engine's ceiling, the pipeline at a fixed rate and
stepped up to the highest sustainable rate with every order audited, and the cold path (synth
time, bundle sizes, init times). Bounded by --max-orders and --budget-minutes. Exit code 0 when
no order was lost or double-applied, 1 otherwise, 2 for bad arguments.

options
  --fixed-rate R        orders/s of the fixed-rate step (default 0.5)
  --fixed-seconds S     length of the fixed-rate step (default 40)
  --step-seconds S      length of each stepped rate (default 20)
  --rates LIST          the stepped rates in orders/s (default 1,2,4,8,16,32)
  --max-orders N        at most N orders in all (default 1500)
  --budget-minutes M    at most M minutes of load (default 15)
  --synth-runs N        cdk synth runs for the cold path (default 1)
  --skip-cold           leave the cold path out
  --no-write            print only; write no results file and leave BENCHMARKS.md alone
  --timeline-route      instead, measure only the order timeline's two routes (the old bus rule
                        and the relay's per-order route) into temporary probe queues; prints a
                        table and writes nothing (while it runs the relay sends to its probe)
  --timeline-orders N   orders for --timeline-route (default 60)
  --timeline-rate R     orders/s for --timeline-route (default 2)
  -h, --help            this text

what it writes
  the deployment (.engine/outputs.json); the benchmark's orders on the engine;
  bench/results/bench-<time>.json and a summary at the top of BENCHMARKS.md (not with --no-write)`,
  config: {
    options: {
      'fixed-rate': { type: 'string', default: '0.5' },
      'fixed-seconds': { type: 'string', default: '40' },
      'step-seconds': { type: 'string', default: '20' },
      rates: { type: 'string', default: '1,2,4,8,16,32' },
      'max-orders': { type: 'string', default: '1500' },
      'budget-minutes': { type: 'string', default: '15' },
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
  const rates = numberList('rates', values.rates);
  let ordersLeft = Math.floor(positive('max-orders', values['max-orders'], 5000));
  const budgetEnds = Date.now() + positive('budget-minutes', values['budget-minutes'], 120) * 60_000;
  const synthRuns = Math.floor(positive('synth-runs', values['synth-runs'], 10));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const startedAt = new Date();
  const engine = await ensureEngine();
  console.log(engine.startedByUs ? 'bench: started the engine' : 'bench: reusing the running engine');
  const sys = connect(await deployLocal({ quiet: true }), awsEnv());

  console.log('bench: 1/3 ceiling of the engine');
  const ceiling: Ceiling = await measureCeiling(sys);

  console.log(`bench: 2/3 pipeline: ${fixedRate} orders/s for ${fixedSeconds} s, then ${rates.join(', ')} orders/s`);
  const drainSeconds = (rate: number, seconds: number) => Math.max(60, 2 * seconds, (rate * seconds) / 0.5);
  const fixed = await runStep(sys, {
    rate: fixedRate,
    seconds: fixedSeconds,
    maxOrders: ordersLeft,
    drainSeconds: drainSeconds(fixedRate, fixedSeconds),
    baselineP95Ms: Number.POSITIVE_INFINITY,
  });
  ordersLeft -= fixed.step.orders;
  const baselineP95Ms = fixed.step.latencyMs.p95;
  const steps: PipelineRun[] = [];
  for (const rate of rates) {
    if (
      ordersLeft < rate * stepSeconds ||
      Date.now() + (stepSeconds + drainSeconds(rate, stepSeconds)) * 1000 > budgetEnds
    ) {
      console.log(`bench: stopping before ${rate}/s (order or time budget reached)`);
      break;
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
    if (!run.step.sustainable) break;
  }
  const sustained = steps.filter((s) => s.step.sustainable).at(-1)?.step;
  // If even the last rate offered was sustainable, the pipeline's limit was not found: say so.
  const limitFound = steps.some((s) => !s.step.sustainable);

  const runs = [fixed, ...steps];
  const correctness = {
    orders: runs.reduce((n, r) => n + r.audit.orders, 0),
    lost: runs.reduce((n, r) => n + r.audit.lost, 0),
    doubleApplied: runs.reduce((n, r) => n + r.audit.doubleApplied, 0),
    stockMismatches: runs.flatMap((r) => r.stockMismatches),
    examples: runs.flatMap((r) => r.audit.examples).slice(0, 10),
  };

  let cold: ColdPath | undefined;
  if (!values['skip-cold']) {
    console.log('bench: 3/3 cold path: synth, bundle sizes, init times');
    cold = await measureColdPath({ synthRuns });
  }
  const maxOrdersPerSecond = sustained?.completedPerSecond;
  const result = {
    date: startedAt.toISOString(),
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
    options: { fixedRate, fixedSeconds, stepSeconds, rates },
    ceiling,
    pipeline: {
      fixed: fixed.step,
      steps: steps.map((s) => s.step),
      maxSustainable: sustained
        ? {
            offeredPerSecond: sustained.offeredPerSecond,
            completedPerSecond: sustained.completedPerSecond,
            latencyMs: sustained.latencyMs,
            ratioToSqsCeiling: sustained.completedPerSecond / ceiling.sqsRoundTripsPerSecond,
            ratioToPutEventsCeiling: sustained.completedPerSecond / ceiling.putEventsPerSecond,
            limitFound,
          }
        : null,
    },
    correctness,
    cold,
    wallSeconds: (Date.now() - startedAt.getTime()) / 1000,
  };

  console.log('\n================ benchmark ================');
  console.log(
    `ceiling             SQS ${ceiling.sqsRoundTripsPerSecond.toFixed(0)} msg/s, PutEvents ${ceiling.putEventsPerSecond.toFixed(0)} entries/s`,
  );
  console.log(
    `fixed ${fixedRate}/s        ${fixed.step.completedPerSecond.toFixed(2)} orders/s, p50/p95/p99 ${fixed.step.latencyMs.p50}/${fixed.step.latencyMs.p95}/${fixed.step.latencyMs.p99} ms`,
  );
  console.log(
    maxOrdersPerSecond
      ? `max sustainable     ${limitFound ? '' : '≥ '}${sustained.offeredPerSecond}/s offered${limitFound ? '' : ' (the highest rate tried)'}, ${maxOrdersPerSecond.toFixed(2)} orders/s completed, p50/p95/p99 ${sustained.latencyMs.p50}/${sustained.latencyMs.p95}/${sustained.latencyMs.p99} ms; ` +
          `${((maxOrdersPerSecond / ceiling.sqsRoundTripsPerSecond) * 100).toFixed(2)} % of the SQS ceiling`
      : 'max sustainable     none of the stepped rates was sustainable',
  );
  console.log(
    `orders audited      ${correctness.orders}: lost ${correctness.lost}, double-applied ${correctness.doubleApplied}, stock mismatches ${correctness.stockMismatches.length}`,
  );
  for (const example of [...correctness.examples, ...correctness.stockMismatches]) console.log(`  ${example}`);
  if (cold) {
    const largest = cold.handlers[0];
    const slowest = [...cold.handlers].sort((a, b) => b.initMsMedian - a.initMsMedian)[0];
    console.log(`cdk synth           ${cold.synthSecondsMedian.toFixed(1)} s (median of ${cold.synthSeconds.length})`);
    console.log(
      `largest bundle      ${largest.function} ${largest.bundleBytes} bytes; slowest init ${slowest.function} ${slowest.initMsMedian.toFixed(1)} ms`,
    );
  }
  console.log(`wall time           ${result.wallSeconds.toFixed(0)} s`);

  if (!values['no-write']) {
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    prependSummary(result, file.slice(ROOT.length + 1));
    console.log(`bench: wrote ${file.slice(ROOT.length + 1)} and a summary at the top of BENCHMARKS.md`);
  }
  if (correctness.lost > 0 || correctness.doubleApplied > 0 || correctness.stockMismatches.length > 0) {
    console.error('bench: FAILED: orders were lost or double-applied (see above)');
    process.exitCode = 1;
  }
}

/** Puts this run's summary first in BENCHMARKS.md (newest first), after the file's introduction. */
function prependSummary(
  result: {
    date: string;
    ceiling: Ceiling;
    pipeline: {
      fixed: PipelineRun['step'];
      steps: PipelineRun['step'][];
      maxSustainable: {
        offeredPerSecond: number;
        completedPerSecond: number;
        latencyMs: PipelineRun['step']['latencyMs'];
        ratioToSqsCeiling: number;
        ratioToPutEventsCeiling: number;
        limitFound: boolean;
      } | null;
    };
    correctness: { orders: number; lost: number; doubleApplied: number };
    cold?: ColdPath;
    wallSeconds: number;
  },
  file: string,
) {
  const path = join(ROOT, 'BENCHMARKS.md');
  const text = readFileSync(path, 'utf8');
  const f = result.pipeline.fixed;
  const m = result.pipeline.maxSustainable;
  const rows = [
    `| Engine ceiling: SQS send → receive → delete (batches of 10) | **${result.ceiling.sqsRoundTripsPerSecond.toFixed(0)} messages/s** |`,
    `| Engine ceiling: EventBridge PutEvents (batches of 10, bus without rules) | **${result.ceiling.putEventsPerSecond.toFixed(0)} entries/s** |`,
    `| Pipeline at a fixed ${f.offeredPerSecond} orders/s (${f.orders} orders) | ${f.completedPerSecond.toFixed(2)} orders/s; p50 ${f.latencyMs.p50} ms, p95 ${f.latencyMs.p95} ms, p99 ${f.latencyMs.p99} ms |`,
    ...result.pipeline.steps.map(
      (s) =>
        `| Step ${s.offeredPerSecond} orders/s (${s.orders} orders) | ${s.completedPerSecond.toFixed(2)} orders/s; p50 ${s.latencyMs.p50} ms, p95 ${s.latencyMs.p95} ms, p99 ${s.latencyMs.p99} ms; ${s.unfinished} unfinished → ${s.sustainable ? 'sustainable' : 'not sustainable'} |`,
    ),
    m
      ? `| **Max sustainable** | ${m.limitFound ? '' : '≥ '}**${m.completedPerSecond.toFixed(2)} orders/s** (offered ${m.offeredPerSecond}/s${m.limitFound ? '' : ', the highest rate tried'}); p50 ${m.latencyMs.p50} ms, p95 ${m.latencyMs.p95} ms, p99 ${m.latencyMs.p99} ms; ${(m.ratioToSqsCeiling * 100).toFixed(2)} % of the SQS ceiling, ${(m.ratioToPutEventsCeiling * 100).toFixed(2)} % of the PutEvents ceiling |`
      : '| Max sustainable | none of the stepped rates |',
    `| Orders audited | ${result.correctness.orders}: **lost ${result.correctness.lost}, double-applied ${result.correctness.doubleApplied}** |`,
    ...(result.cold
      ? [
          `| \`cdk synth\` | ${result.cold.synthSeconds.map((s) => s.toFixed(1)).join(' / ')} s, median **${result.cold.synthSecondsMedian.toFixed(1)} s** |`,
          ...result.cold.handlers.map(
            (h) =>
              `| ${h.function}: bundle, init (median of ${h.initMsAll.length} fresh \`node\`) | ${h.bundleBytes} bytes, ${h.initMsMedian.toFixed(1)} ms |`,
          ),
        ]
      : []),
  ];
  const section = [
    `## ${result.date.slice(0, 10)} — \`npm run bench\` (${result.date.slice(11, 16)} UTC)`,
    '',
    `Command: \`npm run bench\`; raw figures in \`${file}\`; wall time ${result.wallSeconds.toFixed(0)} s.`,
    '',
    '| What | Figure |',
    '| --- | --- |',
    ...rows,
    '',
    '',
  ].join('\n');
  const at = text.indexOf('\n## ');
  writeFileSync(path, at < 0 ? `${text}\n${section}` : `${text.slice(0, at + 1)}${section}${text.slice(at + 1)}`);
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(`bench failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
