/**
 * The AsyncAPI 3.0 document of the order flow (`npm run asyncapi`, docs/asyncapi.md), built from the tables
 * the stack itself is built from, so it cannot describe another system:
 *
 * - the event catalogue (lambdas/messages/schemas.ts) and the envelope: every message and its payload schema
 *   (./schemas.ts converts them with zod's own converter);
 * - who sends each type (lambdas/contracts/events.ts `EVENT_SOURCES`);
 * - the routing table (lambdas/contracts/routes.ts): one channel per route, carrying the types its pattern
 *   matches;
 * - the consumer-queue table (lambdas/contracts/channels.ts): one channel per queue, fed by the fan-out topic
 *   (with the subscription's raw delivery and filter) or by the event relay;
 * - the stack's settings (receives before a message moves to its DLQ) and the SNS filter policy the stack
 *   renders for a subscription (./filter-policy.ts).
 *
 * A channel is one row of one of those tables. The payment provider's request and reply queues (issue 15
 * point 1) are not built yet, so they are not here; they will be rows of the consumer-queue table with a
 * feed of their own (a sender and its reply address), and their messages schemas of the catalogue.
 */
import { CONSUMER_QUEUES, type ConsumerQueue, type ConsumerQueueKey } from '../../../lambdas/contracts/channels';
import {
  CHECKOUT_SOURCE,
  EVENT_SOURCES,
  EVENT_TYPES,
  type EventType,
  ORDER_SERVICE_SOURCE,
} from '../../../lambdas/contracts/events';
import { matchesPattern, RELAY_ROUTES, ROUTES, type Route, RULE_ROUTES } from '../../../lambdas/contracts/routes';
import { renderedFilterPolicy } from './filter-policy';
import { type JsonSchema, payloadSchemas } from './schemas';

/** The AsyncAPI version the document is written in. */
export const ASYNCAPI_VERSION = '3.0.0';
/**
 * The binding versions AsyncAPI 3.0.0 accepts (@asyncapi/specs: SQS 0.2.0, SNS 0.1.0; the newer ones belong to
 * 3.1.0 and have the same fields). SQS channel binding: `queue`, `deadLetterQueue`; SNS channel binding: `name`;
 * SNS operation binding: `consumers`.
 */
const SQS_BINDING_VERSION = '0.2.0';
const SNS_BINDING_VERSION = '0.1.0';

/** A JSON object of the document. */
type Json = Record<string, unknown>;

/** What the generator needs besides the contracts tables: facts of the stack and the package. */
export interface DocumentInputs {
  /** The package version (package.json), the document's `info.version`. */
  version: string;
  /** Receives before a consumer queue moves a message to its DLQ (the aws stage's `maxReceiveCount`). */
  maxReceiveCount: number;
}

/** The channel of the bus, of a route, of the topic and of a queue, by key. */
export const BUS_CHANNEL = 'orderBus';
export const TOPIC_CHANNEL = 'fanoutTopic';
export const routeChannel = (route: Route) => route.id;
export const queueChannel = (key: ConsumerQueueKey) => `${key}Queue`;
/** The message of an event type wrapped in SNS's notification JSON (a subscription without raw delivery). */
export const notificationMessage = (type: EventType) => `${type}Notification`;

/** Who puts the events of each source on the bus (the sending operation's id and summary). */
const SENDERS: Record<EventSource, { id: string; summary: string }> = {
  [CHECKOUT_SOURCE]: { id: 'placeOrder', summary: 'A checkout client puts an order on the bus (PutEvents).' },
  [ORDER_SERVICE_SOURCE]: {
    id: 'publishOrderEvents',
    summary:
      'The event relay publishes the events the order service recorded in its event store (PutEvents, in stream order).',
  },
};

/** What each route target does with the route's events (the receiving operation's summary). */
const TARGET_SUMMARY: Record<Route['target'], string> = {
  saga: 'The rule starts one execution of the order saga (Step Functions) per event; the execution input is the envelope.',
  fanout: 'The rule publishes each event (the envelope, as JSON) to the fan-out topic.',
  timeline:
    'The event relay (a DynamoDB Streams reader of the event store) sends each stored event to the order timeline queue with SendMessageBatch: message group = the order id, deduplication id = the event id, body = the envelope as stored.',
};

/** The event types a route carries: those whose sender (EVENT_SOURCES) and type its pattern matches. */
export function routeTypes(route: Route): EventType[] {
  return EVENT_TYPES.filter((type) => matchesPattern(route.pattern, { source: EVENT_SOURCES[type], type }));
}

