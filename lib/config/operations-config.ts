import { Duration } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { formatValue, type PropProblem } from '../constructs/validation';
import { DEFAULT_ALARM_THRESHOLDS, type OperationsAlarmThresholds, STREAM_RETENTION } from '../monitoring/thresholds';

/**
 * The operations settings read from CDK context: `cdk.json` → `context`, or
 * `-c key=value` on the command line (which wins). Every key starts with
 * `operations:`; an unknown one is an error, so a typo never silently falls
 * back to a default.
 *
 * @example
 * npx cdk deploy -c operations:alarmEmail=oncall@example.com -c operations:oldestMessageAgeSeconds=600
 */
export const OPERATIONS_CONTEXT = {
  /** E-mail address subscribed to the alarm topic. Unset: no subscription. */
  alarmEmail: 'operations:alarmEmail',
  /** Messages in a dead-letter queue above which its alarm fires. */
  deadLetterQueueMessagesThreshold: 'operations:deadLetterQueueMessagesThreshold',
  /** Age in seconds of a source queue's oldest message above which its alarm fires. */
  oldestMessageAgeSeconds: 'operations:oldestMessageAgeSeconds',
  /** Function errors per minute above which its alarm fires. */
  functionErrorsThreshold: 'operations:functionErrorsThreshold',
  /** Function throttles per minute above which its alarm fires. */
  functionThrottlesThreshold: 'operations:functionThrottlesThreshold',
  /** Failed (and, separately, timed-out) saga executions per minute above which the alarm fires. */
  sagaFailuresThreshold: 'operations:sagaFailuresThreshold',
  /** Compensated orders per 5 minutes above which the alarm fires. */
  compensationsThreshold: 'operations:compensationsThreshold',
  /** Orders moved to NEEDS_ATTENTION per 5 minutes above which the alarm fires. */
  ordersNeedingAttentionThreshold: 'operations:ordersNeedingAttentionThreshold',
  /** Failed rule-target invocations (and events not sent to the DLQ) per minute above which the alarm fires. */
  ruleTargetFailuresThreshold: 'operations:ruleTargetFailuresThreshold',
  /** Iterator age in seconds of a stream consumer (relay, projector) above which its alarm fires. */
  streamIteratorAgeSeconds: 'operations:streamIteratorAgeSeconds',
} as const;

/** What the stack's section 10 needs from context. */
export interface OperationsConfig {
  /** Subscribed to the alarm topic when set. */
  readonly alarmEmail?: string;
  /** Every alarm threshold, resolved (defaults filled in). */
  readonly thresholds: Required<OperationsAlarmThresholds>;
}

/**
 * The defaults when a key is absent: the monitoring's own (`DEFAULT_ALARM_THRESHOLDS` in
 * lib/monitoring/thresholds.ts), and no e-mail subscription.
 */
export const OPERATIONS_DEFAULTS: OperationsConfig = { thresholds: DEFAULT_ALARM_THRESHOLDS };

/** A loose check that catches typos (no `@`, spaces, no domain dot); the subscription confirmation does the rest. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Reads and validates the `operations:*` context of `node` (usually the app or
 * the stack). Every problem is reported at once, in one error that names the
 * key, the value, what is wrong and how to fix it, so `cdk synth` fails before
 * anything is deployed.
 */
