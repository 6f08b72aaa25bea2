/**
 * The cost model (`npm run cost`): what a million orders cost on AWS, line by line, for a Standard and an
 * Express saga, plus the fixed monthly cost, from per-order counts measured on the local engine (each saga
 * mode on its own deployment) and the price table in cost/prices.json.
 *
 *   npm run cost                          # price the latest measurement in bench/results/cost-*.json
 *                                         # (warns on stderr when it is older than the code at HEAD)
 *   npm run cost -- --measure             # measure both modes first (engine + deploy), then price
 *   npm run cost -- --measure --confirmed 20 --compensated 6 --interval-ms 1500 --mix 0.85
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { pinnedVersion, ROOT } from '../localstack/engine';
import { describeCommit, type SourceCommit, sourceCommit } from './lib/bench/commit';
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';
import { EXPRESS_STACK, type Measurement, measure, type Phases } from './lib/cost/measure';
import { blendUsage, fixedMonthlyLines, modeResult, type SagaMode, type SagaType } from './lib/cost/model';
import { loadPriceTable, type PriceTable, unverifiedPrices } from './lib/cost/prices';
import { apiCallTable, fixedTable, modeTable, usageTable } from './lib/cost/report';
import { checkFreshness, freshnessWarning, gitIn } from './lib/cost/staleness';
import { countFixedResources, type FixedResources, readTemplate } from './lib/cost/template';
import { perOrderUsage } from './lib/cost/usage';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const RESULTS_DIR = join(ROOT, 'bench', 'results');
const rel = (p: string) => relative(process.cwd(), p) || '.';

interface Args {
  measure: boolean;
  confirmed: number;
  compensated: number;
  intervalMs: number;
  mix: number;
  prices: string;
  template: string;
  input?: string;
}

export const CLI = command({
  name: 'cost',
  helpCommand: 'npm run cost -- --help',
  usage: `usage: npm run cost -- [--measure [--confirmed N] [--compensated N] [--interval-ms MS]] [--mix F]
                           [--prices FILE] [--template FILE] [--input FILE]

The cost model: what a million orders cost on AWS, line by line, for a Standard and an Express
saga, plus the fixed monthly cost, from per-order counts measured on the local engine and the
price table. Without --measure it prices the newest measurement in bench/results/cost-*.json,
and warns on stderr when that measurement is older than the code at HEAD (git: the commit it
records against HEAD, for lambdas/, lib/, bin/ and cdk.json).
With --measure it first measures, against the local engine only (AWS_ENDPOINT_URL must be a
loopback address, default http://127.0.0.1:4566; started if none answers and stopped again):
it deploys the stack (Standard saga) and its Express copy ${EXPRESS_STACK} beside it
(-c sagaMode=express) from this checkout, points their functions at a recording proxy for the
run (restored afterwards) and drives the same orders through each. Synthesizes cdk.out first
(npx cdk synth -q) when the template is missing or older than bin/ and lib/. Exit code 0 on
success, 1 on any error, 2 for bad arguments.

options
  --measure            measure first, then price
  --confirmed N        --measure: orders that end confirmed, per saga mode (default 20, 1 to 200)
  --compensated N      --measure: orders that end compensated, per saga mode (default 6, 1 to 100)
  --interval-ms MS     --measure: pause between orders (default 1500, 0 to 60000)
  --mix F              share of confirmed orders in the blend, 0 to 1 (default 0.85)
  --prices FILE        the price table (default cost/prices.json)
  --template FILE      the synthesized template (default cdk.out/OrderFlow.template.json)
  --input FILE         the measurement to price (default the newest bench/results/cost-*.json)
  -h, --help           this text

what it writes
  with --measure: bench/results/cost-<date>.json (commit, measurement, prices and result), the
  deployments (.engine/outputs.json, .engine/outputs.${EXPRESS_STACK}.json) and the measurement's
  orders on the engine (an Express copy it deployed on an engine it did not start is removed
  again); without it, nothing (it prints). cdk.out when it synthesizes.`,
  config: {
    options: {
      measure: { type: 'boolean', default: false },
      confirmed: { type: 'string' },
      compensated: { type: 'string' },
      'interval-ms': { type: 'string' },
      mix: { type: 'string' },
      prices: { type: 'string' },
      template: { type: 'string' },
      input: { type: 'string' },
      help: HELP_OPTION,
    },
  },
});

/** The validated options, or undefined when parseCommandLine has answered (help or bad arguments). */
function options(argv: string[]): Args | undefined {
  const parsed = parseCommandLine(CLI, argv);
  if (!parsed) return undefined;
  const { values } = parsed;
  const int = (flag: 'confirmed' | 'compensated' | 'interval-ms', fallback: number, min: number, max: number) => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${flag} must be an integer from ${min} to ${max}, got ${raw}`);
    return n;
  };
  const mix = values.mix === undefined ? 0.85 : Number(values.mix);
  if (!(mix >= 0 && mix <= 1))
    throw new Error(`--mix is the share of confirmed orders, from 0 to 1, got ${values.mix}`);
  return {
    measure: values.measure,
    confirmed: int('confirmed', 20, 1, 200),
    compensated: int('compensated', 6, 1, 100),
    intervalMs: int('interval-ms', 1500, 0, 60_000),
    mix,
    prices: values.prices ?? join(ROOT, 'cost', 'prices.json'),
    template: values.template ?? join(ROOT, 'cdk.out', 'OrderFlow.template.json'),
    input: values.input,
  };
}

/** Newest modification time of the files under the CDK app's sources. */
function newestSource(): number {
  let newest = 0;
  for (const dir of ['bin', 'lib']) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** The synthesized template, synthesizing it first when it is missing or older than the app's sources. */
function fixedResources(templateFile: string): FixedResources {
  if (!existsSync(templateFile) || statSync(templateFile).mtimeMs < newestSource()) {
    console.log(
      `cost: ${rel(templateFile)} is missing or older than bin/ and lib/; running npx cdk synth -q (about a minute) …`,
    );
    const r = spawnSync('npx', ['cdk', 'synth', '-q'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`npx cdk synth -q failed (exit ${r.status})`);
  }
  return countFixedResources(readTemplate(templateFile));
}

export interface ResultsFile {
  kind: 'cost';
  measuredAt: string;
  /** The checkout measured, and whether its work tree had changes (absent in files from before 2026-12-02 17:00 UTC). */
  commit?: SourceCommit;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; platform: string; node: string };
  versions: { ministack: string; awsCdkLib: string; node: string };
  options: { confirmed: number; compensated: number; intervalMs: number };
  method: Record<string, string>;
  measurement: Measurement;
  result?: unknown;
}

/** How each figure was obtained, written next to the figures. */
const METHOD = {
  apiCalls:
    'exact: every AWS API call the functions made, seen by a recording proxy on loopback that the functions were pointed at (AWS_ENDPOINT_URL)',
  dynamodbCapacity:
    "engine-reported: the recorder adds ReturnConsumedCapacity=TOTAL to each DynamoDB data-plane call and sums the engine's ConsumedCapacity (transactions at 2x by the engine)",
  internalHops:
    'exact: rule deliveries (EventBridge → SFN/SNS/SQS), SNS → SQS fan-out and Lambda poller batches counted from the engine log (MiniStack logs each at INFO)',
  sqsPollerRequests:
    'assumed: one ReceiveMessage and one DeleteMessageBatch per batch the poller handed to the function; idle long polls not included',
  lambda:
    'measured: invocations and durations from the REPORT lines in each function log group; billed at the template memory and architecture',
  stepFunctions:
    'exact: state transitions = states entered + task retries, from GetExecutionHistory of every execution of the batch',
  express: `measured: the Express copy (${EXPRESS_STACK}, deployed beside the default stack with -c sagaMode=express) driven with the same orders; 1 request per execution, duration from the engine's start and stop time of each execution rounded up to 100 ms, billed at 64 MB (assumed). Files without measurement.express model Express from the Standard executions instead`,
  logs: 'measured: bytes of the functions log lines minus the local-only Node 20 SDK notice; saga history log events (level ALL; execution data included for Express, left out for Standard, as each deploys) modelled from the history',
  kms: 'modelled upper bound: one KMS request per publish to a topic encrypted with a customer managed key',
};