/** The routes whose target is the fan-out topic. */
const fanoutRoutes = () => RULE_ROUTES.filter((route) => route.target === 'fanout');

/** The event types the fan-out topic carries: every type of a route whose target it is. */
export function topicTypes(): EventType[] {
  const types = new Set(fanoutRoutes().flatMap(routeTypes));
  return EVENT_TYPES.filter((type) => types.has(type));
}

/**
 * The event types a queue receives: the topic's, narrowed by its subscription's body filter, or those of the
 * relay routes that name its consumer.
 */
export function queueTypes(key: ConsumerQueueKey, queue: ConsumerQueue = CONSUMER_QUEUES[key]): EventType[] {
  const { feed } = queue;
  if (feed.from === 'fanout') {
    const filter = feed.bodyFilter?.types;
    return topicTypes().filter((type) => !filter || filter.includes(type));
  }
  const types = new Set(
    RELAY_ROUTES.filter((route) => (route.consumers as readonly string[]).includes(key)).flatMap(routeTypes),
  );
  return EVENT_TYPES.filter((type) => types.has(type));
}

/**
 * Where the routing table and the consumer-queue table disagree (empty when they agree): a route's consumers
 * (which the invariant checks read) must each have a queue fed the way the route delivers (the fan-out rule: a
 * subscription; the relay: the relay), and every queue must be named by a route that feeds it. A disagreement
 * is a mistake in one of them, which the generator refuses to describe.
 */
export function tableDisagreements(
  routes: { rules: readonly Route[]; relay: readonly Route[] } = { rules: RULE_ROUTES, relay: RELAY_ROUTES },
  queues: Readonly<Record<string, ConsumerQueue>> = CONSUMER_QUEUES,
): string[] {
  const problems: string[] = [];
  const feedOf = (route: Route): ConsumerQueue['feed']['from'] | undefined =>
    routes.relay.includes(route) ? 'relay' : route.target === 'fanout' ? 'fanout' : undefined;
  const all = [...routes.rules, ...routes.relay];
  for (const route of all) {
    if (route.target === 'saga') continue;
    const feed = feedOf(route);
    for (const consumer of route.consumers) {
      const from = queues[consumer]?.feed.from;
      if (!feed || from !== feed) {
        problems.push(
          `route ${route.id} delivers to ${consumer}, whose queue ${from ? `is fed by the ${from}` : 'is not in the table'}`,
        );
      }
    }
  }
  for (const [key, queue] of Object.entries(queues)) {
    if (
      !all.some((route) => feedOf(route) === queue.feed.from && (route.consumers as readonly string[]).includes(key))
    ) {
      problems.push(`the ${key} queue is fed by the ${queue.feed.from}, but no route of that kind names ${key}`);
    }
  }
  return problems;
}

/** A channel's `messages`: each message by name, a reference to its component. */
const channelMessages = (names: readonly string[]): Json =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/messages/${name}` }]));

/** An operation's `messages`: references to messages of its channel. */
const operationMessages = (channel: string, names: readonly string[]): Json[] =>
  names.map((name) => ({ $ref: `#/channels/${channel}/messages/${name}` }));

/** An operation on `channel` carrying every message of it. */
function operation(action: 'send' | 'receive', channel: string, names: readonly string[], extra: Json): Json {
  return {
    action,
    channel: { $ref: `#/channels/${channel}` },
    ...extra,
    messages: operationMessages(channel, names),
  };
}

/** A sender of events, as the envelope's `source`. */
type EventSource = (typeof EVENT_SOURCES)[EventType];

/** The event types by who sends them. */
const typesFrom = (source: string) => EVENT_TYPES.filter((type) => EVENT_SOURCES[type] === source);

