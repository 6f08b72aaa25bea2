import { aws_cloudwatch_actions as actions, aws_cloudwatch as cloudwatch, type aws_sns as sns } from 'aws-cdk-lib';

/**
 * How urgent an alarm is. `critical`: something is lost or stuck until someone acts (a dead letter, a failed
 * invocation, a failed saga, an order needing attention, an event that could not be delivered). `warning`: a
 * trend to look at before it becomes one (a backlog ageing, throttling, a burst of compensations).
 */
export type SeverityLevel = 'critical' | 'warning';

/**
 * What a severity decides for every alarm of its level: how many periods are evaluated, how many of them must
 * breach, what a period without data counts as, and where the notification goes. Monitors pick a level per
 * signal; they never set these numbers themselves.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation
 */
export interface Severity {
  readonly level: SeverityLevel;
  /** Periods evaluated (`EvaluationPeriods`). */
  readonly evaluationPeriods: number;
  /** Breaching periods among them that fire the alarm (`DatapointsToAlarm`). */
  readonly datapointsToAlarm: number;
  /** A period without data: `notBreaching` keeps an idle resource green. */
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** Where the alarm notifies when it fires. */
  readonly topic: sns.ITopic;
}

/** The alarm settings of one severity, without its topic. */
export type SeverityPolicy = Omit<Severity, 'level' | 'topic'>;

/**
 * Both severities alarm on the first breaching period (1 of 1) and treat missing data as not breaching: every
 * signal here counts failures, so no data means none happened.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
 */
export const SEVERITY_POLICIES: Readonly<Record<SeverityLevel, SeverityPolicy>> = {
  critical: { evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING },
  warning: { evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING },
};

/** Each severity with the topic it notifies (one topic for both unless `warning` names another). */
export function severities(topics: {
  readonly critical: sns.ITopic;
  readonly warning?: sns.ITopic;
}): Record<SeverityLevel, Severity> {
  return {
    critical: { level: 'critical', ...SEVERITY_POLICIES.critical, topic: topics.critical },
    warning: { level: 'warning', ...SEVERITY_POLICIES.warning, topic: topics.warning ?? topics.critical },
  };
}

/** The alarm action that notifies a severity's topic. */
export function actionOf(severity: Severity): cloudwatch.IAlarmAction {
  return new actions.SnsAction(severity.topic);
}
