import { CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import {
  type FunctionConfiguration,
  LambdaClient,
  paginateListFunctions,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, ListExecutionsCommand, paginateGetExecutionHistory } from '@aws-sdk/client-sfn';
import { keys } from '../../../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN } from '../../../lambdas/contracts/order-rules';
import type { StackOutputs } from '../../../lambdas/contracts/stack-outputs';
import { orderIdOf } from '../../../lambdas/messages/envelope';
import type { OrderItem } from '../../../lambdas/messages/schemas';
import { deployLocal, readOutputs, STACK } from '../../../localstack/deploy';
import { awsEnv, endpoint, engineClientConfig, ensureEngine, LOG_FILE } from '../../../localstack/engine';
import { anOrder, connect, type System } from '../order-system';
import { logOffset, parseInternalHops, readSince } from './engine-log';
import { type Recorder, startRecorder } from './recorder';
import { historyLogEventBytes, type PhaseRaw, summariseCalls, summariseLambdaLog, transitionsOf } from './usage';

export interface MeasureOptions {
  confirmed: number;
  compensated: number;
  /** Pause between two orders (a gentle rate keeps the engine's queueing out of the durations). */
  intervalMs: number;
  /** Upper bound for one phase to settle. */
  phaseTimeoutMs: number;
  log: (line: string) => void;
}

/** Marks a function whose endpoint the measurement redirected, so a crashed run can be undone next time. */
const MARKER = 'COST_RECORDER';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stackFunctions(lambda: LambdaClient): Promise<FunctionConfiguration[]> {
  const out: FunctionConfiguration[] = [];
  for await (const page of paginateListFunctions({ client: lambda }, {})) {
    for (const fn of page.Functions ?? []) if (fn.FunctionName?.startsWith(`${STACK}-`)) out.push(fn);
  }
  if (out.length === 0)
    throw new Error(`no ${STACK}-* functions on ${endpoint()}; deploy first (npm run deploy:local)`);
  return out;
}

function withoutMarker(vars: Record<string, string>): Record<string, string> {
  const { [MARKER]: marker, AWS_ENDPOINT_URL: redirected, ...rest } = vars;
  return marker ? rest : vars;
}

async function setEnvironment(lambda: LambdaClient, name: string, variables: Record<string, string>) {
  await lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: { Variables: variables } }),
  );
}

/**
 * Points every function of the stack at the recorder (their SDK clients read AWS_ENDPOINT_URL; the
 * engine restarts a function's worker when its configuration changes). Returns the undo.
 */
async function redirectFunctions(lambda: LambdaClient, recorderUrl: string, log: (line: string) => void) {
  const functions = await stackFunctions(lambda);
  const originals = new Map<string, Record<string, string>>();
  for (const fn of functions) {
    const vars = withoutMarker({ ...(fn.Environment?.Variables ?? {}) });
    originals.set(fn.FunctionName!, vars);
    await setEnvironment(lambda, fn.FunctionName!, { ...vars, AWS_ENDPOINT_URL: recorderUrl, [MARKER]: '1' });
  }
  log(`cost: ${functions.length} functions now call the engine through the recorder ${recorderUrl}`);
  return {
    functions,
    restore: async () => {
      for (const [name, vars] of originals) await setEnvironment(lambda, name, vars);
      log(`cost: restored the environment of ${originals.size} functions`);
    },
  };
}

/** Undoes a redirect left behind by a measurement that was killed before it could restore the functions. */
async function undoLeftoverRedirect(lambda: LambdaClient, log: (line: string) => void) {
  for (const fn of await stackFunctions(lambda)) {
    const vars = fn.Environment?.Variables ?? {};
    if (vars[MARKER]) {
      await setEnvironment(lambda, fn.FunctionName!, withoutMarker({ ...vars }));
      log(`cost: undid a leftover recorder redirect on ${fn.FunctionName}`);
    }
  }
}

type Scenario = 'ok' | 'declined' | 'unserviceable';

