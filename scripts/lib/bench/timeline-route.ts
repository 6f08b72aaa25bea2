import {
  DeleteRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  GetEventSourceMappingCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { CHECKOUT_SOURCE, ORDER_SERVICE_SOURCE } from '../../../lambdas/shared/envelope';
import { peek, release } from '../dlq/peek';
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
  /** The route this change removed: a rule on the bus with a fixed-string message group (the old target, verbatim). */
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
 * Measures both timeline routes in one run, on the deployed stack: a temporary
 * probe rule with the old target (`SqsParameters.MessageGroupId` =
 * `$.detail.data.orderId`, which AWS and the engine send as that literal
 * string) to a temporary FIFO probe queue, and the relay's route to the
 * timeline queue. The timeline consumer's event source mapping is disabled
 * for the run so the messages stay in the queue to be read (peeked, then
 * released), and enabled again afterwards; the probe rule and queue are
 * deleted. Places `orders` confirmed orders at `rate` per second.
 */
export async function measureTimelineRoute(
  sys: System,
  lambda: LambdaClient,
  options: { orders: number; rate: number; settleSeconds: number; log?: (line: string) => void },
): Promise<TimelineRouteResult> {
  const log = options.log ?? (() => {});
  const run = sys.uniqueId('tlroute');
  const prefix = `${run}-`;
  const timelineUrl = sys.output('OrderTimelineQueueUrl');
  const bus = sys.output('EventBusName');
  const expected = options.orders * EVENTS_PER_CONFIRMED_ORDER;

  const { EventSourceMappings } = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: sys.output('OrderTimelineConsumerFunctionName') }),
  );
  const mapping = EventSourceMappings?.[0]?.UUID;
  if (!mapping) throw new Error('the timeline consumer has no event source mapping');

  const probeName = `${run}.fifo`;
  const { QueueUrl: probeUrl } = await sys.sqs.send(
    new CreateQueueCommand({
      QueueName: probeName,
      // Content-based deduplication: what a rule sends as deduplication id is not documented (EventRouter refuses
      // such a queue for the same reason); with it, SQS derives the id from the body either way.
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
    }),
  );
  if (!probeUrl) throw new Error('the probe queue has no URL');
  const { Attributes } = await sys.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: probeUrl, AttributeNames: ['QueueArn'] }),
  );
  try {
    await setMapping(lambda, mapping, false);
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
            Arn: Attributes?.QueueArn,
            InputPath: '$.detail',
            SqsParameters: { MessageGroupId: '$.detail.data.orderId' },
          },
        ],
      }),
    );

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

    // Until both queues hold every expected event of the run's orders, or the settle time passes.
    const deadline = Date.now() + options.settleSeconds * 1000;
    let probeMessages: Message[] = [];
    let relayMessages: Message[] = [];
    while (Date.now() < deadline) {
      probeMessages = [...probeMessages, ...(await drain(sys, probeUrl))];
      const seen = await peek(sys.sqs, timelineUrl, { max: 100_000, visibilitySeconds: 30, waitSeconds: 0 });
      await release(sys.sqs, timelineUrl, seen.messages);
      relayMessages = seen.messages.filter((m) => orderOf(m)?.startsWith(prefix));
      log(
        `timeline route: rule route ${probeMessages.length}/${expected}, relay route ${relayMessages.length}/${expected}`,
      );
      if (probeMessages.length >= expected && relayMessages.length >= expected) break;
      await sleep(2_000);
    }
    return {
      orders: options.orders,
      offeredPerSecond: options.rate,
      ruleRoute: figures('event bus rule, MessageGroupId "$.detail.data.orderId"', probeMessages, expected),
      relayRoute: figures('relay SendMessageBatch, MessageGroupId = order id', relayMessages, expected),
    };
  } finally {
    await sys.eventBridge
      .send(new RemoveTargetsCommand({ Rule: run, EventBusName: bus, Ids: ['old-timeline-target'] }))
      .catch(() => {});
    await sys.eventBridge.send(new DeleteRuleCommand({ Name: run, EventBusName: bus })).catch(() => {});
    await sys.sqs.send(new DeleteQueueCommand({ QueueUrl: probeUrl })).catch(() => {});
    // The relay's messages were only looked at (and released): the consumer applies them once it runs again.
    await setMapping(lambda, mapping, true);
  }
}

/** Enables or disables an event source mapping and waits (up to 30 s) until it says so. */
async function setMapping(lambda: LambdaClient, uuid: string, enabled: boolean): Promise<void> {
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));
  const want = enabled ? 'Enabled' : 'Disabled';
  for (let i = 0; i < 60; i++) {
    const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    if (State === want) return;
    await sleep(500);
  }
  throw new Error(`event source mapping ${uuid} did not become ${want}`);
}

/** Receives and deletes every message now in the probe queue (it is deleted afterwards anyway). */
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
  const body = JSON.parse(message.Body ?? '{}') as {
    type?: string;
    time?: string;
    data?: { orderId?: string };
    metadata?: { aggregateVersion?: number };
  };
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

function orderOf(message: Message): string | undefined {
  try {
    return delivered(message).orderId;
  } catch {
    return undefined;
  }
}

/** The figures of one route, from the messages it delivered in queue order. */
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
  const rows = [result.ruleRoute, result.relayRoute];
  const header = [
    'route',
    'events delivered / expected',
    'events/s (first event time → last SentTimestamp)',
    'event time → SentTimestamp p50 / p95 / max (ms)',
    'message groups',
    'orders in version order',
  ];
  const lines = rows.map((r) => [
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