export function readOperationsConfig(node: Node): OperationsConfig {
  const problems: PropProblem[] = [];
  const read = (key: string): unknown => node.tryGetContext(key);
  const defaults = OPERATIONS_DEFAULTS.thresholds;

  const count = (key: string, fallback: number): number => {
    const value = read(key);
    if (value === undefined || value === null) return fallback;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    const blank = typeof value === 'string' && value.trim() === '';
    if (blank || !Number.isInteger(parsed) || parsed < 0) {
      problems.push({
        prop: key,
        value,
        problem: 'must be a whole number of 0 or more',
        fix: `use e.g. -c ${key}=${fallback} (the default)`,
      });
      return fallback;
    }
    return parsed;
  };

  const ageKey = OPERATIONS_CONTEXT.oldestMessageAgeSeconds;
  const ageSeconds = count(ageKey, defaults.oldestMessageAge.toSeconds());
  if (!problems.some((p) => p.prop === ageKey) && ageSeconds < 60) {
    problems.push({
      prop: ageKey,
      value: read(ageKey),
      problem: 'must be at least 60 (SQS publishes the age of the oldest message once a minute)',
      fix: `use e.g. -c ${ageKey}=300`,
    });
  }

  const lagKey = OPERATIONS_CONTEXT.streamIteratorAgeSeconds;
  const lagSeconds = count(lagKey, defaults.streamIteratorAge.toSeconds());
  const retentionSeconds = STREAM_RETENTION.toSeconds();
  if (!problems.some((p) => p.prop === lagKey) && (lagSeconds < 1 || lagSeconds >= retentionSeconds)) {
    problems.push({
      prop: lagKey,
      value: read(lagKey),
      problem: `must be from 1 to ${retentionSeconds - 1} (a DynamoDB stream drops records after 24 hours, so a higher threshold fires too late)`,
      fix: `use e.g. -c ${lagKey}=${defaults.streamIteratorAge.toSeconds()} (the default)`,
    });
  }

  const thresholds: Required<OperationsAlarmThresholds> = {
    deadLetterQueueMessages: count(
      OPERATIONS_CONTEXT.deadLetterQueueMessagesThreshold,
      defaults.deadLetterQueueMessages,
    ),
    oldestMessageAge: Duration.seconds(Math.max(ageSeconds, 60)),
    functionErrors: count(OPERATIONS_CONTEXT.functionErrorsThreshold, defaults.functionErrors),
    functionThrottles: count(OPERATIONS_CONTEXT.functionThrottlesThreshold, defaults.functionThrottles),
    sagaFailures: count(OPERATIONS_CONTEXT.sagaFailuresThreshold, defaults.sagaFailures),
    compensations: count(OPERATIONS_CONTEXT.compensationsThreshold, defaults.compensations),
    ordersNeedingAttention: count(OPERATIONS_CONTEXT.ordersNeedingAttentionThreshold, defaults.ordersNeedingAttention),
    ruleTargetFailures: count(OPERATIONS_CONTEXT.ruleTargetFailuresThreshold, defaults.ruleTargetFailures),
    streamIteratorAge: problems.some((p) => p.prop === lagKey)
      ? defaults.streamIteratorAge
      : Duration.seconds(lagSeconds),
  };

  const emailValue = read(OPERATIONS_CONTEXT.alarmEmail);
  let alarmEmail: string | undefined;
  if (emailValue !== undefined && emailValue !== null) {
    if (typeof emailValue === 'string' && EMAIL.test(emailValue.trim())) {
      alarmEmail = emailValue.trim();
    } else {
      problems.push({
        prop: OPERATIONS_CONTEXT.alarmEmail,
        value: emailValue,
        problem: 'must be one e-mail address such as oncall@example.com',
        fix: `pass -c ${OPERATIONS_CONTEXT.alarmEmail}=oncall@example.com, or leave the key out for no subscription`,
      });
    }
  }

  const known = new Set<string>(Object.values(OPERATIONS_CONTEXT));
  const context = node.getAllContext() as Record<string, unknown>;
  for (const key of Object.keys(context).sort()) {
    if (key.startsWith('operations:') && !known.has(key)) {
      problems.push({
        prop: key,
        value: context[key],
        problem: 'is not an operations setting',
        fix: `use one of ${[...known].join(', ')}`,
      });
    }
  }

  if (problems.length > 0) {
    const lines = problems.map((p) => `  - ${p.prop} = ${formatValue(p.value)}: ${p.problem}. Fix: ${p.fix}`);
    const n = problems.length;
    throw new Error(
      `Invalid operations context (cdk.json "context" or -c): ${n} problem${n === 1 ? '' : 's'}:\n${lines.join('\n')}`,
    );
  }
  return { alarmEmail, thresholds };
}
