import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUSINESS_METRIC_NAMES, BUSINESS_METRICS_NAMESPACE } from '../../../lambdas/contracts/metrics';
import { OPERATIONS_CONTEXT } from '../../../lib/config/operations-config';
import { refOf, resourcesOf, type TemplateJson } from '../../support/cdk/cdk';
import { deadLetterQueueIds, nagFindings, synthOrderFlow } from '../../support/cdk/order-flow';

type Alarm = {
  AlarmName: unknown;
  MetricName: string;
  Namespace: string;
  Threshold: number;
  Dimensions?: { Name: string; Value: unknown }[];
  AlarmActions: unknown[];
  AlarmDescription?: string;
};

/** Every alarm's properties. */
function alarmsOf(json: TemplateJson): Alarm[] {
  return resourcesOf(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties as unknown as Alarm);
}

/** The logical id of the alarm topic, from the AlarmTopicArn output. */
function alarmTopicId(json: TemplateJson): string | undefined {
  const output = json.Outputs?.AlarmTopicArn as { Value: unknown } | undefined;
  return refOf(output?.Value);
}

/** Logical ids of the resources named in the `dimension` of alarms on `metricName`. */
function alarmedIds(json: TemplateJson, metricName: string, dimension: string): Set<string> {
  return new Set(
    alarmsOf(json)
      .filter((a) => a.MetricName === metricName)
      .flatMap((a) => (a.Dimensions ?? []).filter((d) => d.Name === dimension).map((d) => refOf(d.Value) ?? '')),
  );
}

