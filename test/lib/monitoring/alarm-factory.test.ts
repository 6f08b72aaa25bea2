import { aws_cloudwatch as cloudwatch, aws_sns as sns } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { AlarmFactory } from '../../../lib/monitoring/alarm-factory';
import { SEVERITY_POLICIES, severities } from '../../../lib/monitoring/severity';
import { testStack } from '../../support/cdk/cdk';

const metric = new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Errors' });

/** A factory under `Test/Monitoring` whose severities notify two different topics. */
function factory() {
  const { stack } = testStack();
  const critical = new sns.Topic(stack, 'Critical');
  const warning = new sns.Topic(stack, 'Warning');
  const alarms = new AlarmFactory(new cloudwatch.Dashboard(stack, 'Monitoring'), {
    alarmNamePrefix: 'Shop',
    severities: severities({ critical, warning }),
  });
  return { stack, alarms, critical, warning };
}

describe('AlarmFactory and severities', () => {
  it('gives an alarm the evaluation, missing-data treatment and topic of its severity', () => {
    const { stack, alarms, critical, warning } = factory();
    const spec = { metric, threshold: 0, description: 'failed.' };
    const urgent = alarms.alarm('Orders', { ...spec, kind: 'Failed', severity: 'critical' });
    const later = alarms.alarm('Orders', { ...spec, kind: 'Slow', severity: 'warning' });
    const alarm = (a: cloudwatch.Alarm) =>
      Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(a.node.defaultChild as cloudwatch.CfnAlarm)]
        .Properties;
    expect(alarm(urgent)).toMatchObject({
      AlarmName: 'Shop-Orders-Failed',
      EvaluationPeriods: SEVERITY_POLICIES.critical.evaluationPeriods,
      DatapointsToAlarm: SEVERITY_POLICIES.critical.datapointsToAlarm,
      TreatMissingData: 'notBreaching',
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: stack.getLogicalId(critical.node.defaultChild as sns.CfnTopic) }],
      AlarmDescription: 'Orders: failed. Fires above 0 in a 5-minute period.',
    });
    expect(alarm(later).AlarmActions).toEqual([{ Ref: stack.getLogicalId(warning.node.defaultChild as sns.CfnTopic) }]);
    expect(alarms.alarms).toEqual([urgent, later]);
  });

  it('refuses a labelled metric, which CloudFormation would get as metric math (MiniStack refuses that form)', () => {
    const { alarms } = factory();
    expect(() =>
      alarms.alarm('Orders', {
        kind: 'Failed',
        severity: 'critical',
        metric: metric.with({ label: 'errors' }),
        threshold: 0,
        description: 'failed.',
      }),
    ).toThrow(
      'Alarm Orders-Failed: its metric carries the label "errors", which CloudFormation would get as metric math (the Metrics form). Fix: alarm on the metric without a label; label it in widgets.',
    );
  });

  it('refuses to scope alarms under an id an alarm already holds, instead of nesting into the alarm', () => {
    const { stack, alarms } = factory();
    const spec = { metric, threshold: 0, description: 'failed.', severity: 'critical' } as const;
    alarms.alarm('Orders', { ...spec, kind: 'Failed' });
    const watched = new Construct(new Construct(stack, 'Orders'), 'Failed');
    expect(() => alarms.alarm(watched, { ...spec, kind: 'Errors' })).toThrow(
      'Cannot scope alarms at Test/Monitoring/Orders/Failed: an alarm already has that id. Fix: rename the watched construct.',
    );
  });
});