/** Waits until every order is final and nothing has moved (no API call, no engine log line) for `quietMs`. */
async function settle(
  sys: System,
  orderIds: string[],
  recorder: Recorder,
  timeoutMs: number,
  log: (l: string) => void,
) {
  const deadline = Date.now() + timeoutMs;
  const statuses = new Map<string, string>();
  let lastMoved = Date.now();
  let lastSignature = '';
  let lastReport = 0;
  while (Date.now() < deadline) {
    for (const id of orderIds) {
      if (statuses.has(id)) continue;
      const record = await sys.serviceRecord(keys.order(id));
      if (record?.status === 'CONFIRMED' || record?.status === 'CANCELLED') statuses.set(id, record.status as string);
    }
    const signature = `${recorder.calls.length}/${logOffset(LOG_FILE)}`;
    if (signature !== lastSignature) {
      lastSignature = signature;
      lastMoved = Date.now();
    }
    if (Date.now() - lastReport > 5000) {
      log(`cost:   ${statuses.size}/${orderIds.length} orders final, ${recorder.calls.length} API calls recorded`);
      lastReport = Date.now();
    }
    if (statuses.size === orderIds.length && Date.now() - lastMoved >= 4000) return statuses;
    await sleep(500);
  }
  throw new Error(
    `cost: the batch did not settle within ${timeoutMs / 1000} s (${statuses.size}/${orderIds.length} orders final); is the engine busy?`,
  );
}

function orderFor(sys: System, scenario: Scenario, index: number, sku: string) {
  // Half the confirmed orders total at least 100, so the loyalty subscription's filter matches them.
  const items: OrderItem[] = [{ sku, quantity: 1 + (index % 2), unitPrice: index % 2 === 0 ? 120 : 15 }];
  return anOrder(sys, {
    items,
    paymentToken: scenario === 'declined' ? DECLINED_PAYMENT_TOKEN : 'tok_visa',
    shipToCountry: scenario === 'unserviceable' ? 'AQ' : 'DE',
  });
}

