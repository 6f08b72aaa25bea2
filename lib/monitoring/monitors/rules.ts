import { aws_cloudwatch as cloudwatch, type aws_events as events } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type AlarmFactory, labelOf } from '../alarm-factory';
import type { Monitor } from '../dashboard';
import { sibling } from '../metrics';
import type { AlarmThresholds } from '../thresholds';

/**
 * Rules and their failure metric; an `EventRouter` is one. The other
 * AWS/Events metrics of a rule (matched events, events sent to the DLQ) are
 * read with the same namespace and dimensions as `metricFailedInvocations`.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
 */
export interface MonitoredRules extends IConstruct {
  readonly rules: readonly events.IRule[];
  metricFailedInvocations(rule: events.IRule): cloudwatch.Metric;
}

/** The AWS/Events metrics drawn per rule, in the order of the row's graphs. */
const RULE_GRAPHS = [
  ['MatchedEvents', 'Matched events'],
  ['FailedInvocations', 'Failed invocations'],
  ['InvocationsSentToDlq', "DLQ'd (sent to DLQ)"],
  ['InvocationsFailedToBeSentToDlq', 'Lost (failed to reach DLQ)'],
] as const;

/**
 * Event rules: one section with four graphs (matched events, failed target invocations, events sent to the
 * DLQ, events that failed to reach it), one line per rule; critical alarms on each rule's failed invocations
 * and on its events lost (not even dead-lettered).
 */
export function monitorRules(
  alarms: AlarmFactory,
  routers: readonly MonitoredRules[],
  thresholds: Pick<AlarmThresholds, 'ruleTargetFailures'>,
): Monitor {
  const made: cloudwatch.Alarm[] = [];
  const lines = new Map<string, cloudwatch.IMetric[]>(RULE_GRAPHS.map(([name]) => [name, []]));
  for (const router of routers) {
    for (const rule of router.rules) {
      const label = labelOf(rule);
      const failedInvocations = router.metricFailedInvocations(rule);
      made.push(
        alarms.alarm(rule, {
          kind: 'FailedInvocations',
          severity: 'critical',
          metric: failedInvocations,
          threshold: thresholds.ruleTargetFailures,
          description:
            'EventBridge could not deliver to the target after its retries; the events are in the rule-target DLQ.',
        }),
        alarms.alarm(rule, {
          kind: 'InvocationsFailedToBeSentToDlq',
          severity: 'critical',
          metric: sibling(failedInvocations, 'InvocationsFailedToBeSentToDlq'),
          threshold: thresholds.ruleTargetFailures,
          description: 'events neither delivered nor dead-lettered: they are lost. Check the DLQ policy and key.',
        }),
      );
      for (const [name, metrics] of lines) metrics.push(sibling(failedInvocations, name).with({ label }));
    }
  }
  if (made.length === 0) return { alarms: [], sections: [] };
  return {
    alarms: made,
    sections: [
      {
        heading: {
          title: 'Rules',
          description: 'Matched events, failed target invocations, events dead-lettered and events lost.',
        },
        rows: [
          RULE_GRAPHS.map(
            ([name, title]) => new cloudwatch.GraphWidget({ title, left: lines.get(name) ?? [], width: 6 }),
          ),
        ],
      },
    ],
  };
}