/** The document's messages: one per event type, and one per event type the topic delivers wrapped. */
function messageComponents(wrapped: readonly EventType[]): Json {
  const messages: Json = {};
  for (const type of EVENT_TYPES) {
    messages[type] = {
      name: type,
      title: type,
      summary: `The ${type} event in its envelope (schema version and source pinned).`,
      contentType: 'application/json',
      correlationId: { $ref: '#/components/correlationIds/orderJourney' },
      payload: { $ref: `#/components/schemas/${type}` },
    };
  }
  for (const type of wrapped) {
    const name = notificationMessage(type);
    messages[name] = {
      name,
      title: `${type} as an SNS notification`,
      summary: `SNS's notification JSON whose Message is the ${type} envelope as JSON text (no raw delivery).`,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${name}` },
    };
  }
  return messages;
}

/**
 * SNS's notification JSON around an envelope, as far as the consumers read it (`Type` and `Message`,
 * lambdas/runtime/consumer/queue-consumer.ts `unwrapBody`); SNS adds the other fields it documents
 * (MessageId, TopicArn, Timestamp, the signature). Written by hand: it is SNS's format, not the catalogue's.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html (the notification's fields)
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html (without raw delivery, the body is this JSON)
 */
function notificationSchema(type: EventType): JsonSchema {
  return {
    type: 'object',
    description: `SNS's notification JSON; its other fields (MessageId, TopicArn, Timestamp, Signature, …) are as SNS documents them.`,
    properties: {
      Type: { type: 'string', const: 'Notification' },
      Message: {
        type: 'string',
        contentMediaType: 'application/json',
        description: `The ${type} envelope (#/components/schemas/${type}) as JSON text.`,
      },
    },
    required: ['Type', 'Message'],
  };
}

/** The SQS channel binding of a consumer queue and its DLQ (logical names: see the document's description). */
function sqsBinding(queue: ConsumerQueue, maxReceiveCount: number): Json {
  const deadLetterQueue = { name: `${queue.outputPrefix}Dlq`, fifoQueue: queue.fifo };
  return {
    sqs: {
      queue: {
        name: queue.queueId,
        fifoQueue: queue.fifo,
        redrivePolicy: { deadLetterQueue: { name: deadLetterQueue.name }, maxReceiveCount },
      },
      deadLetterQueue,
      bindingVersion: SQS_BINDING_VERSION,
    },
  };
}

const DESCRIPTION = `The messages of the order-processing blueprint: every event of the catalogue in its envelope,
on the EventBridge bus, on each route, on the SNS fan-out topic and in each consumer queue.

Generated by \`npm run asyncapi\` from the code the stack is built from (the zod event catalogue, the routing
table, the consumer-queue table and the stack's settings); \`npm test\` checks that this file equals a fresh
generation and that the AsyncAPI parser finds no error in it. Do not edit it by hand.

Addresses are null: CDK generates the deployed names. Each channel names the stack output that holds its
deployed name, URL or ARN (\`x-stack-output\`); the names in the SNS and SQS bindings are the construct ids,
which identify the queues within this document.

Every event carries its order's journey as \`correlationId\` and its cause as \`causationId\`; consumers
apply an event once per envelope \`id\` (delivery is at least once everywhere) and park a message they cannot
process in their DLQ with the reason. Payload schemas are converted from the zod catalogue; checks JSON Schema
cannot state (OrderPlaced's total equal to the sum of its items) are applied by the catalogue only.

Not here yet: the payment provider's request and reply queues (issue 15 point 1 is not built). They will be
rows of the consumer-queue table (lambdas/contracts/channels.ts), and so channels of this document.`;

/** The whole document, as a plain JSON value. */
export function asyncApiDocument(inputs: DocumentInputs): Json {
  const disagreements = tableDisagreements();
  if (disagreements.length > 0) {
    throw new Error(
      'The routing table (lambdas/contracts/routes.ts) and the consumer-queue table (lambdas/contracts/channels.ts) ' +
        `disagree: ${disagreements.join('; ')}`,
    );
  }
  const channels: Json = {};
  const operations: Json = {};
  const schemas = payloadSchemas();

  // The bus: checkout puts OrderPlaced on it, the relay publishes the order service's events.
  channels[BUS_CHANNEL] = {
    address: null,
    title: 'Order bus',
    description:
      'The custom EventBridge bus every event crosses, with an archive for replay. An event is a PutEvents entry: ' +
      'Source = the envelope source, DetailType = the envelope type, Detail = the envelope. EventBridge has no ' +
      'AsyncAPI binding; its rules are the route channels.',
    messages: channelMessages(EVENT_TYPES),
    'x-stack-output': 'EventBusName',
  };
  for (const [source, { id, summary }] of Object.entries(SENDERS)) {
    operations[id] = operation('send', BUS_CHANNEL, typesFrom(source), { summary });
  }

  // The routes: one channel each, the route's target receiving.
  for (const route of ROUTES) {
    const channel = routeChannel(route);
    const types = routeTypes(route);
    const isRule = RULE_ROUTES.some((rule) => rule.id === route.id);
    channels[channel] = {
      address: null,
      title: route.id,
      description: `${route.description}. ${
        isRule
          ? 'An EventBridge rule on the order bus; its target retries, then dead-letters into the rule-target DLQ (stack output RuleTargetDlqUrl).'
          : 'Not a rule: the event relay reads the event store stream and sends the events itself, so each keeps its order’s message group.'
      }`,
      messages: channelMessages(types),
      [isRule ? 'x-eventbridge-rule' : 'x-relay-route']: {
        eventPattern: {
          source: [...route.pattern.source],
          ...(route.pattern.detailType ? { 'detail-type': [...route.pattern.detailType] } : {}),
        },
        target: route.target,
        consumers: [...route.consumers],
      },
      ...(isRule ? { 'x-stack-output': `${route.id}RuleArn` } : {}),
    };
    operations[route.id] = operation('receive', channel, types, { summary: TARGET_SUMMARY[route.target] });
  }

  // The fan-out topic, and SNS delivering to its subscribed queues.
  const fanoutTypes = topicTypes();
  channels[TOPIC_CHANNEL] = {
    address: null,
    title: 'Fan-out topic',
    description: 'The SNS topic order outcomes fan out on (choreography), KMS-encrypted, TLS-only.',
    messages: channelMessages(fanoutTypes),
    bindings: { sns: { name: 'Fanout', ordering: { type: 'standard' }, bindingVersion: SNS_BINDING_VERSION } },
    'x-stack-output': 'FanoutTopicArn',
  };
  const subscribed = Object.values(CONSUMER_QUEUES).flatMap((queue: ConsumerQueue) =>
    queue.feed.from === 'fanout' ? [{ queue, feed: queue.feed }] : [],
  );
  operations.fanOut = operation('send', TOPIC_CHANNEL, fanoutTypes, {
    summary: 'SNS delivers each message to every subscribed queue whose filter it passes.',
    bindings: {
      sns: {
        consumers: subscribed.map(({ queue, feed }) => ({
          protocol: 'sqs',
          endpoint: { name: queue.queueId },
          rawMessageDelivery: feed.rawMessageDelivery,
          ...(feed.bodyFilter
            ? { filterPolicy: renderedFilterPolicy(feed.bodyFilter), filterPolicyScope: 'MessageBody' }
            : {}),
          redrivePolicy: { deadLetterQueue: { name: `${feed.subscriptionId}SubscriptionDlq` } },
        })),
        bindingVersion: SNS_BINDING_VERSION,
      },
    },
  });

  // The consumer queues.
  const wrapped = new Set<EventType>();
  for (const [key, queue] of Object.entries(CONSUMER_QUEUES) as [ConsumerQueueKey, ConsumerQueue][]) {
    const channel = queueChannel(key);
    const types = queueTypes(key, queue);
    const raw = queue.feed.from !== 'fanout' || queue.feed.rawMessageDelivery;
    if (!raw) for (const type of types) wrapped.add(type);
    const names = raw ? types : types.map(notificationMessage);
    const fedBy =
      queue.feed.from === 'fanout'
        ? `Subscribed to the fan-out topic${queue.feed.rawMessageDelivery ? ' with raw message delivery (the body is the envelope)' : " without raw delivery (the body is SNS's notification JSON around the envelope)"}${queue.feed.bodyFilter ? ', with a filter on the message body' : ''}.`
        : 'Fed by the event relay: every stored event, in its order’s message group (group = order id, deduplication id = event id).';
    channels[channel] = {
      address: null,
      title: queue.queueId,
      description: `${queue.fifo ? 'SQS FIFO queue' : 'SQS queue'} of the ${key} consumer. ${fedBy} After ${inputs.maxReceiveCount} receives (aws stage) a message moves to its DLQ (stack output ${queue.outputPrefix}DlqUrl).`,
      messages: channelMessages(names),
      bindings: sqsBinding(queue, inputs.maxReceiveCount),
      'x-stack-output': `${queue.outputPrefix}QueueUrl`,
    };
    operations[queue.consumerName] = operation('receive', channel, names, {
      summary: `The ${key} consumer (lambdas/${queue.handler}) validates each message, applies it once per event id, and parks one it cannot process in the DLQ with the reason.`,
    });
  }

  for (const type of EVENT_TYPES) if (wrapped.has(type)) schemas[notificationMessage(type)] = notificationSchema(type);

  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title: 'Order flow',
      version: inputs.version,
      description: DESCRIPTION,
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: {
      schemas,
      messages: messageComponents(EVENT_TYPES.filter((type) => wrapped.has(type))),
      correlationIds: {
        orderJourney: {
          description:
            "The order's whole journey: every event an order causes carries the correlation id of the event that started it.",
          location: '$message.payload#/correlationId',
        },
      },
    },
  };
}

/** The document as the committed file holds it: two-space JSON and a final newline. */
export function renderDocument(document: Json): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
