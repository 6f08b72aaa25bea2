import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import {
  type FunctionConfiguration,
  LambdaClient,
  paginateListFunctions,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  paginateGetExecutionHistory,
} from '@aws-sdk/client-sfn';
import { keys } from '../../../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN } from '../../../lambdas/contracts/order-rules';
import type { StackOutputs } from '../../../lambdas/contracts/stack-outputs';
import { orderIdOf } from '../../../lambdas/messages/envelope';
import type { OrderItem } from '../../../lambdas/messages/schemas';
import { deployLocal, destroyLocal, readOutputs, STACK } from '../../../localstack/deploy';
import { awsEnv, endpoint, engineClientConfig, ensureEngine, LOG_FILE } from '../../../localstack/engine';
import { anOrder, connect, type System } from '../order-system';
import { hopsOfStack, logOffset, parseInternalHops, readSince } from './engine-log';
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
  /**
   * Also measure the Express copy of the stack (EXPRESS_STACK, deployed with `-c sagaMode=express` beside
   * the default one), the same way and with the same orders (default false: the bench measures the
   * default stack only).
   */
  express?: boolean;
  /**
   * `always`: deploy each measured stack first, so what is measured is this checkout's code (CDK leaves a
   * stack whose template and assets did not change as it is); `when-missing` (default): deploy only a stack
   * the engine does not have (the bench deploys right before it measures).
   */
  deploy?: 'always' | 'when-missing';
}

/** The Express copy's stack name: the one test/integration/order-saga.test.ts deploys beside the default. */
export const EXPRESS_STACK = 'OrderFlowExpress';

/** Marks a function whose endpoint the measurement redirected, so a crashed run can be undone next time. */
const MARKER = 'COST_RECORDER';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The functions of one stack (CloudFormation names them `<stack>-<logicalId>-<suffix>`). */
async function stackFunctions(lambda: LambdaClient, stack: string): Promise<FunctionConfiguration[]> {
  const out: FunctionConfiguration[] = [];
  for await (const page of paginateListFunctions({ client: lambda }, {})) {
    for (const fn of page.Functions ?? []) if (fn.FunctionName?.startsWith(`${stack}-`)) out.push(fn);
  }
  if (out.length === 0)
    throw new Error(`no ${stack}-* functions on ${endpoint()}; deploy first (npm run deploy:local)`);
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
async function redirectFunctions(
  lambda: LambdaClient,
  stack: string,
  recorderUrl: string,
  log: (line: string) => void,
) {
  const functions = await stackFunctions(lambda, stack);
  const originals = new Map<string, Record<string, string>>();
  for (const fn of functions) {
    const vars = withoutMarker({ ...(fn.Environment?.Variables ?? {}) });
    originals.set(fn.FunctionName!, vars);
    await setEnvironment(lambda, fn.FunctionName!, { ...vars, AWS_ENDPOINT_URL: recorderUrl, [MARKER]: '1' });
  }
  log(`cost: ${functions.length} ${stack} functions now call the engine through the recorder ${recorderUrl}`);
  return {
    functions,
    restore: async () => {
      for (const [name, vars] of originals) await setEnvironment(lambda, name, vars);
      log(`cost: restored the environment of ${originals.size} ${stack} functions`);
    },
  };
}

/** Undoes a redirect left behind by a measurement that was killed before it could restore the functions. */
async function undoLeftoverRedirect(lambda: LambdaClient, stack: string, log: (line: string) => void) {
  for (const fn of await stackFunctions(lambda, stack)) {
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
    /** The stack measured: only the engine's hops between its own resources are counted. */
    stack: string;
    /** Whether the saga logs execution data (Express does: its log is its only history). */
    includeExecutionData: boolean;
    recorder: Recorder;
    functions: FunctionConfiguration[];
    /** Function name → its logical id in the template (CloudFormation truncates long generated names). */
    logicalIds: Map<string, string>;
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
  log(`cost: ${ctx.stack} phase ${kind}: placing ${scenarios.length} orders, one every ${options.intervalMs} ms …`);
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

  const hops = hopsOfStack(parseInternalHops(readSince(LOG_FILE, offset)), ctx.stack);
  if (Object.keys(hops.eventBridgeToStepFunctions).length === 0) {
    throw new Error(
      `cost: ${LOG_FILE} shows no EventBridge → Step Functions delivery to ${ctx.stack} for this phase; the internal hops can only be ` +
        'counted from the log of an engine started by this repository (npm run engine:down, then rerun with --measure)',
    );
  }

  const lambda: PhaseRaw['lambda'] = {};
  for (const fn of ctx.functions) {
    const summary = summariseLambdaLog(await lambdaLogs(ctx.logs, fn, started - 500, ended));
    const logicalId = ctx.logicalIds.get(fn.FunctionName!);
    if (summary.invocations > 0)
      lambda[fn.FunctionName!] = {
        ...summary,
        localMemoryMb: fn.MemorySize ?? 128,
        ...(logicalId ? { logicalId } : {}),
      };
  }

  // On AWS, ListExecutions and GetExecutionHistory do not serve Express state machines
  // (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html,
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html): there the
  // history is in the saga's log group. MiniStack 1.5.33 keeps Express executions like Standard ones and
  // writes no execution log, so on the engine both modes are read back through these two calls.
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
      historyLogBytes: events.reduce(
        (n, ev) => n + historyLogEventBytes(ev, e.executionArn ?? '', ctx.includeExecutionData),
        0,
      ),
    });
  }
  if (executions.length !== orders.length) {
    throw new Error(
      `cost: ${ctx.stack} phase ${kind} placed ${orders.length} orders but found ${executions.length} saga executions for them`,
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
    `cost: ${ctx.stack} phase ${kind} settled in ${((ended - started) / 1000).toFixed(1)} s: ${recorder.calls.length - firstCall} API calls, ` +
      `${Object.values(lambda).reduce((n, f) => n + f.invocations, 0)} Lambda invocations, ${executions.length} executions`,
  );
  return raw;
}