function latestResults(): string {
  if (!existsSync(RESULTS_DIR)) throw new Error(`no ${rel(RESULTS_DIR)}; run npm run cost -- --measure first`);
  const files = readdirSync(RESULTS_DIR)
    .filter((f) => /^cost-.*\.json$/.test(f))
    .map((f) => join(RESULTS_DIR, f));
  if (files.length === 0) throw new Error(`no cost-*.json in ${rel(RESULTS_DIR)}; run npm run cost -- --measure first`);
  return files
    .map((f) => ({ f, at: (JSON.parse(readFileSync(f, 'utf8')) as ResultsFile).measuredAt ?? '' }))
    .sort((a, b) => a.at.localeCompare(b.at))
    .at(-1)!.f;
}

function resultsFileName(date: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  let name = join(RESULTS_DIR, `cost-${date}.json`);
  for (let i = 2; existsSync(name); i++) name = join(RESULTS_DIR, `cost-${date}-${i}.json`);
  return name;
}

/** Per-order usage of one stack's phases, confirmed, compensated and blended. */
function usageOf(phases: Phases, resources: FixedResources, mix: number, sagaType: SagaType) {
  const loggingLevel = resources.stateMachines[0]?.loggingLevel;
  const confirmed = perOrderUsage(phases.confirmed, resources, loggingLevel, sagaType);
  const compensated = perOrderUsage(phases.compensated, resources, loggingLevel, sagaType);
  return { confirmed, compensated, blended: blendUsage(confirmed, compensated, mix) };
}

