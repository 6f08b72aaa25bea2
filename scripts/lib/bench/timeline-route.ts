import {
  DeleteRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  GetFunctionConfigurationCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { ENV } from '../../../lambdas/contracts/env';
import { CHECKOUT_SOURCE, ORDER_SERVICE_SOURCE } from '../../../lambdas/contracts/events';
import { anOrder, type System } from '../order-system';
import { percentile } from '../stats';

/**
 * What one route delivered to its FIFO queue for the bench's orders, read back
 * from the queue: every message's body (the envelope), its message group and
 * its `SentTimestamp` (when SQS accepted it).
 */
export interface RouteFigures {
  route: string;
  /** Messages of the bench's orders found in the queue. */
  eventsDelivered: number;
  /** Of the expected events (5 per confirmed order). */
  eventsExpected: number;
  /** Delivered events ÷ seconds from the first event's `time` to the last `SentTimestamp`. */
  eventsPerSecond: number;
  /** `SentTimestamp` − the event's `time`, per event (ms). */
  latencyMs: { p50: number; p95: number; max: number };
  /** Distinct message groups the bench's events are in. */
  messageGroups: number;
  /** Orders whose events sit in their group in version order (a checkout OrderPlaced counts as version 1). */
  ordersInVersionOrder: number;
}

export interface TimelineRouteResult {
  orders: number;
  offeredPerSecond: number;
  /** The route this change removed: a rule on the bus with the old target (a fixed-string message group). */
  ruleRoute: RouteFigures;
  /** The route in use: the relay's SendMessageBatch, message group = order id. */
  relayRoute: RouteFigures;
}

/** The old timeline rule's pattern (before the relay took the route over), narrowed to this run's orders. */
function oldRulePattern(orderIdPrefix: string) {
  return {
    source: [CHECKOUT_SOURCE, ORDER_SERVICE_SOURCE],
    'detail-type': [{ prefix: 'Order' }, { prefix: 'Inventory' }, { prefix: 'Payment' }, { prefix: 'Shipment' }],
    detail: { data: { orderId: [{ prefix: orderIdPrefix }] } },
  };
}

/** Events of one confirmed order: OrderPlaced, InventoryReserved, PaymentCharged, ShipmentArranged, OrderConfirmed. */
const EVENTS_PER_CONFIRMED_ORDER = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Measures both timeline routes in one run, on the deployed stack, each into a
 * temporary FIFO probe queue that the bench drains (receive and delete):
 *
 * - the old route: a probe rule on the bus with the old target,
 *   `SqsParameters.MessageGroupId` = `$.detail.data.orderId` (which AWS and the
 *   engine send as that literal string), input `$.detail`;
 * - the route in use: the deployed relay, its `TIMELINE_QUEUE_URL` pointed at
 *   the second probe queue for the run (UpdateFunctionConfiguration) and put
 *   back afterwards. The real timeline queue is not read: every receive would
 *   count against its redrive policy.
 *
 * Places `orders` confirmed orders at `rate` per second. While it runs, every
 * order's events (not only the bench's) go to the relay's probe queue instead
 * of the timeline: run it on a local engine with nothing else going on. The
 * probe rule and queues are deleted at the end.
 */