describe('OrderFlowStack operations (dashboard, alarms, context)', () => {
  let json: TemplateJson;
  let template: Template;

  beforeAll(() => {
    ({ json, template } = synthOrderFlow('aws'));
  });

  it('alarms on the depth of every dead-letter queue in the stack', () => {
    const dlqs = deadLetterQueueIds(json);
    expect(dlqs.size).toBe(10);
    const alarmed = alarmedIds(json, 'ApproximateNumberOfMessagesVisible', 'QueueName');
    for (const dlq of dlqs) expect(alarmed.has(dlq), dlq).toBe(true);
  });

  it("alarms on every source queue's oldest message age", () => {
    const dlqs = deadLetterQueueIds(json);
    const sources = resourcesOf(json, 'AWS::SQS::Queue').filter(([id]) => !dlqs.has(id));
    expect(sources).toHaveLength(4);
    const alarmed = alarmedIds(json, 'ApproximateAgeOfOldestMessage', 'QueueName');
    expect([...alarmed].sort()).toEqual(sources.map(([id]) => id).sort());
    for (const alarm of alarmsOf(json).filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage')) {
      expect(alarm.Threshold).toBe(300);
    }
  });

  it('alarms on errors and on throttles of every function', () => {
    const functions = resourcesOf(json, 'AWS::Lambda::Function').map(([id]) => id);
    expect(functions).toHaveLength(10);
    for (const metric of ['Errors', 'Throttles']) {
      const alarmed = alarmedIds(json, metric, 'FunctionName');
      expect([...alarmed].sort(), metric).toEqual([...functions].sort());
    }
  });

  it('alarms on the iterator age (maximum, in ms) of both stream consumers, the relay and the projector', () => {
    const consumers = resourcesOf(json, 'AWS::Lambda::EventSourceMapping')
      .filter(([, m]) => JSON.stringify(m.Properties.EventSourceArn).includes('StreamArn'))
      .map(([, m]) => refOf(m.Properties.FunctionName) ?? '');
    expect(consumers.sort()).toEqual([expect.stringMatching(/^EventRelay/), expect.stringMatching(/^Projector/)]);
    expect([...alarmedIds(json, 'IteratorAge', 'FunctionName')].sort()).toEqual(consumers);
    for (const alarm of alarmsOf(json).filter((a) => a.MetricName === 'IteratorAge')) {
      expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Maximum', Period: 60, Threshold: 300_000 });
    }
  });

  it('alarms on failed and timed-out saga executions and on compensations', () => {
    const [[machineId]] = resourcesOf(json, 'AWS::StepFunctions::StateMachine');
    expect(alarmedIds(json, 'ExecutionsFailed', 'StateMachineArn')).toEqual(new Set([machineId]));
    expect(alarmedIds(json, 'ExecutionsTimedOut', 'StateMachineArn')).toEqual(new Set([machineId]));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'OrderFlow-Orders-Compensated',
      Namespace: BUSINESS_METRICS_NAMESPACE,
      MetricName: 'OrdersCompensated',
      Dimensions: [{ Name: 'service', Value: 'order-flow' }],
      Period: 300,
      Threshold: 5,
    });
  });

  it("alarms on every rule's failed target invocations and on events that could not reach the DLQ", () => {
    const rules = resourcesOf(json, 'AWS::Events::Rule').map(([id]) => id);
    expect(rules).toHaveLength(2);
    for (const metric of ['FailedInvocations', 'InvocationsFailedToBeSentToDlq']) {
      expect([...alarmedIds(json, metric, 'RuleName')].sort(), metric).toEqual([...rules].sort());
    }
  });

  it('sends every alarm to the alarm topic only', () => {
    const topicId = alarmTopicId(json);
    expect(json.Resources[topicId!].Type).toBe('AWS::SNS::Topic');
    for (const alarm of alarmsOf(json)) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it('names every alarm <stack>-<construct path>-<signal>: literal and unique', () => {
    const names = alarmsOf(json).map((a) => a.AlarmName);
    expect(names).toHaveLength(45);
    for (const name of names) expect(name).toMatch(/^OrderFlow-[A-Za-z0-9]+-[A-Za-z]+$/);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        'OrderFlow-EmailQueue-DlqDepth',
        'OrderFlow-OrderTimelineQueue-OldestMessageAge',
        'OrderFlow-EmailConsumerFunction-Errors',
        'OrderFlow-OrderService-Throttles',
        'OrderFlow-OrderSaga-ExecutionsFailed',
        'OrderFlow-Orders-NeedAttention',
        'OrderFlow-Orders-IdConflicts',
        'OrderFlow-RouterOrderPlacedToSaga-FailedInvocations',
        'OrderFlow-RouterDeadLetterQueue-Depth',
        'OrderFlow-EventRelay-IteratorAge',
        'OrderFlow-Projector-IteratorAge',
      ]),
    );
  });

  it('alarms on the first order needing attention, over the figure the order service emits', () => {
    const alarm = alarmsOf(json).find((a) => a.AlarmName === 'OrderFlow-Orders-NeedAttention');
    expect(alarm).toMatchObject({
      Namespace: BUSINESS_METRICS_NAMESPACE,
      MetricName: 'OrdersNeedingAttention',
      Dimensions: [{ Name: 'service', Value: 'order-flow' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarm?.AlarmDescription).toContain('re-run the failed compensation');
  });

  it('alarms on the first order refused as an order-id conflict, over the figure the order service emits', () => {
    const alarm = alarmsOf(json).find((a) => a.AlarmName === 'OrderFlow-Orders-IdConflicts');
    expect(alarm).toMatchObject({
      Namespace: BUSINESS_METRICS_NAMESPACE,
      MetricName: 'OrderConflicts',
      Dimensions: [{ Name: 'service', Value: 'order-flow' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarm?.AlarmDescription).toContain('CONFLICT#<event id>');
  });

  it('draws the business figures under the names the handlers emit (lambdas/contracts/metrics.ts)', () => {
    const [[, dashboard]] = resourcesOf(json, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const name of BUSINESS_METRIC_NAMES) {
      expect(body).toContain(`\\"${BUSINESS_METRICS_NAMESPACE}\\",\\"${name}\\",\\"service\\",\\"order-flow\\"`);
    }
  });

  it('subscribes no e-mail address unless the context names one', () => {
    const emails = resourcesOf(json, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties.Protocol === 'email');
    expect(emails).toEqual([]);
  });

  describe('with operations context set (-c)', () => {
    let custom: TemplateJson;
    let nag: PolicyValidationPluginReport;

    beforeAll(() => {
      ({ json: custom, nag } = synthOrderFlow('aws', {
        [OPERATIONS_CONTEXT.alarmEmail]: 'oncall@example.com',
        // As `-c` passes them: strings.
        [OPERATIONS_CONTEXT.oldestMessageAgeSeconds]: '900',
        [OPERATIONS_CONTEXT.functionErrorsThreshold]: '3',
        [OPERATIONS_CONTEXT.compensationsThreshold]: 20,
        [OPERATIONS_CONTEXT.streamIteratorAgeSeconds]: '120',
      }));
    });

    it('uses the thresholds it sets', () => {
      const thresholds = (metric: string) =>
        new Set(
          alarmsOf(custom)
            .filter((a) => a.MetricName === metric)
            .map((a) => a.Threshold),
        );
      expect(thresholds('ApproximateAgeOfOldestMessage')).toEqual(new Set([900]));
      expect(thresholds('Errors')).toEqual(new Set([3]));
      expect(thresholds('OrdersCompensated')).toEqual(new Set([20]));
      expect(thresholds('IteratorAge')).toEqual(new Set([120_000]));
      // Untouched keys keep their defaults.
      expect(thresholds('Throttles')).toEqual(new Set([0]));
    });

    it('keeps every alarm name: names come from construct ids, not from settings or tokens', () => {
      const names = (t: TemplateJson) => alarmsOf(t).map((a) => a.AlarmName);
      expect(names(custom)).toEqual(names(json));
    });

    it('subscribes the e-mail address to the alarm topic, and stays cdk-nag clean', () => {
      const topicId = alarmTopicId(custom);
      const emails = resourcesOf(custom, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties.Protocol === 'email');
      expect(emails.map(([, s]) => [s.Properties.Endpoint, refOf(s.Properties.TopicArn)])).toEqual([
        ['oncall@example.com', topicId],
      ]);
      expect(nagFindings(nag)).toEqual([]);
    });
  });

  it('fails synth with every bad operations context value in one message', () => {
    expect(() =>
      synthOrderFlow('aws', {
        [OPERATIONS_CONTEXT.functionErrorsThreshold]: '-1',
        [OPERATIONS_CONTEXT.oldestMessageAgeSeconds]: '30',
        [OPERATIONS_CONTEXT.alarmEmail]: 'oncall at example',
        [OPERATIONS_CONTEXT.streamIteratorAgeSeconds]: '0',
        'operations:dlqThreshold': '1',
      }),
    ).toThrow(
      [
        'Invalid operations context (cdk.json "context" or -c): 5 problems:',
        '  - operations:oldestMessageAgeSeconds = "30": must be at least 60 (SQS publishes the age of the oldest message once a minute). Fix: use e.g. -c operations:oldestMessageAgeSeconds=300',
        '  - operations:streamIteratorAgeSeconds = "0": must be from 1 to 86399 (a DynamoDB stream drops records after 24 hours, so a higher threshold fires too late). Fix: use e.g. -c operations:streamIteratorAgeSeconds=300 (the default)',
        '  - operations:functionErrorsThreshold = "-1": must be a whole number of 0 or more. Fix: use e.g. -c operations:functionErrorsThreshold=0 (the default)',
        '  - operations:alarmEmail = "oncall at example": must be one e-mail address such as oncall@example.com. Fix: pass -c operations:alarmEmail=oncall@example.com, or leave the key out for no subscription',
        `  - operations:dlqThreshold = "1": is not an operations setting. Fix: use one of ${Object.values(OPERATIONS_CONTEXT).join(', ')}`,
      ].join('\n'),
    );
  });
});