/** Prices a measurement file: the report text and the result written beside the measurement. */
export function priceMeasurement(
  file: ResultsFile,
  prices: PriceTable,
  resources: FixedResources,
  mix: number,
  templateFile: string,
) {
  const measurement = file.measurement;
  const standardUsage = usageOf(measurement.phases, resources, mix, 'STANDARD');
  // A file from before both modes were measured prices Express from the Standard executions (modelled).
  const expressUsage = measurement.express
    ? usageOf(measurement.express.phases, resources, mix, 'EXPRESS')
    : standardUsage;
  const blendLabel = `${Math.round(mix * 100)}/${Math.round((1 - mix) * 100)}`;
  const modes = [
    {
      mode: 'standard' as SagaMode,
      stack: measurement.standard?.stack ?? 'OrderFlow',
      basis: 'measured' as const,
      perOrder: standardUsage,
    },
    {
      mode: 'express' as SagaMode,
      stack: measurement.express?.stack,
      basis: measurement.express ? ('measured' as const) : ('modelled' as const),
      perOrder: expressUsage,
    },
  ].map((m) => ({
    ...m,
    confirmed: modeResult(m.perOrder.confirmed, prices, m.mode),
    compensated: modeResult(m.perOrder.compensated, prices, m.mode),
    blended: modeResult(m.perOrder.blended, prices, m.mode),
  }));
  const [standard, express] = modes;
  const fixed = fixedMonthlyLines(resources, prices);
  // Both modes measured: their per-order counts side by side; otherwise one set, as measured.
  const kinds = measurement.express
    ? [
        { label: 'Std confirm', usage: standardUsage.confirmed },
        { label: 'Std compens', usage: standardUsage.compensated },
        { label: `Std ${blendLabel}`, usage: standardUsage.blended },
        { label: 'Exp confirm', usage: expressUsage.confirmed },
        { label: 'Exp compens', usage: expressUsage.compensated },
        { label: `Exp ${blendLabel}`, usage: expressUsage.blended },
      ]
    : [
        { label: 'confirmed', usage: standardUsage.confirmed },
        { label: 'compensated', usage: standardUsage.compensated },
        { label: `blend ${blendLabel}`, usage: standardUsage.blended },
      ];
  const commit = file.commit ? `at commit ${describeCommit(file.commit)}` : 'commit not recorded';
  const out: string[] = [
    '================ cost model: OrderFlow on AWS us-east-1, on-demand list prices ================',
    `measurement  ${file.measuredAt} ${commit}: ${measurement.phases.confirmed.orders} confirmed + ${measurement.phases.compensated.orders} compensated orders ` +
      `${measurement.express ? 'per saga mode ' : ''}on MiniStack ${file.versions.ministack} (${file.machine.cpus} cores, Node ${file.machine.node})`,
    measurement.express
      ? `saga modes   Std = Standard, measured on ${standard.stack}; Exp = Express, measured on ${measurement.express.stack} (-c sagaMode=express)`
      : 'saga modes   Standard measured; Express modelled from the Standard executions (this file measured one mode)',
    `mix          ${Math.round(mix * 100)}% confirmed, ${Math.round((1 - mix) * 100)}% compensated (change with --mix)`,
    '',
    ...usageTable(kinds),
    '',
    ...apiCallTable(kinds),
    '',
  ];
  for (const m of modes) {
    const title =
      m.mode === 'standard'
        ? `cost per million orders, Standard saga (measured on ${m.stack}; blended mix)`
        : m.basis === 'measured'
          ? `cost per million orders, Express saga (measured on ${m.stack}, deployed with -c sagaMode=express; blended mix)`
          : 'cost per million orders, Express saga (MODELLED: same measured steps and durations at Express prices; not measured in this file)';
    out.push(...modeTable(m.blended, title, prices));
    out.push(
      `  all confirmed: $${m.confirmed.total.toFixed(2)}/M orders; all compensated: $${m.compensated.total.toFixed(2)}/M orders`,
      '',
    );
  }
  out.push(...fixedTable(fixed, rel(templateFile)), '');
  const gbHours =
    ((express.blended.lines.find((l) => l.id === 'stepfunctions.expressDuration')?.quantityPerOrder ?? 0) * 1e6) / 3600;
  if (gbHours > 1000)
    out.push(
      `note: a million orders a month is ${gbHours.toFixed(0)} Express GB-hours, past the first price tier (1,000 GB-hours)`,
    );
  const unverified = unverifiedPrices(prices);
  out.push(
    unverified.length > 0
      ? `prices no source confirmed (marked unverified in ${rel(join(ROOT, 'cost', 'prices.json'))}): ${unverified.map((u) => `${u.key} ($${u.entry.usd} per ${u.entry.per}; nearest source ${u.entry.source})`).join('; ')}`
      : 'every price confirmed by a source',
    'not modelled: free tiers, idle SQS long polls by the Lambda pollers, log and archive storage, X-Ray traces (the saga has tracing on), data transfer',
    '',
    `per million orders, blend ${blendLabel}: Standard $${standard.blended.total.toFixed(2)}, Express $${express.blended.total.toFixed(2)} (${express.basis}); ` +
      `plus $${fixed.reduce((n, f) => n + f.usd, 0).toFixed(2)} a month fixed`,
  );
  return {
    text: out.join('\n'),
    json: {
      mix,
      modes: modes.map((m) => ({
        mode: m.mode,
        ...(m.stack ? { stack: m.stack } : {}),
        basis: m.basis,
        perOrder: m.perOrder,
        confirmed: m.confirmed,
        compensated: m.compensated,
        blended: m.blended,
      })),
      fixedMonthly: {
        lines: fixed,
        total: fixed.reduce((n, f) => n + f.usd, 0),
        template: rel(templateFile),
        resources,
      },
      unverifiedPrices: unverified.map((u) => u.key),
    },
  };
}

