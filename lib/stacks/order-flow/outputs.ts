import { CfnOutput, type aws_events as events, type Stack } from 'aws-cdk-lib';
import type { RuleRouteId } from '../../../lambdas/contracts/routes';
import {
  type ConsumerName,
  OPTIONAL_STACK_OUTPUT_KEYS,
  STACK_OUTPUT_KEYS,
  type StackOutputs,
} from '../../../lambdas/contracts/stack-outputs';
import type { AppTable } from '../../constructs/app-table';
import type { EventRouter } from '../../constructs/event-router';
import type { EventStore } from '../../constructs/event-store';
import type { FanoutTopic, QueueSubscription } from '../../constructs/fanout-topic';
import type { FaultSwitch } from '../../constructs/fault-switch';
import type { IdempotencyTable } from '../../constructs/idempotency-table';
import type { QueueConsumer } from '../../constructs/queue-consumer';
import type { QueueWithDlq } from '../../constructs/queue-with-dlq';
import type { ReadModelTables } from '../../constructs/read-model-tables';
import type { Saga } from '../../constructs/saga';
import type { StreamConsumer } from '../../constructs/stream-consumer';
import type { OperationsMonitoring } from '../../monitoring/operations-monitoring';

/** What the outputs are read from: the stack's parts. */
export interface OutputSources {
  readonly router: EventRouter;
  readonly rules: Record<RuleRouteId, events.Rule>;
  readonly saga: Saga;
  readonly eventStore: EventStore;
  readonly readModels: ReadModelTables;
  readonly orderServiceTable: AppTable;
  readonly consumerStateTable: AppTable;
  readonly idempotency: IdempotencyTable;
  readonly relay: StreamConsumer;
  readonly projector: StreamConsumer;
  readonly consumers: Record<ConsumerName, QueueConsumer>;
  readonly queues: Record<'email' | 'analytics' | 'loyalty' | 'timeline', QueueWithDlq>;
  readonly fanout: FanoutTopic;
  readonly subscriptions: Record<'email' | 'analytics' | 'loyalty', QueueSubscription>;
  readonly maxReceiveCount: number;
  readonly operations: OperationsMonitoring;
  readonly faultSwitch?: FaultSwitch;
}

/**
 * The stack's outputs, read by the local deploy, the demo, the operator commands and the integration tests
 * through `readStackOutputs` (lambdas/contracts/stack-outputs.ts). The value object is typed by that
 * contract's key lists, so an output missing here, or one the contract does not know, fails typecheck;
 * the CfnOutputs are then made from the lists themselves, in their order.
 */
export function addStackOutputs(stack: Stack, s: OutputSources): void {
  const { queues, subscriptions, consumers } = s;
  const values: StackOutputs = {
    EventBusName: s.router.eventBus.eventBusName,
    EventArchiveName: s.router.archiveName,
    StateMachineArn: s.saga.stateMachine.stateMachineArn,
    EventStoreTableName: s.eventStore.tableName,
    SnapshotTableName: s.eventStore.snapshotTable.tableName,
    ReadModelTableName: s.readModels.orderSummary.tableName,
    CustomerStatsTableName: s.readModels.customerStats.tableName,
    ProjectorFunctionName: s.projector.functionName,
    EventRelayFunctionName: s.relay.functionName,
    OrderServiceTableName: s.orderServiceTable.tableName,
    ConsumerStateTableName: s.consumerStateTable.tableName,
    EmailConsumerFunctionName: consumers.EmailConsumer.fn.functionName,
    AnalyticsConsumerFunctionName: consumers.AnalyticsConsumer.fn.functionName,
    LoyaltyConsumerFunctionName: consumers.LoyaltyConsumer.fn.functionName,
    OrderTimelineConsumerFunctionName: consumers.OrderTimelineConsumer.fn.functionName,
    IdempotencyTableName: s.idempotency.tableName,
    FanoutTopicArn: s.fanout.topic.topicArn,
    EmailQueueUrl: queues.email.queue.queueUrl,
    EmailDlqUrl: queues.email.deadLetterQueue.queueUrl,
    AnalyticsQueueUrl: queues.analytics.queue.queueUrl,
    AnalyticsDlqUrl: queues.analytics.deadLetterQueue.queueUrl,
    LoyaltyQueueUrl: queues.loyalty.queue.queueUrl,
    LoyaltyDlqUrl: queues.loyalty.deadLetterQueue.queueUrl,
    OrderTimelineQueueUrl: queues.timeline.queue.queueUrl,
    OrderTimelineDlqUrl: queues.timeline.deadLetterQueue.queueUrl,
    RuleTargetDlqUrl: s.router.deadLetterQueue.queueUrl,
    EmailSubscriptionDlqUrl: subscriptions.email.deadLetterQueue.queueUrl,
    AnalyticsSubscriptionDlqUrl: subscriptions.analytics.deadLetterQueue.queueUrl,
    LoyaltySubscriptionDlqUrl: subscriptions.loyalty.deadLetterQueue.queueUrl,
    EventRelayFailureQueueUrl: s.relay.failureQueue.queueUrl,
    ProjectorFailureQueueUrl: s.projector.failureQueue.queueUrl,
    OrderPlacedToSagaRuleArn: s.rules.OrderPlacedToSaga.ruleArn,
    OrderOutcomesToFanoutRuleArn: s.rules.OrderOutcomesToFanout.ruleArn,
    MaxReceiveCount: String(s.maxReceiveCount),
    AlarmTopicArn: s.operations.alarmTopic.topicArn,
    DashboardName: s.operations.dashboard.dashboardName,
    FaultInjectionPath: s.faultSwitch?.path,
  };
  for (const key of [...STACK_OUTPUT_KEYS, ...OPTIONAL_STACK_OUTPUT_KEYS]) {
    const value = values[key];
    if (value !== undefined) new CfnOutput(stack, key, { value });
  }
}