export async function measureTimelineRoute(
  sys: System,
  lambda: LambdaClient,
  options: { orders: number; rate: number; settleSeconds: number; log?: (line: string) => void },
): Promise<TimelineRouteResult> {
  const log = options.log ?? (() => {});
  const run = sys.uniqueId('tlroute');
  const prefix = `${run}-`;
  const bus = sys.outputs.EventBusName;
  const relayName = await relayFunctionName(sys, lambda);
  const expected = options.orders * EVENTS_PER_CONFIRMED_ORDER;

  const ruleProbe = await createFifoQueue(sys, `${run}-rule.fifo`, {
    // What a rule sends as deduplication id is not documented (EventRouter.routeToFifoQueue refuses such a queue
    // for that reason); with content-based deduplication SQS derives it from the body either way.
    ContentBasedDeduplication: 'true',
  });
  // Like the timeline queue: the relay sends its own deduplication id (the event id).
  const relayProbe = await createFifoQueue(sys, `${run}-relay.fifo`, { ContentBasedDeduplication: 'false' });
  const { Environment } = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: relayName }));
  const relayEnvironment = Environment?.Variables ?? {};
  if (!relayEnvironment[ENV.TIMELINE_QUEUE_URL]) throw new Error(`${relayName} has no ${ENV.TIMELINE_QUEUE_URL}`);
  try {
    await sys.eventBridge.send(
      new PutRuleCommand({ Name: run, EventBusName: bus, EventPattern: JSON.stringify(oldRulePattern(prefix)) }),
    );
    await sys.eventBridge.send(
      new PutTargetsCommand({
        Rule: run,
        EventBusName: bus,
        Targets: [
          {
            Id: 'old-timeline-target',
            Arn: ruleProbe.arn,
            InputPath: '$.detail',
            SqsParameters: { MessageGroupId: '$.detail.data.orderId' },
          },
        ],
      }),
    );
    await setRelayEnvironment(lambda, relayName, { ...relayEnvironment, [ENV.TIMELINE_QUEUE_URL]: relayProbe.url });

    const sku = `${run}-sku`;
    await sys.seedStock(sku, options.orders * 2);
    log(`timeline route: ${options.orders} orders at ${options.rate}/s (run ${run})`);
    const placing: Promise<unknown>[] = [];
    const start = Date.now();
    for (let i = 0; i < options.orders; i++) {
      const due = start + (i * 1000) / options.rate;
      await sleep(Math.max(0, due - Date.now()));
      const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 5 }] });
      order.data.orderId = `${prefix}${i}`;
      placing.push(sys.placeOrder(order));
    }
    await Promise.all(placing);

    // Until both probes hold every expected event of the run's orders, or the settle time passes.
    const deadline = Date.now() + options.settleSeconds * 1000;
    const ruleMessages: Message[] = [];
    const relayMessages: Message[] = [];
    while (Date.now() < deadline) {
      ruleMessages.push(...(await drain(sys, ruleProbe.url)));
      relayMessages.push(...(await drain(sys, relayProbe.url)));
      log(
        `timeline route: rule route ${ruleMessages.length}/${expected}, relay route ${relayMessages.length}/${expected}`,
      );
      if (ruleMessages.length >= expected && relayMessages.length >= expected) break;
      await sleep(2_000);
    }
    const ours = (messages: Message[]) => messages.filter((m) => delivered(m).orderId?.startsWith(prefix));
    return {
      orders: options.orders,
      offeredPerSecond: options.rate,
      ruleRoute: figures('event bus rule, MessageGroupId "$.detail.data.orderId"', ours(ruleMessages), expected),
      relayRoute: figures('relay SendMessageBatch, MessageGroupId = order id', ours(relayMessages), expected),
    };
  } finally {
    await setRelayEnvironment(lambda, relayName, relayEnvironment);
    await sys.eventBridge
      .send(new RemoveTargetsCommand({ Rule: run, EventBusName: bus, Ids: ['old-timeline-target'] }))
      .catch(() => {});
    await sys.eventBridge.send(new DeleteRuleCommand({ Name: run, EventBusName: bus })).catch(() => {});
    for (const probe of [ruleProbe, relayProbe]) {
      await sys.sqs.send(new DeleteQueueCommand({ QueueUrl: probe.url })).catch(() => {});
    }
  }
}

/**
 * The relay's function name: the `EventRelayFunctionName` output, or, on a
 * stack deployed before that output existed (MiniStack 1.5.33 adds no new
 * output on a stack update), the function reading the event store's stream
 * that is not the projector.
 */
async function relayFunctionName(sys: System, lambda: LambdaClient): Promise<string> {
  if (sys.outputs.EventRelayFunctionName) return sys.outputs.EventRelayFunctionName;
  const table = sys.outputs.EventStoreTableName;
  const projector = sys.outputs.ProjectorFunctionName;
  const { EventSourceMappings } = await lambda.send(new ListEventSourceMappingsCommand({}));
  const readers = (EventSourceMappings ?? [])
    .filter((m) => m.EventSourceArn?.includes(`:table/${table}/stream/`))
    .map((m) => m.FunctionArn?.split(':').at(-1) ?? '')
    .filter((name) => name !== projector);
  if (readers.length !== 1)
    throw new Error(`expected one relay on ${table}'s stream, found ${readers.join(', ') || 'none'}`);
  return readers[0];
}

