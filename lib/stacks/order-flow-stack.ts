import * as path from 'node:path';
import { Duration, aws_dynamodb as dynamodb, type aws_events as events, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  CONSUMER_QUEUES,
  type ConsumerQueue,
  type ConsumerQueueKey,
  type FanoutQueueKey,
} from '../../lambdas/contracts/channels';
import { ENV } from '../../lambdas/contracts/env';
import { FAULTS_OFF } from '../../lambdas/contracts/fault-switch';
import { ORDER_HISTORY_INDEX } from '../../lambdas/contracts/keys';
import {
  BUSINESS_METRIC,
  BUSINESS_METRIC_NAMES,
  BUSINESS_METRICS_NAMESPACE,
  BUSINESS_METRICS_SERVICE,
} from '../../lambdas/contracts/metrics';
import { RULE_ROUTES, type RuleRouteId } from '../../lambdas/contracts/routes';
import { SAGA_STEPS } from '../../lambdas/contracts/saga';
import type { ConsumerName } from '../../lambdas/contracts/stack-outputs';
import { DEFAULT_FAULT_INJECTION } from '../config/fault-injection';
import { readOperationsConfig } from '../config/operations-config';
import { DEFAULT_SAGA_MODE } from '../config/saga-mode';
import { AppTable } from '../constructs/app-table';
import { EventRouter } from '../constructs/event-router';
import { EventStore } from '../constructs/event-store';
import { FanoutTopic, type QueueSubscription } from '../constructs/fanout-topic';
import { FaultSwitch } from '../constructs/fault-switch';
import { IdempotencyTable } from '../constructs/idempotency-table';
import { NodeFunction } from '../constructs/node-function';
import { QueueConsumer } from '../constructs/queue-consumer';
import { QueueWithDlq } from '../constructs/queue-with-dlq';
import { ReadModelTables } from '../constructs/read-model-tables';
import { Saga } from '../constructs/saga';
import { StreamConsumer } from '../constructs/stream-consumer';
import { OperationsMonitoring } from '../monitoring/operations-monitoring';
import { acknowledgeNagFindings } from './order-flow/nag-acknowledgements';
import { addStackOutputs } from './order-flow/outputs';
import {
  archiveParameterCondition,
  bodyFilterPolicy,
  businessMetrics,
  FAULT_SWITCH_DESCRIPTION,
  type OrderFlowStackProps,
  SAGA_SETTINGS,
  STAGES,
} from './order-flow/settings';

export type { OrderFlowStackProps, Stage } from './order-flow/settings';

/** A function's handler file (this file is lib/stacks/order-flow-stack.ts). */
const entry = (name: string) => path.resolve(__dirname, '..', '..', 'lambdas', name, 'handler.ts');
const STRING = dynamodb.AttributeType.STRING;

/**
 * The order-processing blueprint: an EventBridge bus routes checkout events to a Step Functions saga
 * (orchestration), order outcomes to an SNS fan-out (choreography); the saga's services append to a
 * DynamoDB event store whose stream feeds a relay (back to the bus, and every order event to a FIFO
 * queue in the order's own message group) and a projector (the CQRS read model). Every part is a
 * construct of lib/constructs/; this class only composes them (settings, outputs and cdk-nag
 * acknowledgements are in lib/stacks/order-flow/).
 */