/** The two phases of one stack. */
export interface Phases {
  confirmed: PhaseRaw;
  compensated: PhaseRaw;
}

/** One deployed copy of the stack, measured. */
export interface StackMeasurement {
  stack: string;
  /** The saga's workflow type as the engine describes it (`STANDARD` or `EXPRESS`). */
  stateMachineType: string;
  phases: Phases;
}

export interface Measurement {
  engine: { endpoint: string; startedByUs: boolean };
  /** The default stack (Standard saga). Its phases stay at the top, where older files and the bench have them. */
  phases: Phases;
  /** The default stack's name and saga type (absent in files written before both modes were measured). */
  standard?: Omit<StackMeasurement, 'phases'>;
  /** The Express copy, measured the same way (absent unless asked for, and in older files). */
  express?: StackMeasurement;
}

/** The stack deployed (always, or when the engine lacks it, as asked); its outputs and whether this run created it. */
async function stackReady(
  lambda: LambdaClient,
  stack: string,
  context: Record<string, string>,
  options: MeasureOptions,
): Promise<{ outputs: StackOutputs; created: boolean }> {
  const log = options.log;
  const always = options.deploy === 'always';
  const existed = await stackFunctions(lambda, stack).then(
    () => true,
    () => false,
  );
  if (existed && !always) {
    try {
      return { outputs: readOutputs(stack), created: false };
    } catch (error) {
      log(`cost: ${(error as Error).message}; deploying ${stack} again …`);
    }
  } else {
    log(
      existed
        ? `cost: deploying ${stack} so the measured code is this checkout's (CDK leaves it as it is when nothing changed) …`
        : `cost: ${stack} is not deployed on this engine; deploying …`,
    );
  }
  const outputs = await deployLocal({ log, quiet: true, ...(stack === STACK ? {} : { stackName: stack }), context });
  return { outputs, created: !existed };
}

/**
 * Each function's logical id, from the stack's resources. A generated function name is
 * `<stack>-<logicalId>-<suffix>` cut to 64 characters, so in a longer stack's names the logical id can be
 * cut short (`OrderFlowExpress-OrderTimelineConsumerFunctionAF386196473D79B057`); the template prices a
 * function by its logical id.
 */
async function functionLogicalIds(stack: string): Promise<Map<string, string>> {
  const cfn = new CloudFormationClient(engineClientConfig());
  const ids = new Map<string, string>();
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stack })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType !== 'AWS::Lambda::Function' || !r.PhysicalResourceId || !r.LogicalResourceId) continue;
      ids.set(r.PhysicalResourceId.split(':function:').pop()!.split(':')[0], r.LogicalResourceId);
    }
  }
  return ids;
}

/** The saga's workflow type on the engine, refused when it is not the one this stack is measured for. */
async function sagaType(sys: System, stack: string, expected: 'STANDARD' | 'EXPRESS'): Promise<string> {
  const { type } = await sys.sfn.send(
    new DescribeStateMachineCommand({ stateMachineArn: sys.outputs.StateMachineArn }),
  );
  if (type !== expected) {
    const fix =
      stack === STACK
        ? 'npm run deploy:local (cdk.json sets sagaMode standard)'
        : `npm run destroy:local -- --stack ${stack}, then rerun (it deploys ${stack} with -c sagaMode=express)`;
    throw new Error(
      `cost: ${stack}'s saga is ${type ?? 'of no type'} on this engine, expected ${expected}; fix: ${fix}`,
    );
  }
  return type;
}

