import { writeFileSync } from 'node:fs';
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import {
  type FunctionConfiguration,
  LambdaClient,
  paginateListFunctions,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { keys } from '../../../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN } from '../../../lambdas/contracts/order-rules';
import type { StackOutputs } from '../../../lambdas/contracts/stack-outputs';
import { deployLocal, readOutputs, STACK } from '../../../localstack/deploy';
import { awsEnv, endpoint, engineClientConfig, ensureEngine } from '../../../localstack/engine';
import { type Recorder, startRecorder } from '../cost/recorder';
import { anOrder, connect, type System } from '../order-system';
import { collect, FIXTURE_PATH, lambdasHash, type RecordedFixture, type RecordedRequest } from './recorded';

const MARKER = 'ACCESS_RECORDER';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stackFunctions(lambda: LambdaClient): Promise<FunctionConfiguration[]> {
  const out: FunctionConfiguration[] = [];
  for await (const page of paginateListFunctions({ client: lambda }, {}))
    for (const fn of page.Functions ?? []) if (fn.FunctionName?.startsWith(`${STACK}-`)) out.push(fn);
  return out;
}

const setVariables = (lambda: LambdaClient, name: string, Variables: Record<string, string>) =>
  lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: { Variables } }));

/** The engine origin a value starts with, if it is a URL on the engine (as the engine writes queue URLs). */
function engineUrlOf(value: string): string | undefined {
  const port = new URL(endpoint()).port;
  const m = new RegExp(`^https?://(?:localhost|127\\.0\\.0\\.1):${port}(?=/)`).exec(value);
  return m?.[0];
}

/** A function's variables as they were before a redirect (the marker holds the values it rerouted). */
function withoutMarker(vars: Record<string, string>): Record<string, string> {
  const { [MARKER]: marker, AWS_ENDPOINT_URL: _redirected, ...rest } = vars;
  if (!marker) return vars;
  return { ...rest, ...(JSON.parse(marker) as Record<string, string>) };
}

/** Physical id → logical id of every resource of the deployed stack (a queue's physical id is its URL). */
async function logicalIds(): Promise<(physical: string) => string> {
  const cfn = new CloudFormationClient(engineClientConfig());
  const map = new Map<string, string>();
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: STACK }))
    for (const r of page.StackResourceSummaries ?? []) {
      const physical = r.PhysicalResourceId ?? '';
      map.set(physical, r.LogicalResourceId!);
      map.set(physical.split('/').pop()!, r.LogicalResourceId!);
      map.set(physical.split(':').pop()!, r.LogicalResourceId!);
    }
  return (physical) => {
    const id = map.get(physical);
    if (!id) throw new Error(`record: ${physical} is not a resource of stack ${STACK}`);
    return id;
  };
}

async function waitFor(what: string, test: () => Promise<boolean>, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await test()) return;
    await sleep(1000);
  }
  throw new Error(`record: timed out waiting for ${what}`);
}

