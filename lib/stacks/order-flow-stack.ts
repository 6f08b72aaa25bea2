import * as path from 'node:path';
import {
  CfnCondition,
  CfnOutput,
  CfnParameter,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_dynamodb as dynamodb,
  Fn,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_stepfunctions as sfn,
  aws_sns as sns,
  aws_lambda_event_sources as sources,
  aws_sqs as sqs,
  aws_ssm as ssm,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV } from '../../lambdas/contracts/env';
import { CHECKOUT_SOURCE, ORDER_OUTCOME_TYPES, ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { FAULTS_OFF } from '../../lambdas/contracts/fault-switch';
import { ORDER_HISTORY_INDEX } from '../../lambdas/contracts/keys';
import {
  BUSINESS_METRIC,
  BUSINESS_METRIC_NAMES,
  BUSINESS_METRICS_NAMESPACE,
  BUSINESS_METRICS_SERVICE,
  type BusinessMetricName,
} from '../../lambdas/contracts/metrics';
import { LOYALTY_MIN_TOTAL } from '../../lambdas/contracts/order-rules';
import { SAGA_STEPS } from '../../lambdas/contracts/saga';
import { DEFAULT_FAULT_INJECTION } from '../config/fault-injection';
import { type OperationsConfig, readOperationsConfig } from '../config/operations-config';
import { DEFAULT_SAGA_MODE, type SagaMode } from '../config/saga-mode';
import { EventRouter } from '../constructs/event-router';
import { EventStore } from '../constructs/event-store';
import { FanoutTopic } from '../constructs/fanout-topic';
import { IdempotencyTable } from '../constructs/idempotency-table';
import { QueueConsumer } from '../constructs/queue-consumer';
import { QueueWithDlq } from '../constructs/queue-with-dlq';
import { Saga, type SagaProps } from '../constructs/saga';
import { OperationsMonitoring } from '../monitoring/operations-monitoring';

/** Where the stack runs: real AWS, or the local LocalStack-compatible engine. */
export type Stage = 'aws' | 'local';

/** Properties of the {@link OrderFlowStack}. */
export interface OrderFlowStackProps extends StackProps {
  /** `local` shortens timeouts (fast feedback on the engine) and destroys state on teardown. */
  readonly stage: Stage;
  /**
   * Alarm thresholds and the alarm e-mail subscription.
   *
   * @default - read from the `operations:*` context (cdk.json or `-c`), see lib/config/operations-config.ts
   */
  readonly operations?: OperationsConfig;
  /**
   * The order saga's workflow type (docs/architecture.md "Saga modes"): `express` trades
   * Standard's exactly-once executions and stored history for a far lower price.
   *
   * @default 'standard'
   */
  readonly sagaMode?: SagaMode;
  /**
   * Deploy the fault-injection switch (an SSM parameter holding no rules) that
   * the consumers and saga services read, so operators and tests can make a
   * named step or consumer fail at run time (docs/operations.md "Fault injection"). A
   * testing aid: anyone allowed `ssm:PutParameter` on its path can make the
   * system fail, so a production stack leaves it out unless asked for.
   *
   * @default - true on stage `local`, false on stage `aws`
   */
  readonly faultInjection?: boolean;
}

/**
 * The saga's settings per mode. Standard keeps the construct's patient defaults
 * (its timeout derived from them). Express must finish in 5 minutes even in
 * the worst case, so each attempt is bounded at 10 s (the services' AWS timeout)
 * and every task retries once: 5 actions × (2 × 10 s + 1 s) + 4 compensations ×
 * 21 s + 4 failed-compensation reports × 21 s = 273 s (retrying twice would
 * take 13 × 33 s = 429 s). A compensation that still fails moves the order to
 * NEEDS_ATTENTION and fails the execution, both alarmed, in both modes.
 */
const SAGA_SETTINGS: Record<
  SagaMode,
  Pick<SagaProps, 'stateMachineType' | 'taskTimeout' | 'stepRetry' | 'compensationRetry' | 'logDataProtectionPolicy'>
> = {
  standard: { stateMachineType: sfn.StateMachineType.STANDARD },
  express: {
    stateMachineType: sfn.StateMachineType.EXPRESS,
    taskTimeout: Duration.seconds(10),
    stepRetry: { maxAttempts: 1 },
    compensationRetry: { maxAttempts: 1 },
    // Express logs execution data (the order envelope) as its only history: mask the payment token there.
    logDataProtectionPolicy: new logs.DataProtectionPolicy({
      name: 'saga-execution-data',
      description: 'Masks payment tokens in the order saga execution log',
      identifiers: [new logs.CustomDataIdentifier('PaymentToken', 'tok_[A-Za-z0-9_]{1,64}')],
    }),
  },
};

/** What differs between the stages. */
interface StageSettings {
  /** Timeout of the queue consumers; their queues' visibility timeout is 6 × this. */
  readonly consumerTimeout: Duration;
  /** Timeout of the saga services and the stream processors. */
  readonly serviceTimeout: Duration;
  /** Receives before a message moves to its DLQ. */
  readonly maxReceiveCount: number;
  /** Tables, log groups and keys on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
  /** Event-store snapshot interval in events. */
  readonly snapshotEvery: number;
  /**
   * Deletion protection on the event store's events table: the facts, which
   * nothing can rebuild. Off locally so `npm run destroy:local` can delete it.
   */
  readonly eventStoreDeletionProtection: boolean;
  /**
   * Put the event archive under a `CreateEventArchive` parameter, so the local
   * deploy can turn it off on an engine that cannot provision it (MiniStack
   * 1.5.33) and create it through the API instead. Never on AWS.
   */
  readonly archiveParameter: boolean;
}

const STAGES: Record<Stage, StageSettings> = {
  aws: {
    consumerTimeout: Duration.seconds(10),
    serviceTimeout: Duration.seconds(10),
    maxReceiveCount: 3,
    removalPolicy: RemovalPolicy.RETAIN,
    // Orders are short streams (5 to 9 events): a snapshot is rare and cheap.
    snapshotEvery: 50,
    eventStoreDeletionProtection: true,
    archiveParameter: false,
  },
  local: {
    // Short, so a poison message reaches its DLQ in maxReceiveCount × 30 s, yet
    // long enough for a batch of 10 on a busy single-process engine.
    consumerTimeout: Duration.seconds(5),
    // MiniStack runs each function in one warm worker, so a burst of saga tasks
    // queues behind itself; 5 s timed tasks out under the demo's 60-order burst.
    serviceTimeout: Duration.seconds(30),
    maxReceiveCount: 3,
    removalPolicy: RemovalPolicy.DESTROY,
    // Small, so every confirmed or refunded order exercises the snapshot path locally.
    snapshotEvery: 4,
    eventStoreDeletionProtection: false,
    archiveParameter: true,
  },
};

/** The repository root (this file is lib/stacks/order-flow-stack.ts). */
const ROOT = path.resolve(__dirname, '..', '..');
const entry = (name: string) => path.join(ROOT, 'lambdas', name, 'handler.ts');

/**
 * Bundling shared by every function: the AWS SDK is bundled too, so the same
 * artifact runs on Lambda and on the local engine's plain `node`, and on AWS
 * the code runs with the SDK version it was tested with. `module` before
 * `main` makes esbuild take the SDK's and Powertools' ES module builds, which
 * it can tree-shake (the CommonJS builds it cannot): about a third off every
 * bundle and its init time (BENCHMARKS.md, issue 5).
 */
const BUNDLING: nodejs.BundlingOptions = {
  minify: true,
  sourceMap: false,
  target: 'node20',
  format: nodejs.OutputFormat.CJS,
  mainFields: ['module', 'main'],
  externalModules: [],
};

/**
 * The order-processing blueprint: an EventBridge bus routes checkout events to
 * a Step Functions saga (orchestration), order outcomes to an SNS fan-out
 * (choreography); the saga's services append to a DynamoDB event store whose
 * stream feeds a relay (back to the bus, and every order event to a FIFO queue
 * in the order's own message group) and a projector (the CQRS read model).
 */
export class OrderFlowStack extends Stack {
  private readonly removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: OrderFlowStackProps) {
    super(scope, id, props);
    const stage = STAGES[props.stage];
    const removalPolicy = stage.removalPolicy;
    // Read first, so a bad `operations:*` context value fails synth before any bundling (used in section 10).
    const operationsConfig = props.operations ?? readOperationsConfig(this.node);
    this.removalPolicy = removalPolicy;

    // 1. Tables. Key formats are documented once, in lambdas/contracts/keys.ts, and built by its `keys` only.
    //    Idempotency: pk `id` (Powertools), TTL `expiration`.
    const idempotency = new IdempotencyTable(this, 'Idempotency', { removalPolicy });
    //    Event store: pk `aggregateId` (= orderId), sk `version` (number, 1-based, no gaps);
    //    its snapshot table has the same keys.
    //    Only the events table is deletion-protected: snapshots and read models are derived
    //    from it and rebuilt by `npm run rebuild` (docs/deploy-to-aws.md, "Tearing down").
    const eventStore = new EventStore(this, 'EventStore', {
      removalPolicy,
      snapshotEvery: stage.snapshotEvery,
      deletionProtection: stage.eventStoreDeletionProtection,
    });
    //    Read models, written by the projector only (lambdas/projector):
    //      order summary: pk `orderId`; GSI ORDER_HISTORY_INDEX: pk `customerId`, sk `placedAt` (a customer's orders)
    //      customer statistics: pk `customerId`, counters over all of the customer's orders
    const readModel = this.table('ReadModel', {
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
    });
    readModel.addGlobalSecondaryIndex({
      indexName: ORDER_HISTORY_INDEX,
      partitionKey: { name: 'customerId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'placedAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    const customerStats = this.table('CustomerStatsReadModel', {
      partitionKey: { name: 'customerId', type: dynamodb.AttributeType.STRING },
    });
    //    Order-service table (owned by the saga's services): `pk`/`sk`, formats in lambdas/contracts/keys.ts.
    const orderServiceTable = this.table('OrderServiceTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    });
    //    Consumer-state table (side effects of the queue consumers): `pk`/`sk`, formats in lambdas/contracts/keys.ts.
    const consumerStateTable = this.table('ConsumerStateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    });

    //    The fault-injection switch (testing aid): every parameter under the path holds
    //    rules as JSON; the one deployed here, `default`, holds none (off). Deployed on the
    //    local stage, and on AWS only when asked for (`-c faultInjection=true`).
    const faultSwitchPath = `/${this.stackName}/fault-injection`;
    const faultSwitch =
      (props.faultInjection ?? DEFAULT_FAULT_INJECTION[props.stage])
        ? new ssm.StringParameter(this, 'FaultInjectionSwitch', {
            parameterName: `${faultSwitchPath}/default`,
            stringValue: JSON.stringify(FAULTS_OFF),
            description:
              'Testing aid: fault-injection rules read by the consumers and saga services (docs/operations.md "Fault injection"). ' +
              'Keep {"faults":[]} outside tests.',
          })
        : undefined;
    const faultEnvironment: Record<string, string> = faultSwitch ? { [ENV.FAULT_INJECTION_PATH]: faultSwitchPath } : {};
    // GetParametersByPath is authorised against the path, not the parameters it returns.
    const readFaultSwitch = (fn: lambda.IFunction) =>
      faultSwitch &&
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParametersByPath'],
          resources: [
            this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: faultSwitchPath.slice(1) }),
          ],
        }),
      );

    // 2. The saga's services: one function per service, each owning its steps'
    //    action and compensation, writing its state and events in one transaction.
    const serviceEnvironment = {
      ...faultEnvironment,
      [ENV.EVENT_STORE_TABLE_NAME]: eventStore.tableName,
      [ENV.SNAPSHOT_TABLE_NAME]: eventStore.snapshotTable.tableName,
      [ENV.SNAPSHOT_EVERY]: String(eventStore.snapshotEvery),
      [ENV.ORDER_SERVICE_TABLE_NAME]: orderServiceTable.tableName,
      [ENV.IDEMPOTENCY_TABLE_NAME]: idempotency.tableName,
    };
    const service = (id: string, name: string) => {
      const fn = this.nodeFunction(id, name, stage.serviceTimeout, serviceEnvironment);
      eventStore.grantAppend(fn);
      // Service records: read, put and update items (alone or in a transaction); no scan, batch, delete or stream.
      orderServiceTable.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
      idempotency.grantRecordKeeping(fn);
      readFaultSwitch(fn);
      return fn;
    };
    const orderService = service('OrderService', 'order-service');
    const inventoryService = service('InventoryService', 'inventory-service');
    const paymentService = service('PaymentService', 'payment-service');
    const shippingService = service('ShippingService', 'shipping-service');

    // 3. The saga (orchestration). Compensations run in reverse: shipment, payment,
    //    inventory, order. ConfirmOrder is the last step and has nothing to undo.
    //    A compensation that fails after its retries is reported to the order
    //    service, which moves the order to NEEDS_ATTENTION (with its event) before
    //    the remaining compensations run; the execution still ends failed.
    //    Standard or Express per deployment (context `sagaMode`); both are safe
    //    under a duplicated or re-run execution: AcceptOrder lets one execution own
    //    the order, every step's effect is anchored on (order id, step), and the
    //    guards in lambdas/runtime/saga/guards.ts keep a re-run off a finished order.
    const sagaMode = props.sagaMode ?? DEFAULT_SAGA_MODE;
    const saga = new Saga(this, 'OrderSaga', {
      ...SAGA_SETTINGS[sagaMode],
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

    // 4. The bus, its archive and the shared rule-target DLQ. On the local stage the
    //    archive is conditional: MiniStack 1.5.33 cannot provision AWS::Events::Archive,
    //    so the local deploy passes CreateEventArchive=false and creates the same
    //    archive (name from the EventArchiveName output) through the API. On AWS it
    //    is an ordinary resource, with no parameter that could turn it off.
    const archiveCondition = stage.archiveParameter ? this.archiveCondition() : undefined;
    const router = new EventRouter(this, 'Router', { archiveCondition, archiveRetention: Duration.days(30) });

    // 5. Queues. Visibility timeout = 6 × consumer timeout (QueueConsumer enforces it).
    const visibilityTimeout = Duration.seconds(6 * stage.consumerTimeout.toSeconds());
    const queue = (id: string, fifo = false) =>
      new QueueWithDlq(this, id, { fifo, visibilityTimeout, maxReceiveCount: stage.maxReceiveCount });
    const emailQueue = queue('EmailQueue');
    const analyticsQueue = queue('AnalyticsQueue');
    const loyaltyQueue = queue('LoyaltyQueue');
    // Ordered per order: the relay (section 6) sends each order's events with the
    // order id as message group and the event id as deduplication id, so
    // content-based deduplication stays off.
    const timelineQueue = queue('OrderTimelineQueue', true);

    // 6. The event store's stream: the relay publishes each new event to the bus
    //    and sends it to the timeline FIFO queue in its order's message group
    //    (lambdas/event-relay/relay.ts says why not an event bus rule); the
    //    projector folds it into the read model. Both retry a failing batch by
    //    halves, then park its description in their own failure queue. They are
    //    the stream's two readers, DynamoDB Streams' advised maximum per shard
    //    (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_LimitExceededException.html),
    //    which is why a third reader (such as an EventBridge Pipe) is not added.
    const relay = this.nodeFunction('EventRelay', 'event-relay', stage.serviceTimeout, {
      [ENV.EVENT_BUS_NAME]: router.eventBus.eventBusName,
      [ENV.TIMELINE_QUEUE_URL]: timelineQueue.queue.queueUrl,
    });
    router.eventBus.grantPutEventsTo(relay);
    // SendMessageBatch is authorized as sqs:SendMessage
    // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html);
    // not grantSendMessages, whose GetQueueAttributes and GetQueueUrl nothing calls. The queue is
    // SSE-SQS (QueueWithDlq's default), so there is no key to grant.
    timelineQueue.queue.grant(relay, 'sqs:SendMessage');
    const relayFailures = this.failureQueue('EventRelayFailureQueue');
    relay.addEventSource(this.streamSource(eventStore, relayFailures));

    const projector = this.nodeFunction('Projector', 'projector', stage.serviceTimeout, {
      [ENV.READ_MODEL_TABLE_NAME]: readModel.tableName,
      [ENV.CUSTOMER_STATS_TABLE_NAME]: customerStats.tableName,
    });
    // Item calls only, each on the table it applies to (lambdas/projector/project.ts): the order summary
    // is read and put whole, the customer counters are updated in place. No history-index query.
    // (A statement, not readModel.grant: that would add the table's index ARNs too.)
    projector.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [readModel.tableArn] }),
    );
    customerStats.grant(projector, 'dynamodb:UpdateItem');
    const projectorFailures = this.failureQueue('ProjectorFailureQueue');
    projector.addEventSource(this.streamSource(eventStore, projectorFailures));

    // 7. The fan-out (choreography): order outcomes to every interested queue.
    const fanout = new FanoutTopic(this, 'Fanout', { removalPolicy });
    // Email: every outcome, as SNS's notification JSON (the consumer unwraps `Message`).
    const emailSubscription = fanout.subscribeQueue('Email', emailQueue.queue);
    // Analytics: every outcome, raw.
    const analyticsSubscription = fanout.subscribeQueue('Analytics', analyticsQueue.queue, {
      rawMessageDelivery: true,
    });
    // Loyalty: confirmed orders of LOYALTY_MIN_TOTAL or more, filtered on the body.
    const loyaltySubscription = fanout.subscribeQueue('Loyalty', loyaltyQueue.queue, {
      rawMessageDelivery: true,
      filterPolicyWithMessageBody: {
        type: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: ['OrderConfirmed'] })),
        data: sns.FilterOrPolicy.policy({
          total: sns.FilterOrPolicy.filter(
            sns.SubscriptionFilter.numericFilter({ greaterThanOrEqualTo: LOYALTY_MIN_TOTAL }),
          ),
        }),
      },
    });

    // 8. Routes. Every target retries 8 times for up to 2 hours, then dead-letters.
    //    (a) A placed order starts the saga with the envelope as input.
    router.routeToStateMachine('OrderPlacedToSaga', saga.stateMachine, {
      eventPattern: { source: [CHECKOUT_SOURCE], detailType: ['OrderPlaced'] },
      description: 'OrderPlaced starts the order saga',
    });
    //    (b) Order outcomes fan out through SNS.
    router.routeToTopic('OrderOutcomesToFanout', fanout.topic, {
      eventPattern: { source: [ORDER_SERVICE_SOURCE], detailType: [...ORDER_OUTCOME_TYPES] },
      description: 'Order outcomes fan out to e-mail, analytics and loyalty',
    });
    //    (The timeline FIFO queue has no rule: a rule target's message group is
    //    one fixed string for every event, so the relay sends to it, section 6.)

    // 9. Consumers: partial batch failures, capped concurrency, and parking in
    //    their DLQ with the reason on the last attempt.
    const consumer = (id: string, name: string, source: QueueWithDlq) => {
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
        functionProps: { bundling: BUNDLING },
      });
      // Apply-once effects: a marker put and the effect's put/update in one transaction, and a read
      // where the effect depends on the current item (the timeline); no scan, batch, delete or stream.
      consumerStateTable.grant(c.fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
      idempotency.grantRecordKeeping(c.fn);
      readFaultSwitch(c.fn);
      return c;
    };
    const consumers = [
      consumer('EmailConsumer', 'email-consumer', emailQueue),
      consumer('AnalyticsConsumer', 'analytics-consumer', analyticsQueue),
      consumer('LoyaltyConsumer', 'loyalty-consumer', loyaltyQueue),
      consumer('OrderTimelineConsumer', 'order-timeline-consumer', timelineQueue),
    ];

    // 10. Operations: one dashboard, alarms to one encrypted topic. Thresholds and
    //     the optional e-mail subscription come from the `operations:*` context
    //     (operationsConfig, read at the top).
    const allFunctions = [
      orderService,
      inventoryService,
      paymentService,
      shippingService,
      relay,
      projector,
      ...consumers.map((c) => c.fn),
    ];
    // The business figures the handlers write in EMF (names: lambdas/contracts/metrics.ts), summed per 5 minutes.
    const businessMetric = (metricName: BusinessMetricName) =>
      new cloudwatch.Metric({
        namespace: BUSINESS_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: BUSINESS_METRICS_SERVICE },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      });
    const operations = new OperationsMonitoring(this, 'Operations', {
      businessMetrics: BUSINESS_METRIC_NAMES.map(businessMetric),
      compensationMetric: businessMetric(BUSINESS_METRIC.OrdersCompensated),
      needsAttentionMetric: businessMetric(BUSINESS_METRIC.OrdersNeedingAttention),
      stateMachines: [saga],
      queues: [emailQueue, analyticsQueue, loyaltyQueue, timelineQueue],
      deadLetterQueues: [
        router.deadLetterQueue,
        ...fanout.subscriptionDeadLetterQueues,
        relayFailures,
        projectorFailures,
      ],
      functions: allFunctions,
      rules: [router],
      tables: [eventStore.table, readModel, orderServiceTable, consumerStateTable, idempotency.table],
      thresholds: operationsConfig.thresholds,
      alarmEmail: operationsConfig.alarmEmail,
      removalPolicy,
    });

    // 11. Outputs, read by the local deploy, the demo and the integration tests.
    const outputs: Record<string, string> = {
      EventBusName: router.eventBus.eventBusName,
      EventArchiveName: router.archiveName,
      StateMachineArn: saga.stateMachine.stateMachineArn,
      EventStoreTableName: eventStore.tableName,
      SnapshotTableName: eventStore.snapshotTable.tableName,
      ReadModelTableName: readModel.tableName,
      CustomerStatsTableName: customerStats.tableName,
      ProjectorFunctionName: projector.functionName,
      // The bench points it at a probe queue for a while (scripts/lib/bench/timeline-route.ts).
      EventRelayFunctionName: relay.functionName,
      OrderServiceTableName: orderServiceTable.tableName,
      ConsumerStateTableName: consumerStateTable.tableName,
      // The consumers by name, so a test can invoke one with a synthetic batch.
      ...Object.fromEntries(consumers.map((c) => [`${c.node.id}FunctionName`, c.fn.functionName])),
      IdempotencyTableName: idempotency.tableName,
      FanoutTopicArn: fanout.topic.topicArn,
      EmailQueueUrl: emailQueue.queue.queueUrl,
      EmailDlqUrl: emailQueue.deadLetterQueue.queueUrl,
      AnalyticsQueueUrl: analyticsQueue.queue.queueUrl,
      AnalyticsDlqUrl: analyticsQueue.deadLetterQueue.queueUrl,
      LoyaltyQueueUrl: loyaltyQueue.queue.queueUrl,
      LoyaltyDlqUrl: loyaltyQueue.deadLetterQueue.queueUrl,
      OrderTimelineQueueUrl: timelineQueue.queue.queueUrl,
      OrderTimelineDlqUrl: timelineQueue.deadLetterQueue.queueUrl,
      RuleTargetDlqUrl: router.deadLetterQueue.queueUrl,
      // The DLQs without a source queue, so `npm run dlq -- list` can show every one of them.
      EmailSubscriptionDlqUrl: emailSubscription.deadLetterQueue.queueUrl,
      AnalyticsSubscriptionDlqUrl: analyticsSubscription.deadLetterQueue.queueUrl,
      LoyaltySubscriptionDlqUrl: loyaltySubscription.deadLetterQueue.queueUrl,
      EventRelayFailureQueueUrl: relayFailures.queueUrl,
      ProjectorFailureQueueUrl: projectorFailures.queueUrl,
      MaxReceiveCount: String(stage.maxReceiveCount),
      AlarmTopicArn: operations.alarmTopic.topicArn,
      DashboardName: operations.dashboard.dashboardName,
      ...(faultSwitch ? { FaultInjectionPath: faultSwitchPath } : {}),
    };
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });

    // 12. cdk-nag: what remains after fixing everything fixable, each acknowledged with its reason.
    this.acknowledgeNagFindings({
      functions: allFunctions,
      streamConsumers: [relay, projector],
      saga,
      sagaFunctions: [orderService, inventoryService, paymentService, shippingService],
      deadLetterQueues: [
        router.deadLetterQueue,
        ...fanout.subscriptionDeadLetterQueues,
        relayFailures,
        projectorFailures,
      ],
    });
  }

  /** The `CreateEventArchive` parameter (default `true`) and the condition on it (local stage only). */
  private archiveCondition(): CfnCondition {
    const createArchive = new CfnParameter(this, 'CreateEventArchive', {
      type: 'String',
      allowedValues: ['true', 'false'],
      default: 'true',
      description: 'Create the event archive with CloudFormation (false on engines without AWS::Events::Archive).',
    });
    return new CfnCondition(this, 'CreateEventArchiveCondition', {
      expression: Fn.conditionEquals(createArchive.valueAsString, 'true'),
    });
  }

  /** An application table: on-demand, AWS-managed encryption, point-in-time recovery. */
  private table(id: string, keys: Pick<dynamodb.TableProps, 'partitionKey' | 'sortKey'>): dynamodb.Table {
    return new dynamodb.Table(this, id, {
      ...keys,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: this.removalPolicy,
    });
  }

  /** A function with the project's defaults and its own one-month log group. */
  private nodeFunction(
    id: string,
    name: string,
    timeout: Duration,
    environment: Record<string, string>,
  ): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}LogGroup`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: this.removalPolicy,
    });
    // Writes to its own log group only (no AWS-managed AWSLambdaBasicExecutionRole).
    const role = new iam.Role(this, `${id}ServiceRole`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${name} function`,
    });
    logGroup.grantWrite(role);
    return new nodejs.NodejsFunction(this, id, {
      role,
      entry: entry(name),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout,
      tracing: lambda.Tracing.ACTIVE,
      environment,
      logGroup,
      bundling: BUNDLING,
    });
  }

  /** A queue for stream batches that failed all retries (the event source's on-failure destination). */
  private failureQueue(id: string): sqs.Queue {
    return new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
  }

  /** The event store's stream, in order, with bisecting retries and a failure queue. */
  private streamSource(eventStore: EventStore, onFailure: sqs.IQueue): sources.DynamoEventSource {
    return new sources.DynamoEventSource(eventStore.table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      bisectBatchOnError: true,
      retryAttempts: 10,
      reportBatchItemFailures: true,
      onFailure: new sources.SqsDlq(onFailure),
    });
  }

  /**
   * cdk-nag (AwsSolutions) findings that cannot be fixed, acknowledged on the
   * narrowest construct with the specific finding id and a reason.
   */
  private acknowledgeNagFindings(findings: {
    functions: lambda.Function[];
    streamConsumers: lambda.Function[];
    saga: Saga;
    sagaFunctions: lambda.Function[];
    deadLetterQueues: sqs.IQueue[];
  }): void {
    for (const fn of findings.functions) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is a supported runtime chosen deliberately (bundles target node20 so the same artifact runs on ' +
          "the local engine's node); cdk-nag flags anything older than the newest runtime (nodejs24.x).",
      });
      const streams = findings.streamConsumers.includes(fn);
      Validations.of(fn.role ?? fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions' +
          (streams ? '; dynamodb:ListStreams (DynamoDB event source) supports none either.' : '.'),
      });
    }
    const sagaRole = findings.saga.stateMachine.role;
    Validations.of(sagaRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions logging (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ' +
        'ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing ' +
        'actions support no resource-level permissions.',
    });
    for (const fn of findings.sagaFunctions) {
      const logicalId = this.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
      Validations.of(sagaRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: `The saga invokes ${fn.node.id}; the :* suffix covers its versions and aliases (CDK's LambdaInvoke grant).`,
      });
    }
    for (const queue of findings.deadLetterQueues) {
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue IS a dead-letter queue, of an SNS subscription, an EventBridge rule target or a Lambda event ' +
          "source's on-failure destination; the rule only recognises DLQs named in another queue's RedrivePolicy.",
      });
    }
  }
}
