import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOf, type TemplateJson } from '../../support/cdk/cdk';
import { synthOrderFlow } from '../../support/cdk/order-flow';

/**
 * Every alarm of the order-flow stack: logical id and alarm name, in the order the monitoring creates them.
 *
 * Both are pinned on purpose. A changed logical id is, to CloudFormation, a new alarm and a deleted one
 * (https://docs.aws.amazon.com/cdk/v2/guide/refactor.html); a changed name is a new alarm too, since the name
 * is its physical id (`AlarmName`,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html#cfn-cloudwatch-alarm-alarmname).
 * Renaming a watched construct does both, so it must show up here, as a failing test, and be deployed on
 * purpose (with `cdk refactor` for the ids), not slip through as a silent replacement. If the change is
 * intended, update this list in the same commit and say so in its message.
 *
 * The ids are `Operations` + the watched construct's path + the alarm's kind, with the hash CDK adds
 * (`lib/monitoring/alarm-factory.ts`). The template lists them in construct-tree order, so a later monitor's alarm
 * on an already watched construct (the stream consumers' `IteratorAge`) sits beside that construct's others.
 */
const ALARMS: readonly (readonly [logicalId: string, alarmName: string])[] = [
  ['OperationsOrderSagaExecutionsFailed03D3C3CA', 'OrderFlow-OrderSaga-ExecutionsFailed'],
  ['OperationsOrderSagaExecutionsTimedOut7BFCB285', 'OrderFlow-OrderSaga-ExecutionsTimedOut'],
  ['OperationsOrdersCompensated8BBBE48B', 'OrderFlow-Orders-Compensated'],
  ['OperationsOrdersNeedAttention39B73C67', 'OrderFlow-Orders-NeedAttention'],
  ['OperationsOrdersIdConflicts73233A26', 'OrderFlow-Orders-IdConflicts'],
  ['OperationsEmailQueueDlqDepthDB9B4EE9', 'OrderFlow-EmailQueue-DlqDepth'],
  ['OperationsEmailQueueOldestMessageAge397EC730', 'OrderFlow-EmailQueue-OldestMessageAge'],
  ['OperationsAnalyticsQueueDlqDepth97744028', 'OrderFlow-AnalyticsQueue-DlqDepth'],
  ['OperationsAnalyticsQueueOldestMessageAgeAB496D23', 'OrderFlow-AnalyticsQueue-OldestMessageAge'],
  ['OperationsLoyaltyQueueDlqDepthE391B7F5', 'OrderFlow-LoyaltyQueue-DlqDepth'],
  ['OperationsLoyaltyQueueOldestMessageAge67DCC7E2', 'OrderFlow-LoyaltyQueue-OldestMessageAge'],
  ['OperationsOrderTimelineQueueDlqDepth43039B50', 'OrderFlow-OrderTimelineQueue-DlqDepth'],
  ['OperationsOrderTimelineQueueOldestMessageAgeE8D757C3', 'OrderFlow-OrderTimelineQueue-OldestMessageAge'],
  ['OperationsRouterDeadLetterQueueDepth4D8D7A7D', 'OrderFlow-RouterDeadLetterQueue-Depth'],
  ['OperationsRouterOrderPlacedToSagaFailedInvocationsC6F1DB94', 'OrderFlow-RouterOrderPlacedToSaga-FailedInvocations'],
  [
    'OperationsRouterOrderPlacedToSagaInvocationsFailedToBeSentToDlqB6F098B7',
    'OrderFlow-RouterOrderPlacedToSaga-InvocationsFailedToBeSentToDlq',
  ],
  [
    'OperationsRouterOrderOutcomesToFanoutFailedInvocationsDE23BE1B',
    'OrderFlow-RouterOrderOutcomesToFanout-FailedInvocations',
  ],
  [
    'OperationsRouterOrderOutcomesToFanoutInvocationsFailedToBeSentToDlq429122BC',
    'OrderFlow-RouterOrderOutcomesToFanout-InvocationsFailedToBeSentToDlq',
  ],
  ['OperationsFanoutEmailDeadLetterQueueDepth32F5123B', 'OrderFlow-FanoutEmailDeadLetterQueue-Depth'],
  ['OperationsFanoutAnalyticsDeadLetterQueueDepth069BDFB0', 'OrderFlow-FanoutAnalyticsDeadLetterQueue-Depth'],
  ['OperationsFanoutLoyaltyDeadLetterQueueDepth41D7CDB4', 'OrderFlow-FanoutLoyaltyDeadLetterQueue-Depth'],
  ['OperationsEventRelayFailureQueueDepthC771E03E', 'OrderFlow-EventRelayFailureQueue-Depth'],
  ['OperationsProjectorFailureQueueDepth852D0921', 'OrderFlow-ProjectorFailureQueue-Depth'],
  ['OperationsOrderServiceErrorsD461BECD', 'OrderFlow-OrderService-Errors'],
  ['OperationsOrderServiceThrottles03DA0FCC', 'OrderFlow-OrderService-Throttles'],
  ['OperationsInventoryServiceErrors5293C3C6', 'OrderFlow-InventoryService-Errors'],
  ['OperationsInventoryServiceThrottles63F5767D', 'OrderFlow-InventoryService-Throttles'],
  ['OperationsPaymentServiceErrorsA1F6BB85', 'OrderFlow-PaymentService-Errors'],
  ['OperationsPaymentServiceThrottlesF387CD2D', 'OrderFlow-PaymentService-Throttles'],
  ['OperationsShippingServiceErrorsA90FE335', 'OrderFlow-ShippingService-Errors'],
  ['OperationsShippingServiceThrottlesE0BEC6CD', 'OrderFlow-ShippingService-Throttles'],
  ['OperationsEventRelayErrors52670F91', 'OrderFlow-EventRelay-Errors'],
  ['OperationsEventRelayThrottlesD0FA014F', 'OrderFlow-EventRelay-Throttles'],
  ['OperationsEventRelayIteratorAge0053EB2D', 'OrderFlow-EventRelay-IteratorAge'],
  ['OperationsProjectorErrors1D98F7DA', 'OrderFlow-Projector-Errors'],
  ['OperationsProjectorThrottlesF1C049A7', 'OrderFlow-Projector-Throttles'],
  ['OperationsProjectorIteratorAgeAAE6AE26', 'OrderFlow-Projector-IteratorAge'],
  ['OperationsEmailConsumerFunctionErrors940E06C5', 'OrderFlow-EmailConsumerFunction-Errors'],
  ['OperationsEmailConsumerFunctionThrottlesB5D85B30', 'OrderFlow-EmailConsumerFunction-Throttles'],
  ['OperationsAnalyticsConsumerFunctionErrorsFDFE1266', 'OrderFlow-AnalyticsConsumerFunction-Errors'],
  ['OperationsAnalyticsConsumerFunctionThrottlesE4523F19', 'OrderFlow-AnalyticsConsumerFunction-Throttles'],
  ['OperationsLoyaltyConsumerFunctionErrors236BAAC8', 'OrderFlow-LoyaltyConsumerFunction-Errors'],
  ['OperationsLoyaltyConsumerFunctionThrottlesDDD6E79D', 'OrderFlow-LoyaltyConsumerFunction-Throttles'],
  ['OperationsOrderTimelineConsumerFunctionErrors805FB3A9', 'OrderFlow-OrderTimelineConsumerFunction-Errors'],
  ['OperationsOrderTimelineConsumerFunctionThrottles16D9E46A', 'OrderFlow-OrderTimelineConsumerFunction-Throttles'],
];