export class OrderFlowStack extends Stack {
  constructor(scope: Construct, id: string, props: OrderFlowStackProps) {
    super(scope, id, props);
    const stage = STAGES[props.stage];
    const removalPolicy = stage.removalPolicy;
    // Read first, so a bad `operations:*` context value fails synth before any bundling (used in section 9).
    const operationsConfig = props.operations ?? readOperationsConfig(this.node);

    // 1. Tables; their key formats are documented once, in lambdas/contracts/keys.ts. Only the events
    //    table is deletion-protected: snapshots and read models are derived from it and rebuilt by
    //    `npm run rebuild` (docs/deploy-to-aws.md, "Tearing down").
    const idempotency = new IdempotencyTable(this, 'Idempotency', { removalPolicy });
    const { snapshotEvery, eventStoreDeletionProtection: deletionProtection } = stage;
    const eventStore = new EventStore(this, 'EventStore', { removalPolicy, snapshotEvery, deletionProtection });
    const readModels = new ReadModelTables(this, 'ReadModel', { historyIndexName: ORDER_HISTORY_INDEX, removalPolicy });
    const pkSk = { partitionKey: { name: 'pk', type: STRING }, sortKey: { name: 'sk', type: STRING } };
    const orderServiceTable = new AppTable(this, 'OrderServiceTable', { ...pkSk, removalPolicy });
    const consumerStateTable = new AppTable(this, 'ConsumerStateTable', { ...pkSk, removalPolicy });

    //    The fault-injection switch (testing aid), on the local stage, and on AWS only when asked for.
    const faultSwitch =
      (props.faultInjection ?? DEFAULT_FAULT_INJECTION[props.stage])
        ? new FaultSwitch(this, 'FaultInjectionSwitch', {
            path: `/${this.stackName}/fault-injection`,
            offValue: JSON.stringify(FAULTS_OFF),
            description: FAULT_SWITCH_DESCRIPTION,
          })
        : undefined;
    const faultEnvironment: Record<string, string> = faultSwitch
      ? { [ENV.FAULT_INJECTION_PATH]: faultSwitch.path }
      : {};

    // 2. The saga's services: one function per service, each owning its steps' action and
    //    compensation, writing its records and events in one transaction.
    const service = (id: string, name: string) => {
      const fn = new NodeFunction(this, id, {
        entry: entry(name),
        timeout: stage.serviceTimeout,
        removalPolicy,
        environment: {
          ...faultEnvironment,
          [ENV.EVENT_STORE_TABLE_NAME]: eventStore.tableName,
          [ENV.SNAPSHOT_TABLE_NAME]: eventStore.snapshotTable.tableName,
          [ENV.SNAPSHOT_EVERY]: String(eventStore.snapshotEvery),
          [ENV.ORDER_SERVICE_TABLE_NAME]: orderServiceTable.tableName,
          [ENV.IDEMPOTENCY_TABLE_NAME]: idempotency.tableName,
        },
      });
      eventStore.grantAppend(fn);
      orderServiceTable.grantItemReadWrite(fn);
      idempotency.grantRecordKeeping(fn);
      faultSwitch?.grantReadRules(fn);
      return fn;
    };
    const [orderService, inventoryService, paymentService, shippingService] = [
      service('OrderService', 'order-service'),
      service('InventoryService', 'inventory-service'),
      service('PaymentService', 'payment-service'),
      service('ShippingService', 'shipping-service'),
    ];

    // 3. The saga (orchestration), Standard or Express (context `sagaMode`). Compensations run in
    //    reverse; a compensation that fails after its retries is reported to the order service
    //    (NEEDS_ATTENTION) and the rest still run. A duplicated or re-run execution is safe: AcceptOrder
    //    lets one execution own the order, and every step's effect is anchored on (order id, step).
    //    A throttled task waits on a retrier of its own (the construct's), matching the stage's names for a throttle.
    const sagaSettings = SAGA_SETTINGS[props.sagaMode ?? DEFAULT_SAGA_MODE];
    const saga = new Saga(this, 'OrderSaga', {
      ...sagaSettings,
      throttleRetry: { ...sagaSettings.throttleRetry, errors: stage.sagaThrottleErrors },
      steps: [
        { name: SAGA_STEPS.AcceptOrder, action: orderService, compensation: orderService },
        { name: SAGA_STEPS.ReserveInventory, action: inventoryService, compensation: inventoryService },
        { name: SAGA_STEPS.ChargePayment, action: paymentService, compensation: paymentService },
        { name: SAGA_STEPS.ArrangeShipment, action: shippingService, compensation: shippingService },
        { name: SAGA_STEPS.ConfirmOrder, action: orderService },
      ],
      onCompensationFailure: orderService,
      removalPolicy,
    });

    // 4. The bus, its archive and the shared rule-target DLQ. Locally the archive is conditional
    //    (MiniStack 1.5.33 cannot provision AWS::Events::Archive: the local deploy creates it through
    //    the API); on AWS it is an ordinary resource that no parameter can turn off.
    const archiveCondition = stage.archiveParameter ? archiveParameterCondition(this) : undefined;
    const router = new EventRouter(this, 'Router', { archiveCondition, archiveRetention: Duration.days(30) });

    // 5. Queues. Visibility timeout = 6 × consumer timeout (QueueConsumer enforces it). The timeline
    //    is FIFO, grouped by order: the relay sends with the order id as group and the event id as
    //    deduplication id, so content-based deduplication stays off.
    const visibilityTimeout = Duration.seconds(6 * stage.consumerTimeout.toSeconds());
    const queue = (id: string, fifo = false) =>
      new QueueWithDlq(this, id, { fifo, visibilityTimeout, maxReceiveCount: stage.maxReceiveCount });
    //    One per entry of the consumer-queue table (lambdas/contracts/channels.ts).
    const queues = mapEntries(CONSUMER_QUEUES, (q: ConsumerQueue) => queue(q.queueId, q.fifo));

    // 6. The event store's stream and its two readers, DynamoDB Streams' advised maximum per shard
    //    (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_LimitExceededException.html):
    //    the relay publishes each new event to the bus and sends it to the timeline in its order's group
    //    (lambdas/event-relay/relay.ts says why not a rule); the projector folds it into the read models.
    const streamConsumer = (id: string, name: string, environment: Record<string, string>) =>
      new StreamConsumer(this, id, {
        entry: entry(name),
        timeout: stage.serviceTimeout,
        removalPolicy,
        table: eventStore.table,
        environment,
      });
    const relay = streamConsumer('EventRelay', 'event-relay', {
      [ENV.EVENT_BUS_NAME]: router.eventBus.eventBusName,
      [ENV.TIMELINE_QUEUE_URL]: queues.timeline.queue.queueUrl,
    });
    router.eventBus.grantPutEventsTo(relay);
    queues.timeline.grantSendMessage(relay);
    const projector = streamConsumer('Projector', 'projector', {
      [ENV.READ_MODEL_TABLE_NAME]: readModels.orderSummary.tableName,
      [ENV.CUSTOMER_STATS_TABLE_NAME]: readModels.customerStats.tableName,
    });
    readModels.grantProject(projector);

    // 7. The fan-out (choreography), subscribed as the consumer-queue table says: every outcome to
    //    e-mail (as SNS's notification JSON) and analytics (raw); to loyalty only confirmed orders of
    //    LOYALTY_MIN_TOTAL or more.
    const fanout = new FanoutTopic(this, 'Fanout', { removalPolicy });
    const subscriptions = {} as Record<FanoutQueueKey, QueueSubscription>;
    for (const [name, { feed }] of Object.entries(CONSUMER_QUEUES) as [ConsumerQueueKey, ConsumerQueue][]) {
      if (feed.from !== 'fanout') continue;
      subscriptions[name as FanoutQueueKey] = fanout.subscribeQueue(feed.subscriptionId, queues[name].queue, {
        ...(feed.rawMessageDelivery ? { rawMessageDelivery: true } : {}),
        ...(feed.bodyFilter ? { filterPolicyWithMessageBody: bodyFilterPolicy(feed.bodyFilter) } : {}),
      });
    }

    // 8. Routes, one rule per entry of the routing table (lambdas/contracts/routes.ts); every target
    //    retries 8 times for up to 2 hours, then dead-letters. (The timeline has no rule: section 6.)
    const rules = {} as Record<RuleRouteId, events.Rule>;
    for (const { id, pattern, description, target } of RULE_ROUTES) {
      const options = {
        eventPattern: { source: [...pattern.source], detailType: [...pattern.detailType] },
        description,
      };
      rules[id] =
        target === 'saga'
          ? router.routeToStateMachine(id, saga.stateMachine, options)
          : router.routeToTopic(id, fanout.topic, options);
    }

    // 9. Consumers: partial batch failures, capped concurrency, and parking in their DLQ with the
    //    reason on the last attempt; each applies its effect once (a marker and the effect in one
    //    transaction).
    const consumer = (id: ConsumerName, name: string, source: QueueWithDlq) => {
      const c = new QueueConsumer(this, id, {
        queue: source,
        entry: entry(name),
        timeout: stage.consumerTimeout,
        grantSendToDeadLetterQueue: true,
        removalPolicy,
        environment: {
          ...faultEnvironment,
          [ENV.CONSUMER_STATE_TABLE_NAME]: consumerStateTable.tableName,
          [ENV.IDEMPOTENCY_TABLE_NAME]: idempotency.tableName,
          [ENV.DEAD_LETTER_QUEUE_URL]: source.deadLetterQueue.queueUrl,
          [ENV.MAX_RECEIVE_COUNT]: String(source.maxReceiveCount),
        },
      });
      consumerStateTable.grantItemReadWrite(c.fn);
      idempotency.grantRecordKeeping(c.fn);
      faultSwitch?.grantReadRules(c.fn);
      return c;
    };
    const consumers = {} as Record<ConsumerName, QueueConsumer>;
    for (const [name, q] of Object.entries(CONSUMER_QUEUES) as [ConsumerQueueKey, ConsumerQueue][]) {
      consumers[q.consumerName] = consumer(q.consumerName, q.handler, queues[name]);
    }

    // 10. Operations: one dashboard, alarms to one encrypted topic; thresholds and the optional
    //     e-mail subscription from the `operations:*` context. The business figures are the ones the
    //     handlers write in EMF (lambdas/platform/metrics.ts), summed per 5 minutes.
    const sagaFunctions = [orderService, inventoryService, paymentService, shippingService];
    const allFunctions = [...sagaFunctions, relay, projector, ...Object.values(consumers).map((c) => c.fn)];
    const streamFailureQueues = [relay.failureQueue, projector.failureQueue];
    const deadLetterQueues = [router.deadLetterQueue, ...fanout.subscriptionDeadLetterQueues, ...streamFailureQueues];
    const businessMetric = businessMetrics(BUSINESS_METRICS_NAMESPACE, BUSINESS_METRICS_SERVICE);
    const operations = new OperationsMonitoring(this, 'Operations', {
      businessMetrics: BUSINESS_METRIC_NAMES.map(businessMetric),
      compensationMetric: businessMetric(BUSINESS_METRIC.OrdersCompensated),
      needsAttentionMetric: businessMetric(BUSINESS_METRIC.OrdersNeedingAttention),
      orderConflictsMetric: businessMetric(BUSINESS_METRIC.OrderConflicts),
      stateMachines: [saga],
      queues: Object.values(queues),
      deadLetterQueues,
      functions: allFunctions,
      streamConsumers: [relay, projector],
      rules: [router],
      tables: [eventStore.table, readModels, orderServiceTable, consumerStateTable, idempotency.table],
      thresholds: operationsConfig.thresholds,
      alarmEmail: operationsConfig.alarmEmail,
      removalPolicy,
    });

    // 11. Outputs (lambdas/contracts/stack-outputs.ts), and cdk-nag: what remains after fixing everything
    //     fixable, each acknowledged with its reason.
    addStackOutputs(this, {
      ...{ router, rules, saga, eventStore, readModels, orderServiceTable, consumerStateTable, idempotency },
      ...{ relay, projector, consumers, queues, fanout, subscriptions, operations, faultSwitch },
      maxReceiveCount: stage.maxReceiveCount,
    });
    acknowledgeNagFindings(this, {
      functions: allFunctions,
      streamConsumers: [relay, projector],
      saga,
      sagaFunctions,
      deadLetterQueues,
    });
  }
}

/** `table` with each value made into `make(value)`, under the same keys, in the same order. */
function mapEntries<K extends string, V, R>(table: Record<K, V>, make: (value: V) => R): Record<K, R> {
  return Object.fromEntries(Object.entries<V>(table).map(([key, value]) => [key, make(value)])) as Record<K, R>;
}
