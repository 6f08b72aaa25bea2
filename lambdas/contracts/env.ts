/**
 * Environment variable names shared by the CDK stack (which sets them) and the
 * handlers (which read them through lambdas/platform/env.ts). One constant per
 * name, so a typo is a compile error rather than an `undefined` at run time.
 * Imports nothing, so the stack can read it without loading handler code.
 */
export const ENV = {
  /** DynamoDB table used by Powertools idempotency (partition key `id`, TTL `expiration`). */
  IDEMPOTENCY_TABLE_NAME: 'IDEMPOTENCY_TABLE_NAME',
  /** Event store table (partition key `aggregateId`, sort key `version`). */
  EVENT_STORE_TABLE_NAME: 'EVENT_STORE_TABLE_NAME',
  /** Snapshots of event-store aggregates (partition key `aggregateId`, sort key `version`). */
  SNAPSHOT_TABLE_NAME: 'SNAPSHOT_TABLE_NAME',
  /** Write a snapshot every this many events of an aggregate (0 = never). */
  SNAPSHOT_EVERY: 'SNAPSHOT_EVERY',
  /** Order summary read model fed by the projector (partition key `orderId`, GSI by customer). */
  READ_MODEL_TABLE_NAME: 'READ_MODEL_TABLE_NAME',
  /** Customer statistics read model fed by the projector (partition key `customerId`). */
  CUSTOMER_STATS_TABLE_NAME: 'CUSTOMER_STATS_TABLE_NAME',
  /** State owned by the saga's services: stock, reservations, payments, shipments (`pk`, `sk`). */
  ORDER_SERVICE_TABLE_NAME: 'ORDER_SERVICE_TABLE_NAME',
  /** Side effects of the fan-out and ordered consumers (`pk`, `sk`). */
  CONSUMER_STATE_TABLE_NAME: 'CONSUMER_STATE_TABLE_NAME',
  /** Name of the custom EventBridge bus the relay publishes to. */
  EVENT_BUS_NAME: 'EVENT_BUS_NAME',
  /**
   * URL of the order timeline's FIFO queue, to which the relay sends every stored
   * event with the order id as its message group.
   */
  TIMELINE_QUEUE_URL: 'TIMELINE_QUEUE_URL',
  /** URL of the queue's dead-letter queue, where a consumer parks a message with its failure reason. */
  DEAD_LETTER_QUEUE_URL: 'DEAD_LETTER_QUEUE_URL',
  /** The source queue's `maxReceiveCount`; on that attempt the consumer parks instead of failing. */
  MAX_RECEIVE_COUNT: 'MAX_RECEIVE_COUNT',
  /**
   * Optional: the SSM path whose parameters hold the fault-injection switches
   * (./fault-switch.ts, read by lambdas/platform/fault-injection.ts); unset,
   * the function injects nothing.
   */
  FAULT_INJECTION_PATH: 'FAULT_INJECTION_PATH',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