/** The resources around the alarms whose logical ids did not move when monitoring became layers. */
const MONITORING_RESOURCES = {
  OperationsAlarmTopicKey52078457: 'AWS::KMS::Key',
  OperationsAlarmTopic909EF7A3: 'AWS::SNS::Topic',
  OperationsAlarmTopicPolicy8B2C617C: 'AWS::SNS::TopicPolicy',
  OperationsDashboardE19B83FC: 'AWS::CloudWatch::Dashboard',
};

/** `[logical id, alarm name]` of every alarm of a template. */
function alarmsOf(json: TemplateJson): [string, unknown][] {
  return resourcesOf(json, 'AWS::CloudWatch::Alarm').map(([id, alarm]) => [id, alarm.Properties.AlarmName]);
}

describe('alarm logical ids and names of the order-flow stack (pinned)', () => {
  let aws: TemplateJson;

  beforeAll(() => {
    ({ json: aws } = synthOrderFlow('aws'));
  });

  it('are exactly these 45, in this order', () => {
    expect(alarmsOf(aws)).toEqual(ALARMS);
  });

  it('keep the alarm topic, its key and policy, and the dashboard under their earlier logical ids', () => {
    for (const [id, type] of Object.entries(MONITORING_RESOURCES)) expect(aws.Resources[id]?.Type, id).toBe(type);
  });

  it('are the same on the local stage with the Express saga', () => {
    const { json: local } = synthOrderFlow('local', { sagaMode: 'express' });
    expect(alarmsOf(local)).toEqual(ALARMS);
  });
});