async function main() {
  const args = options(process.argv.slice(2));
  if (!args) return;
  const prices = loadPriceTable(args.prices);
  const resources = fixedResources(args.template);
  let file: ResultsFile;
  let target: string | undefined;
  let warning: string[] = [];
  if (args.measure) {
    const started = Date.now();
    // Read before deploying: the deployment is built from the work tree as it is now.
    const commit = sourceCommit(ROOT);
    if (commit.dirty)
      console.error(
        `cost: note: the work tree has uncommitted changes; they are deployed and measured, and the file records commit ${describeCommit(commit)}`,
      );
    const measurement = await measure({
      confirmed: args.confirmed,
      compensated: args.compensated,
      intervalMs: args.intervalMs,
      phaseTimeoutMs: 120_000 + (args.confirmed + args.compensated) * (args.intervalMs + 3000),
      log: (line) => console.log(line),
      express: true,
      deploy: 'always',
    });
    const cdkVersion = (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')) as { version: string }
    ).version;
    file = {
      kind: 'cost',
      measuredAt: new Date().toISOString(),
      commit,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 1024 ** 3),
        platform: `${process.platform}-${process.arch}`,
        node: process.versions.node,
      },
      versions: { ministack: pinnedVersion(), awsCdkLib: cdkVersion, node: process.versions.node },
      options: { confirmed: args.confirmed, compensated: args.compensated, intervalMs: args.intervalMs },
      method: METHOD,
      measurement,
    };
    target = resultsFileName(file.measuredAt.slice(0, 10));
    console.log(`cost: measured in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } else {
    const source = args.input ?? latestResults();
    file = JSON.parse(readFileSync(source, 'utf8')) as ResultsFile;
    if (file.kind !== 'cost' || !file.measurement?.phases) throw new Error(`${source} is not a cost measurement file`);
    console.log(`cost: pricing the measurement in ${rel(source)} (npm run cost -- --measure to measure again)`);
    // On stderr, so it is seen even when the report is piped or redirected; its first line again after the report.
    warning = freshnessWarning(checkFreshness(file, gitIn(ROOT)), file.measuredAt);
    for (const line of warning) console.error(`cost: ${line}`);
  }
  const { text, json } = priceMeasurement(file, prices, resources, args.mix, args.template);
  console.log(`\n${text}`);
  if (target) {
    writeFileSync(target, `${JSON.stringify({ ...file, prices: prices.prices, result: json }, null, 2)}\n`);
    console.log(`\ncost: wrote ${rel(target)}`);
  }
  if (warning[0]?.startsWith('WARNING')) console.error(`\ncost: ${warning[0]} (details above the report)`);
}

if (isMain(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
