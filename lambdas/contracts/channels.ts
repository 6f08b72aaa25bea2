/**
 * The consumer queues and how each one is fed: the stack (lib/stacks/order-flow-stack.ts) creates, per entry,
 * the queue with its DLQ, its consumer function and, for a fan-out subscriber, its SNS subscription; the
 * AsyncAPI generator (scripts/lib/asyncapi/document.ts) makes one channel per entry. A new queue is one entry
 * here. The bus routes that feed the topic and the saga are the routing table beside it (routes.ts).
 *
 * Dependency-free on purpose (it imports only the contracts beside it): the stack, the scripts and the tests
 * import it without loading any runtime code.
 */

import type { EventType } from './events';
import { LOYALTY_MIN_TOTAL } from './order-rules';
import type { RouteConsumer } from './routes';
import type { ConsumerName } from './stack-outputs';

/**
 * A filter on the JSON body of a fan-out message (`FilterPolicyScope: MessageBody`): the envelope's `type` is
 * one of `types` and, if given, its `data.total` is at least `minTotal`.
 */
export interface BodyFilter {
  readonly types: readonly EventType[];
  /** @default - any total */
  readonly minTotal?: number;
}

/** A queue subscribed to the SNS fan-out topic. */
export interface FanoutFeed {
  readonly from: 'fanout';
  /** The subscription's construct id in the fan-out topic; its DLQ's stack output is `<id>SubscriptionDlqUrl`. */
  readonly subscriptionId: string;
  /**
   * Deliver the envelope as is; without it the queue receives SNS's notification JSON whose `Message` is the
   * envelope (the consumers unwrap either, lambdas/runtime/consumer/queue-consumer.ts `unwrapBody`).
   */
  readonly rawMessageDelivery: boolean;
  /** @default - every message of the topic */
  readonly bodyFilter?: BodyFilter;
}

/**
 * A queue the event relay sends every stored event to itself, in its order's message group (a FIFO queue:
 * group = order id, deduplication id = event id; lambdas/event-relay/relay.ts).
 */
export interface RelayFeed {
  readonly from: 'relay';
}

/** One consumer queue (keyed by its consumer in {@link CONSUMER_QUEUES}). */
export interface ConsumerQueue {
  /** The queue's construct id; its stack outputs are `<outputPrefix>QueueUrl` and `<outputPrefix>DlqUrl`. */
  readonly queueId: string;
  /** The prefix of the queue's stack outputs. */
  readonly outputPrefix: string;
  readonly fifo: boolean;
  /** The consumer function's construct id (its output is `<consumerName>FunctionName`). */
  readonly consumerName: ConsumerName;
  /** The consumer's handler directory under lambdas/. */
  readonly handler: string;
  readonly feed: FanoutFeed | RelayFeed;
}

/** The consumer queues by consumer, in the order the stack creates them; every queue consumer has one. */
export const CONSUMER_QUEUES = {
  email: {
    queueId: 'EmailQueue',
    outputPrefix: 'Email',
    fifo: false,
    consumerName: 'EmailConsumer',
    handler: 'email-consumer',
    feed: { from: 'fanout', subscriptionId: 'Email', rawMessageDelivery: false },
  },
  analytics: {
    queueId: 'AnalyticsQueue',
    outputPrefix: 'Analytics',
    fifo: false,
    consumerName: 'AnalyticsConsumer',
    handler: 'analytics-consumer',
    feed: { from: 'fanout', subscriptionId: 'Analytics', rawMessageDelivery: true },
  },
  loyalty: {
    queueId: 'LoyaltyQueue',
    outputPrefix: 'Loyalty',
    fifo: false,
    consumerName: 'LoyaltyConsumer',
    handler: 'loyalty-consumer',
    // Confirmed orders of LOYALTY_MIN_TOTAL or more: the loyalty consumer's rule, applied by SNS.
    feed: {
      from: 'fanout',
      subscriptionId: 'Loyalty',
      rawMessageDelivery: true,
      bodyFilter: { types: ['OrderConfirmed'], minTotal: LOYALTY_MIN_TOTAL },
    },
  },
  timeline: {
    queueId: 'OrderTimelineQueue',
    outputPrefix: 'OrderTimeline',
    fifo: true,
    consumerName: 'OrderTimelineConsumer',
    handler: 'order-timeline-consumer',
    feed: { from: 'relay' },
  },
} as const satisfies Record<ConsumerQueueKey, ConsumerQueue>;

/** The consumers that read a queue: every consumer of the routing table but the saga. */
export type ConsumerQueueKey = Exclude<RouteConsumer, 'saga'>;

/** The consumers whose queue is subscribed to the fan-out topic. */
export type FanoutQueueKey = {
  [K in ConsumerQueueKey]: (typeof CONSUMER_QUEUES)[K]['feed']['from'] extends 'fanout' ? K : never;
}[ConsumerQueueKey];
