import { aws_cloudwatch as cloudwatch, Duration, type aws_stepfunctions as sfn } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type AlarmFactory, labelOf } from '../alarm-factory';
import type { DashboardSection, Monitor } from '../dashboard';
import { SUM_PER_MINUTE } from '../metrics';
import type { AlarmThresholds } from '../thresholds';

/** A state machine to watch; a `Saga` is one. */
export interface MonitoredStateMachine extends IConstruct {
  readonly stateMachine: sfn.IStateMachine;
}

/**
 * State machines (sagas): a section each with started, succeeded, failed and timed-out executions and the
 * execution time (p50, p99); critical alarms on failed and on timed-out executions.
 */
export function monitorStateMachines(
  alarms: AlarmFactory,
  machines: readonly MonitoredStateMachine[],
  thresholds: Pick<AlarmThresholds, 'sagaFailures'>,
): Monitor {
  const made: cloudwatch.Alarm[] = [];
  const sections: DashboardSection[] = [];
  for (const machine of machines) {
    const label = labelOf(machine);
    const sm = machine.stateMachine;
    const failed = sm.metricFailed(SUM_PER_MINUTE);
    const timedOut = sm.metricTimedOut(SUM_PER_MINUTE);
    made.push(
      alarms.alarm(machine, {
        kind: 'ExecutionsFailed',
        severity: 'critical',
        metric: failed,
        threshold: thresholds.sagaFailures,
        description: 'executions failed (a compensation exhausted its retries). Money or stock may be held.',
      }),
      alarms.alarm(machine, {
        kind: 'ExecutionsTimedOut',
        severity: 'critical',
        metric: timedOut,
        threshold: thresholds.sagaFailures,
        description: 'executions timed out without compensating.',
      }),
    );
    const duration = (p: number) =>
      sm.metricTime({ period: Duration.minutes(1), statistic: cloudwatch.Stats.p(p), label: `p${p}` });
    sections.push({
      heading: {
        title: `Saga ${label}`,
        description: 'Started, succeeded, failed and timed-out executions; execution time.',
      },
      rows: [
        [
          new cloudwatch.GraphWidget({
            title: `${label}: executions`,
            left: [
              sm.metricStarted({ ...SUM_PER_MINUTE, label: 'started' }),
              sm.metricSucceeded({ ...SUM_PER_MINUTE, label: 'succeeded' }),
            ],
            right: [failed.with({ label: 'failed' }), timedOut.with({ label: 'timed out' })],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: `${label}: duration (ms)`,
            left: [duration(50), duration(99)],
            width: 12,
          }),
        ],
      ],
    });
  }
  return { alarms: made, sections };
}