/**
 * Measures one deployed stack: its functions pointed at the recorder for the run, a warm-up (discarded;
 * the engine restarts a function's worker when its configuration changes), then the confirmed and the
 * compensated phase. The functions are restored whatever happens.
 */
async function measureStack(
  stack: string,
  outputs: StackOutputs,
  expected: 'STANDARD' | 'EXPRESS',
  shared: { lambda: LambdaClient; logs: CloudWatchLogsClient; recorder: Recorder; options: MeasureOptions },
): Promise<StackMeasurement> {
  const { lambda, logs, recorder, options } = shared;
  const log = options.log;
  const sys = connect(outputs, awsEnv());
  const stateMachineType = await sagaType(sys, stack, expected);
  const logicalIds = await functionLogicalIds(stack);
  await undoLeftoverRedirect(lambda, stack, log);
  const redirect = await redirectFunctions(lambda, stack, recorder.url, log);
  try {
    const sku = sys.uniqueId('cost-sku');
    await sys.seedStock(sku, 1_000_000);
    const ctx = {
      sys,
      stack,
      includeExecutionData: expected === 'EXPRESS',
      recorder,
      functions: redirect.functions,
      logicalIds,
      logs,
      sku,
      options,
    };
    log(`cost: ${stack} (${stateMachineType} saga): warm-up (1 confirmed + 1 compensated order, not counted) …`);
    await runPhase('confirmed', ['ok'], ctx).catch((error) => {
      throw new Error(`cost: ${stack} warm-up failed: ${(error as Error).message}`);
    });
    await runPhase('compensated', ['declined'], ctx);

    const confirmed = await runPhase('confirmed', Array<Scenario>(options.confirmed).fill('ok'), ctx);
    const compensated = await runPhase(
      'compensated',
      Array.from({ length: options.compensated }, (_, i): Scenario => (i % 2 === 0 ? 'declined' : 'unserviceable')),
      ctx,
    );
    return { stack, stateMachineType, phases: { confirmed, compensated } };
  } finally {
    await redirect
      .restore()
      .catch((error) => log(`cost: could not restore the ${stack} functions: ${(error as Error).message}`));
  }
}

/**
 * Drives a measured batch through the local stack: warm-up (discarded), then confirmed orders, then
 * compensated ones (declined cards and unserviceable destinations alternately), each phase settled
 * and counted on its own; with `express`, the same again on the Express copy. Starts the engine and
 * deploys when needed; stops an engine it started, and destroys an Express copy it deployed on an engine
 * it keeps running (its pollers would load the engine for whatever runs next).
 */
export async function measure(options: MeasureOptions): Promise<Measurement> {
  const log = options.log;
  const url = endpoint();
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost')
    throw new Error(`cost --measure runs on loopback only; AWS_ENDPOINT_URL is ${url}`);
  const engine = await ensureEngine({ log });
  let recorder: Recorder | undefined;
  let expressCreated = false;
  try {
    const lambda = new LambdaClient(engineClientConfig());
    const logs = new CloudWatchLogsClient(engineClientConfig());
    recorder = await startRecorder(url);
    const shared = { lambda, logs, recorder, options };
    // One stack after the other, each deployed right before it is measured: a copy deployed but not yet
    // measured would only add its idle pollers to the engine's load.
    const standardStack = await stackReady(lambda, STACK, {}, options);
    const standard = await measureStack(STACK, standardStack.outputs, 'STANDARD', shared);
    let express: StackMeasurement | undefined;
    if (options.express) {
      const expressStack = await stackReady(lambda, EXPRESS_STACK, { sagaMode: 'express' }, options);
      expressCreated = expressStack.created;
      express = await measureStack(EXPRESS_STACK, expressStack.outputs, 'EXPRESS', shared);
    }
    return {
      engine: { endpoint: url, startedByUs: engine.startedByUs },
      phases: standard.phases,
      standard: { stack: standard.stack, stateMachineType: standard.stateMachineType },
      ...(express ? { express } : {}),
    };
  } finally {
    if (recorder) await recorder.close();
    if (expressCreated && !engine.startedByUs) {
      await destroyLocal({ stackName: EXPRESS_STACK, quiet: true, log }).catch((error) =>
        log(`cost: could not remove the ${EXPRESS_STACK} copy it deployed: ${(error as Error).message}`),
      );
    }
    if (engine.startedByUs) await engine.stop();
  }
}