async function depth(sys: System, url: string): Promise<number> {
  const a = await sys.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/**
 * Records every AWS call each function of the deployed local stack makes while a batch runs through it:
 * a confirmed order over 100 (loyalty's filter), a confirmed one under it, a declined card and an
 * unserviceable destination (both compensations), and one malformed message on each consumer queue (the
 * park-to-DLQ path). Each function is pointed at its own loopback recorder, so every call is attributed.
 */
export async function record(log: (line: string) => void): Promise<RecordedFixture> {
  const url = endpoint();
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost')
    throw new Error(`record runs on loopback only; AWS_ENDPOINT_URL is ${url}`);
  const engine = await ensureEngine({ log });
  const lambda = new LambdaClient(engineClientConfig());
  const recorders = new Map<string, Recorder>();
  const originals = new Map<string, Record<string, string>>();
  try {
    let outputs: StackOutputs;
    try {
      outputs = readOutputs();
      if ((await stackFunctions(lambda)).length === 0) throw new Error('not deployed');
    } catch {
      log('record: deploying the local stack …');
      outputs = await deployLocal({ log, quiet: true });
    }
    const sys = connect(outputs, awsEnv());
    const logicalOf = await logicalIds();
    for (const fn of await stackFunctions(lambda)) {
      const vars = withoutMarker({ ...(fn.Environment?.Variables ?? {}) });
      originals.set(fn.FunctionName!, vars);
      const recorder = await startRecorder(url, { keepBodies: true });
      recorders.set(fn.FunctionName!, recorder);
      // A queue URL in the environment (the park DLQ) is its own endpoint to the SQS client: route it through too.
      const rerouted = Object.fromEntries(Object.entries(vars).filter(([, v]) => engineUrlOf(v)));
      const routed = Object.fromEntries(
        Object.entries(vars).map(([k, v]) => [k, engineUrlOf(v) ? v.replace(engineUrlOf(v)!, recorder.url) : v]),
      );
      // The marker keeps the rerouted originals, so a killed recording is undone by the next one.
      await setVariables(lambda, fn.FunctionName!, {
        ...routed,
        AWS_ENDPOINT_URL: recorder.url,
        [MARKER]: JSON.stringify(rerouted),
      });
    }
    log(`record: ${recorders.size} functions call the engine through their own recorder`);
    const total = () => [...recorders.values()].reduce((n, r) => n + r.calls.length, 0);
    const quiet = async (ms: number) => {
      let last = total();
      let since = Date.now();
      await waitFor('the stack to go quiet', async () => {
        if (total() !== last) {
          last = total();
          since = Date.now();
        }
        return Date.now() - since >= ms;
      });
    };

    const sku = sys.uniqueId('access-sku');
    await sys.seedStock(sku, 1000);
    const orders = [
      anOrder(sys, { items: [{ sku, quantity: 2, unitPrice: 120 }] }),
      anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 15 }] }),
      anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 15 }], paymentToken: DECLINED_PAYMENT_TOKEN }),
      anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 15 }], shipToCountry: 'AQ' }),
    ];
    for (const order of orders) await sys.placeOrder(order);
    log(`record: placed ${orders.length} orders (2 confirmed, 1 declined, 1 unserviceable) …`);
    await waitFor('every order to be final', async () => {
      const statuses = await Promise.all(orders.map((o) => sys.serviceRecord(keys.order(o.data.orderId))));
      return statuses.every((s) => s?.status === 'CONFIRMED' || s?.status === 'CANCELLED');
    });
    await quiet(8000);

    log('record: one malformed message on each consumer queue (parked to its DLQ) …');
    for (const [queue, dlq, fifo] of [
      ['EmailQueueUrl', 'EmailDlqUrl', false],
      ['AnalyticsQueueUrl', 'AnalyticsDlqUrl', false],
      ['LoyaltyQueueUrl', 'LoyaltyDlqUrl', false],
      ['OrderTimelineQueueUrl', 'OrderTimelineDlqUrl', true],
    ] as const) {
      const before = await depth(sys, sys.outputs[dlq]);
      await sys.sqs.send(
        new SendMessageCommand({
          QueueUrl: sys.outputs[queue],
          MessageBody: 'not an envelope',
          ...(fifo ? { MessageGroupId: 'access-check', MessageDeduplicationId: sys.uniqueId('bad') } : {}),
        }),
      );
      await waitFor(`${dlq} to receive the parked message`, async () => (await depth(sys, sys.outputs[dlq])) > before);
    }
    await quiet(5000);

    const requests: RecordedRequest[] = [];
    for (const [name, recorder] of recorders) collect(requests, logicalOf(name), recorder.calls, logicalOf);
    requests.sort((a, b) => `${a.function} ${a.action}`.localeCompare(`${b.function} ${b.action}`));
    const fixture: RecordedFixture = {
      about:
        'Every AWS call each function made on the local stack during `npm run verify:access -- --record` ' +
        '(confirmed, declined and unserviceable orders, one malformed message per consumer queue), by logical id.',
      lambdasHash: lambdasHash(),
      requests,
    };
    writeFileSync(FIXTURE_PATH, `${JSON.stringify(fixture, null, 2)}\n`);
    log(`record: ${requests.length} distinct requests from ${total()} calls written to ${FIXTURE_PATH}`);
    return fixture;
  } finally {
    for (const [name, vars] of originals)
      await setVariables(lambda, name, vars).catch((e) =>
        log(`record: could not restore ${name}: ${(e as Error).message}`),
      );
    for (const r of recorders.values()) await r.close();
    if (engine.startedByUs) await engine.stop();
  }
}