async function lambdaLogs(logs: CloudWatchLogsClient, fn: FunctionConfiguration, startTime: number, endTime: number) {
  const group = fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${fn.FunctionName}`;
  const messages: string[] = [];
  try {
    for await (const page of paginateFilterLogEvents({ client: logs }, { logGroupName: group, startTime, endTime })) {
      for (const e of page.events ?? []) messages.push(e.message ?? '');
    }
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  return messages;
}

async function runPhase(
  kind: PhaseRaw['kind'],
  scenarios: Scenario[],
  ctx: {
    sys: System;
    recorder: Recorder;
    functions: FunctionConfiguration[];
    logs: CloudWatchLogsClient;
    sku: string;
    options: MeasureOptions;
  },
): Promise<PhaseRaw> {
  const { sys, recorder, options } = ctx;
  const log = options.log;
  const firstCall = recorder.calls.length;
  const offset = logOffset(LOG_FILE);
  const started = Date.now();
  log(`cost: phase ${kind}: placing ${scenarios.length} orders, one every ${options.intervalMs} ms …`);
  const orders = scenarios.map((s, i) => ({ scenario: s, order: orderFor(sys, s, i, ctx.sku) }));
  const clientEntryBytes: number[] = [];
  for (const { order } of orders) {
    await sys.placeOrder(order);
    clientEntryBytes.push(
      Buffer.byteLength(order.source, 'utf8') +
        Buffer.byteLength(order.type, 'utf8') +
        Buffer.byteLength(JSON.stringify(order), 'utf8'),
    );
    await sleep(options.intervalMs);
  }
  const statuses = await settle(
    sys,
    orders.map((o) => o.order.data.orderId),
    recorder,
    options.phaseTimeoutMs,
    log,
  );
  const ended = Date.now();
  const expected = kind === 'confirmed' ? 'CONFIRMED' : 'CANCELLED';
  const wrong = [...statuses.entries()].filter(([, s]) => s !== expected);
  if (wrong.length > 0)
    throw new Error(`cost: phase ${kind} expected every order ${expected}, got ${JSON.stringify(wrong)}`);

  const hops = parseInternalHops(readSince(LOG_FILE, offset));
  if (Object.keys(hops.eventBridgeToStepFunctions).length === 0) {
    throw new Error(
      `cost: ${LOG_FILE} shows no EventBridge → Step Functions delivery for this phase; the internal hops can only be ` +
        'counted from the log of an engine started by this repository (npm run engine:down, then rerun with --measure)',
    );
  }

  const lambda: PhaseRaw['lambda'] = {};
  for (const fn of ctx.functions) {
    const summary = summariseLambdaLog(await lambdaLogs(ctx.logs, fn, started - 500, ended));
    if (summary.invocations > 0) lambda[fn.FunctionName!] = { ...summary, localMemoryMb: fn.MemorySize ?? 128 };
  }

  const list = await sys.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: sys.outputs.StateMachineArn, maxResults: 1000 }),
  );
  const ids = new Set(orders.map((o) => o.order.data.orderId));
  const executions: PhaseRaw['executions'] = [];
  for (const e of list.executions ?? []) {
    if (!e.startDate || e.startDate.getTime() < started - 1000) continue;
    const described = await sys.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
    const orderId = orderIdOf(JSON.parse(described.input ?? '{}'));
    if (!orderId || !ids.has(orderId)) continue;
    const events: Record<string, unknown>[] = [];
    for await (const page of paginateGetExecutionHistory({ client: sys.sfn }, { executionArn: e.executionArn })) {
      events.push(...((page.events ?? []) as unknown as Record<string, unknown>[]));
    }
    const { transitions, retries } = transitionsOf(events as { type?: string }[]);
    executions.push({
      status: described.status ?? 'UNKNOWN',
      transitions,
      retries,
      durationMs: (described.stopDate?.getTime() ?? ended) - (described.startDate?.getTime() ?? started),
      historyEvents: events.length,
      historyLogBytes: events.reduce((n, ev) => n + historyLogEventBytes(ev, e.executionArn ?? ''), 0),
    });
  }
  if (executions.length !== orders.length) {
    throw new Error(
      `cost: phase ${kind} placed ${orders.length} orders but found ${executions.length} saga executions for them`,
    );
  }

  const raw: PhaseRaw = {
    kind,
    orders: orders.length,
    wallMs: ended - started,
    clientEntryBytes,
    calls: summariseCalls(recorder.calls.slice(firstCall)),
    hops,
    lambda,
    executions,
  };
  log(
    `cost: phase ${kind} settled in ${((ended - started) / 1000).toFixed(1)} s: ${recorder.calls.length - firstCall} API calls, ` +
      `${Object.values(lambda).reduce((n, f) => n + f.invocations, 0)} Lambda invocations, ${executions.length} executions`,
  );
  return raw;
}

export interface Measurement {
  engine: { endpoint: string; startedByUs: boolean };
  phases: { confirmed: PhaseRaw; compensated: PhaseRaw };
}

/**
 * Drives a measured batch through the local stack: warm-up (discarded), then confirmed orders, then
 * compensated ones (declined cards and unserviceable destinations alternately), each phase settled
 * and counted on its own. Starts the engine and deploys when needed; stops an engine it started.
 */
export async function measure(options: MeasureOptions): Promise<Measurement> {
  const log = options.log;
  const url = endpoint();
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost')
    throw new Error(`cost --measure runs on loopback only; AWS_ENDPOINT_URL is ${url}`);
  const engine = await ensureEngine({ log });
  let recorder: Recorder | undefined;
  let restore: (() => Promise<void>) | undefined;
  try {
    let outputs: StackOutputs;
    try {
      // Fails, naming them, when outputs are missing: then the stack is (re)deployed.
      outputs = readOutputs();
      await stackFunctions(new LambdaClient(engineClientConfig()));
    } catch {
      log('cost: the stack is not deployed on this engine; deploying …');
      outputs = await deployLocal({ log, quiet: true });
    }
    const sys = connect(outputs, awsEnv());
    const lambda = new LambdaClient(engineClientConfig());
    const logs = new CloudWatchLogsClient(engineClientConfig());
    await undoLeftoverRedirect(lambda, log);
    recorder = await startRecorder(url);
    const redirect = await redirectFunctions(lambda, recorder.url, log);
    restore = redirect.restore;
    const functions = redirect.functions;

    const sku = sys.uniqueId('cost-sku');
    await sys.seedStock(sku, 1_000_000);
    const ctx = { sys, recorder, functions, logs, sku, options };
    log('cost: warm-up (1 confirmed + 1 compensated order, not counted) …');
    await runPhase('confirmed', ['ok'], ctx).catch((error) => {
      throw new Error(`cost: warm-up failed: ${(error as Error).message}`);
    });
    await runPhase('compensated', ['declined'], ctx);

    const confirmed = await runPhase('confirmed', Array<Scenario>(options.confirmed).fill('ok'), ctx);
    const compensated = await runPhase(
      'compensated',
      Array.from({ length: options.compensated }, (_, i): Scenario => (i % 2 === 0 ? 'declined' : 'unserviceable')),
      ctx,
    );
    return { engine: { endpoint: url, startedByUs: engine.startedByUs }, phases: { confirmed, compensated } };
  } finally {
    if (restore)
      await restore().catch((error) => log(`cost: could not restore the functions: ${(error as Error).message}`));
    if (recorder) await recorder.close();
    if (engine.startedByUs) await engine.stop();
  }
}
