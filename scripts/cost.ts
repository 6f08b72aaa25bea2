/**
 * The cost model (`npm run cost`): what a million orders cost on AWS, line by line, for a Standard and an
 * Express saga, plus the fixed monthly cost, from per-order counts measured on the local engine and the
 * price table in cost/prices.json.
 *
 *   npm run cost                          # price the latest measurement in bench/results/cost-*.json
 *   npm run cost -- --measure             # measure first (engine + deploy if needed), then price
 *   npm run cost -- --measure --confirmed 20 --compensated 6 --interval-ms 1500 --mix 0.85
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { pinnedVersion, ROOT } from '../localstack/engine';
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';
import { type Measurement, measure } from './lib/cost/measure';
import { blendUsage, fixedMonthlyLines, modeResult, type PerOrderUsage } from './lib/cost/model';
import { loadPriceTable, type PriceTable, unverifiedPrices } from './lib/cost/prices';
import { apiCallTable, fixedTable, modeTable, usageTable } from './lib/cost/report';
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
price table. Without --measure it prices the newest measurement in bench/results/cost-*.json.
With --measure it first measures, against the local engine only (AWS_ENDPOINT_URL must be a
loopback address, default http://127.0.0.1:4566; started if none answers and stopped again,
stack deployed if needed): the functions are pointed at a recording proxy for the run and
restored afterwards. Synthesizes cdk.out first (npx cdk synth -q) when the template is missing
or older than bin/ and lib/. Exit code 0 on success, 1 on any error, 2 for bad arguments.

options
  --measure            measure first, then price
  --confirmed N        --measure: orders that end confirmed (default 20, 1 to 200)
  --compensated N      --measure: orders that end compensated (default 6, 1 to 100)
  --interval-ms MS     --measure: pause between orders (default 1500, 0 to 60000)
  --mix F              share of confirmed orders in the blend, 0 to 1 (default 0.85)
  --prices FILE        the price table (default cost/prices.json)
  --template FILE      the synthesized template (default cdk.out/OrderFlow.template.json)
  --input FILE         the measurement to price (default the newest bench/results/cost-*.json)
  -h, --help           this text

what it writes
  with --measure: bench/results/cost-<date>.json (measurement, prices and result), the
  deployment (.engine/outputs.json) and the measurement's orders on the engine; without it,
  nothing (it prints). cdk.out when it synthesizes.`,
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

interface ResultsFile {
  kind: 'cost';
  measuredAt: string;
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
  express: 'modelled: the same executions billed as Express (1 request each, duration rounded up to 100 ms at 64 MB)',
  logs: 'measured: bytes of the functions log lines minus the local-only Node 20 SDK notice; saga history log events (level ALL, no execution data) modelled from the history',
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

function price(file: ResultsFile, prices: PriceTable, resources: FixedResources, mix: number, templateFile: string) {
  const saga = resources.stateMachines[0];
  const confirmed = perOrderUsage(file.measurement.phases.confirmed, resources, saga?.loggingLevel);
  const compensated = perOrderUsage(file.measurement.phases.compensated, resources, saga?.loggingLevel);
  const blended: PerOrderUsage = blendUsage(confirmed, compensated, mix);
  const modes = (['standard', 'express'] as const).map((mode) => ({
    mode,
    confirmed: modeResult(confirmed, prices, mode),
    compensated: modeResult(compensated, prices, mode),
    blended: modeResult(blended, prices, mode),
  }));
  const fixed = fixedMonthlyLines(resources, prices);
  const kinds = [
    { label: 'confirmed', usage: confirmed },
    { label: 'compensated', usage: compensated },
    { label: `blend ${Math.round(mix * 100)}/${Math.round((1 - mix) * 100)}`, usage: blended },
  ];
  const out: string[] = [
    '================ cost model: OrderFlow on AWS us-east-1, on-demand list prices ================',
    `measurement  ${file.measuredAt}: ${file.measurement.phases.confirmed.orders} confirmed + ${file.measurement.phases.compensated.orders} compensated orders ` +
      `on MiniStack ${file.versions.ministack} (${file.machine.cpus} cores, Node ${file.machine.node})`,
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
        ? `cost per million orders, Standard saga (as deployed; blended mix)`
        : 'cost per million orders, Express saga (MODELLED: same measured steps and durations at Express prices; not deployed yet)';
    out.push(...modeTable(m.blended, title, prices));
    out.push(
      `  all confirmed: $${m.confirmed.total.toFixed(2)}/M orders; all compensated: $${m.compensated.total.toFixed(2)}/M orders`,
      '',
    );
  }
  out.push(...fixedTable(fixed, rel(templateFile)), '');
  const gbHours =
    ((modes[1].blended.lines.find((l) => l.id === 'stepfunctions.expressDuration')?.quantityPerOrder ?? 0) * 1e6) /
    3600;
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
  );
  return {
    text: out.join('\n'),
    json: {
      mix,
      perOrder: { confirmed, compensated, blended },
      modes: modes.map((m) => ({
        mode: m.mode,
        modelled: m.mode === 'express',
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
  if (args.measure) {
    const started = Date.now();
    const measurement = await measure({
      confirmed: args.confirmed,
      compensated: args.compensated,
      intervalMs: args.intervalMs,
      phaseTimeoutMs: 120_000 + (args.confirmed + args.compensated) * (args.intervalMs + 3000),
      log: (line) => console.log(line),
    });
    const cdkVersion = (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')) as { version: string }
    ).version;
    file = {
      kind: 'cost',
      measuredAt: new Date().toISOString(),
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
  }
  const { text, json } = price(file, prices, resources, args.mix, args.template);
  console.log(`\n${text}`);
  if (target) {
    writeFileSync(target, `${JSON.stringify({ ...file, prices: prices.prices, result: json }, null, 2)}\n`);
    console.log(`\ncost: wrote ${rel(target)}`);
  }
}

if (isMain(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