async function createFifoQueue(
  sys: System,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sys.sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true', ...attributes } }),
  );
  const { Attributes } = await sys.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`probe queue ${name} has no URL or ARN`);
  return { url: QueueUrl, arn: Attributes.QueueArn };
}

/** Sets the relay's environment and waits (up to 60 s) until the update is done. */
async function setRelayEnvironment(lambda: LambdaClient, name: string, variables: Record<string, string>) {
  await lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: { Variables: variables } }),
  );
  for (let i = 0; i < 120; i++) {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (config.State === 'Active' && config.LastUpdateStatus !== 'InProgress') return;
    await sleep(500);
  }
  throw new Error(`${name}: the configuration update did not finish`);
}

/** Receives and deletes every message now in a probe queue (it is deleted afterwards anyway). */
async function drain(sys: System, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages } = await sys.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!Messages?.length) return all;
    all.push(...Messages);
    await sys.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

interface Delivered {
  orderId?: string;
  type?: string;
  version?: number;
  time: number;
  sentAt: number;
  group?: string;
}

function delivered(message: Message): Delivered {
  let body: { type?: string; time?: string; data?: { orderId?: string }; metadata?: { aggregateVersion?: number } } =
    {};
  try {
    body = JSON.parse(message.Body ?? '{}');
  } catch {
    // Not an envelope: counted as delivered nowhere (no order id).
  }
  return {
    orderId: body.data?.orderId,
    type: body.type,
    // OrderPlaced straight from checkout (the rule route) has no store version yet: it is the order's first event.
    version: body.metadata?.aggregateVersion ?? (body.type === 'OrderPlaced' ? 1 : undefined),
    time: Date.parse(body.time ?? ''),
    sentAt: Number(message.Attributes?.SentTimestamp),
    group: message.Attributes?.MessageGroupId,
  };
}

/** The figures of one route, from the messages it delivered, in the order they were received. */
export function figures(route: string, messages: Message[], expected: number): RouteFigures {
  const events = messages.map(delivered);
  const latencies = events.map((e) => e.sentAt - e.time).sort((a, b) => a - b);
  const first = Math.min(...events.map((e) => e.time));
  const last = Math.max(...events.map((e) => e.sentAt));
  const versionsByOrder = new Map<string, number[]>();
  for (const e of events) {
    const list = versionsByOrder.get(e.orderId ?? '') ?? [];
    list.push(e.version ?? Number.NaN);
    versionsByOrder.set(e.orderId ?? '', list);
  }
  const inOrder = [...versionsByOrder.values()].filter((v) => v.every((x, i) => i === 0 || x > v[i - 1])).length;
  return {
    route,
    eventsDelivered: events.length,
    eventsExpected: expected,
    eventsPerSecond: events.length > 0 ? events.length / Math.max(0.001, (last - first) / 1000) : 0,
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.at(-1) ?? Number.NaN },
    messageGroups: new Set(events.map((e) => e.group)).size,
    ordersInVersionOrder: inOrder,
  };
}

/** The result as a table, columns named by what they count. */
export function formatTimelineRoute(result: TimelineRouteResult): string {
  const header = [
    'route',
    'events delivered / expected',
    'events/s (first event time → last SentTimestamp)',
    'event time → SentTimestamp p50 / p95 / max (ms)',
    'message groups',
    'orders in version order',
  ];
  const lines = [result.ruleRoute, result.relayRoute].map((r) => [
    r.route,
    `${r.eventsDelivered} / ${r.eventsExpected}`,
    r.eventsPerSecond.toFixed(2),
    `${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.max}`,
    String(r.messageGroups),
    `${r.ordersInVersionOrder} / ${result.orders}`,
  ]);
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');
}
