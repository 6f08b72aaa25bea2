import {
  Annotations,
  type aws_cloudwatch as cloudwatch,
  Duration,
  type aws_iam as iam,
  type aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  buildSagaDefinition,
  EXPRESS_MAX_DURATION,
  functionTimeout,
  LAMBDA_THROTTLED,
  RESERVED_STATES,
  type ResolvedRetry,
  type ResolvedThrottleRetry,
  type SagaRetry,
  type SagaStep,
  type SagaThrottleRetry,
  withRetryDefaults,
  withThrottleRetryDefaults,
  worstCaseSeconds,
} from './saga-definition';
import { PropProblems, seconds } from './validation';

export {
  LAMBDA_THROTTLED,
  retryDelaysSeconds,
  type SagaRetry,
  type SagaStep,
  type SagaThrottleRetry,
  THROTTLE_RETRY_DEFAULTS,
} from './saga-definition';

/** Properties of a {@link Saga}. */
export interface SagaProps {
  /** The steps, in order. At least one; names unique. */
  readonly steps: SagaStep[];
  /**
   * Standard (exactly-once, up to a year, full history in Step Functions) or
   * Express (at-least-once, at most 5 minutes, history only in the log group;
   * far cheaper per execution). With Express, the steps must tolerate a whole
   * execution running twice, and the retry policy must fit in 5 minutes
   * (checked at synth, see `timeout`).
   *
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html
   * @default sfn.StateMachineType.STANDARD
   */
  readonly stateMachineType?: sfn.StateMachineType;
  /**
   * Limit on one execution; a timed-out execution does not compensate, so it
   * must cover the worst case of the retry policy: every action and every
   * compensation on the longest path running all its attempts, each up to its
   * task timeout, with the longest backoff between them. A shorter timeout is
   * refused at synth, and so is one over 5 minutes for Express. (An execution
   * that runs past its `TimeoutSeconds` fails with `States.Timeout`; no state's
   * `Catch` runs, hence no compensation.)
   *
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html (`TimeoutSeconds`)
   * @see https://states-language.net/spec.html#toplevelfields (a machine that runs longer fails with `States.Timeout`)
   * @default - Standard: that worst case rounded up to whole minutes, plus one
   * minute; Express: 5 minutes
   */
  readonly timeout?: Duration;
  /**
   * Limit on one attempt of a task (the task state's `TimeoutSeconds`), used
   * for the worst-case check above.
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html (default 3 s, at most 900 s)
   * @default - the function's own timeout for a `lambda.Function` (3 s when it
   * sets none); 15 minutes (the Lambda maximum) for an imported function
   */
  readonly taskTimeout?: Duration;
  /**
   * Retries of a step's action on a technical fault (a thrown error).
   *
   * @default { maxAttempts: 3, interval: 1 s, backoffRate: 2, maxDelay: 10 s }
   */
  readonly stepRetry?: SagaRetry;
  /**
   * Retries of a compensation (and of `onCompensationFailure`); after the
   * last one the execution ends failed (`CompensationFailed`), which is what
   * operators alarm on.
   *
   * @default { maxAttempts: 6, interval: 1 s, backoffRate: 2, maxDelay: 10 s }
   */
  readonly compensationRetry?: SagaRetry;
  /**
   * Retries of any task (action, compensation, failure report) that Lambda
   * throttled: a retrier of its own on `errors`, before the technical-fault
   * retrier, with its own count of attempts, so a burst that meets the
   * concurrency limit waits instead of compensating. `maxAttempts: 0` leaves
   * it out (throttles are then retried as technical faults). Each attempt
   * counts in the worst case at the full task timeout (see `timeout`).
   *
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html (`Lambda.TooManyRequestsException`)
   * @default - Standard: { maxAttempts: 10, interval: 1 s, backoffRate: 1.5,
   * maxDelay: 10 s, errors: ['Lambda.TooManyRequestsException'] } (sized in
   * `THROTTLE_RETRY_DEFAULTS`); Express: none, its 5 minutes cannot hold it
   */
  readonly throttleRetry?: SagaThrottleRetry;
  /**
   * Records that a compensation failed after all its retries, e.g. by moving
   * the business record to a "needs attention" state and publishing that. It
   * runs in state `Undo<name>Failed`, invoked with `{ step, phase:
   * 'compensationFailure', input, failure, compensationFailure, executionId,
   * retryCount }` (`step` is the step whose compensation failed, `failure` why
   * the saga compensates, `compensationFailure` Step Functions' `{ Error,
   * Cause }` of the compensation), retried like a compensation. It must be
   * idempotent: it runs once per failed compensation, and again on a retry.
   *
   * Once it has recorded the failure, the remaining compensations still run
   * (so a failed refund does not also leave the stock reserved), and the
   * execution then ends in `CompensationFailed` all the same, so a
   * failed-execution alarm keeps meaning "something was left undone". If it
   * fails itself after its retries, the execution ends in `CompensationFailed`
   * at once: with nothing recording what is missing, a later compensation
   * (such as cancelling the order) could hide it.
   *
   * @default - none: the first compensation that exhausts its retries ends
   * the execution in `CompensationFailed`, and the compensations after it do
   * not run
   */
  readonly onCompensationFailure?: lambda.IFunction;
  /**
   * Removal policy of the execution log group.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the execution log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Data protection (masking) of the execution log. Express logs execution
   * data, which is the saga's input and results, so name here what must not be
   * readable there (e.g. payment tokens); readers need `logs:Unmask` to see it.
   *
   * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/mask-sensitive-log-data.html
   * @default - nothing masked
   */
  readonly logDataProtectionPolicy?: logs.DataProtectionPolicy;
  /**
   * Escape hatch for the state machine. Merged as: our defaults (X-Ray tracing;
   * logging level ALL to the saga's log group, with execution data for Express,
   * whose log is its only history, and without it for Standard, whose history
   * Step Functions keeps), then these props, then what is forced
   * (`definitionBody`, `stateMachineType`, `timeout`). Turning tracing off, or
   * for Express logging below level ALL, is refused.
   *
   * @default - the defaults above
   */
  readonly stateMachineProps?: Omit<
    sfn.StateMachineProps,
    'definitionBody' | 'definition' | 'stateMachineType' | 'timeout'
  >;
}

/**
 * An orchestrated saga on Step Functions. Given ordered steps `{ name, action,
 * compensation? }`, it builds the definition:
 *
 * - `Start` (Pass) turns the execution input into `{ input }`;
 * - each step is a Lambda task `<name>` invoked with
 *   `{ step, phase: 'action', input, executionId, retryCount }`, its result at
 *   `$.results.<name>.outcome`, retried on any error with exponential backoff
 *   and full jitter (`BackoffRate`, `MaxDelaySeconds`, `JitterStrategy: FULL`),
 *   a throttle (`Lambda.TooManyRequestsException`) first on a longer policy of
 *   its own (`throttleRetry`, every task), and caught (`$.failure`) into
 *   compensation;
 * - a Choice `<name>Ok?` continues when `outcome.ok` is true, stops in `Stopped`
 *   (Succeed, nothing undone) when `outcome.compensate` is false (e.g. a
 *   duplicate execution), and otherwise records `{ step, reason }` at
 *   `$.failure` in `<name>Rejected` and compensates;
 * - compensation is one chain `Undo<name>` in reverse step order, entered at the
 *   failing step itself (compensations are idempotent no-ops when nothing was
 *   done) or the nearest earlier step with a compensation, each invoked with
 *   `{ step, phase: 'compensation', input, failure, executionId, retryCount }`, retried,
 *   and ending in `Compensated` (Succeed: a compensated order is a business
 *   outcome); a compensation that exhausts its retries (its error at
 *   `$.compensationFailures.<name>`) ends in `CompensationFailed` (Fail), the
 *   only failed execution by design;
 * - with `onCompensationFailure`, such a compensation goes to
 *   `Undo<name>Failed` instead, which reports it and carries on with the
 *   next compensation; the chain then ends in the Choice `AllCompensated?`,
 *   which goes to `CompensationFailed` when any compensation failed and to
 *   `Compensated` otherwise;
 * - the success path ends in `Completed` (Succeed).
 *
 * Nothing routes on error names, so engines that report every thrown error as
 * `Runtime.HandlerError` behave the same.
 *
 * Every task attempt is bounded (`taskTimeout`), and the execution `timeout`
 * must cover the retry policy's worst case, checked at synth; Express
 * (`stateMachineType`) additionally caps it at 5 minutes and logs execution
 * data, its only history. Under Express a whole execution may run twice, so
 * the steps must be idempotent by their own business key, not by execution.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html
 * @example
 * const saga = new Saga(this, 'OrderSaga', {
 *   steps: [
 *     { name: 'ReserveInventory', action: inventoryFn, compensation: inventoryFn },
 *     { name: 'ChargePayment', action: paymentFn, compensation: paymentFn },
 *   ],
 * });
 */
export class Saga extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;
  /** The step names, in order. */
  public readonly stepNames: string[];
  /** The workflow type. */
  public readonly stateMachineType: sfn.StateMachineType;
  /**
   * The longest an execution can take under the retry policy (see `timeout`);
   * the execution timeout is at least this.
   */
  public readonly worstCaseDuration: Duration;
  /** The execution timeout. */
  public readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: SagaProps) {
    super(scope, id);
    const stepRetry = withRetryDefaults(props.stepRetry, 3);
    const compensationRetry = withRetryDefaults(props.compensationRetry, 6);
    this.stateMachineType = props.stateMachineType ?? sfn.StateMachineType.STANDARD;
    const express = this.stateMachineType === sfn.StateMachineType.EXPRESS;
    const throttleRetry = withThrottleRetryDefaults(props.throttleRetry, express);
    const taskTimeout = (fn: lambda.IFunction) => props.taskTimeout ?? functionTimeout(fn);
    const worstCase = worstCaseSeconds(props, taskTimeout, stepRetry, compensationRetry, throttleRetry);
    this.worstCaseDuration = Duration.seconds(worstCase);
    this.timeout = props.timeout ?? (express ? EXPRESS_MAX_DURATION : Duration.minutes(Math.ceil(worstCase / 60) + 1));
    validate(this, props, {
      stepRetry,
      compensationRetry,
      throttleRetry,
      timeout: this.timeout,
      worstCase,
      express,
    });
    this.stepNames = props.steps.map((s) => s.name);

    const start = buildSagaDefinition(this, { ...props, stepRetry, compensationRetry, throttleRetry, taskTimeout });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      dataProtectionPolicy: props.logDataProtectionPolicy,
    });
    if (express && !props.logDataProtectionPolicy) {
      Annotations.of(this).addWarningV2(
        'saga:express-execution-data',
        'An Express saga logs its execution data (input and step results) as its only history; ' +
          'pass logDataProtectionPolicy to mask what must not be readable there.',
      );
    }

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      tracingEnabled: true,
      // Standard keeps every execution's history in Step Functions; Express keeps none
      // (and ListExecutions does not list it), so its log carries the data.
      // https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: express },
      ...props.stateMachineProps,
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      stateMachineType: this.stateMachineType,
      timeout: this.timeout,
    });
  }

  /** Lets `grantee` start executions. */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /** Failed executions (sum per minute): by design only a failed compensation. */
  public metricFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed({ period: Duration.minutes(1), ...props });
  }

  /** Timed-out executions (sum per minute). */
  public metricTimedOut(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricTimedOut({ period: Duration.minutes(1), ...props });
  }

  /** Succeeded executions (sum per minute): completed, stopped or compensated. */
  public metricSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded({ period: Duration.minutes(1), ...props });
  }
}

function validate(
  scope: Construct,
  props: SagaProps,
  resolved: {
    stepRetry: ResolvedRetry;
    compensationRetry: ResolvedRetry;
    throttleRetry: ResolvedThrottleRetry;
    timeout: Duration;
    worstCase: number;
    express: boolean;
  },
): void {
  const { steps } = props;
  const { stepRetry, compensationRetry, throttleRetry, timeout, worstCase, express } = resolved;
  const problems = new PropProblems();
  problems.check(steps.length > 0, {
    prop: 'steps',
    value: [],
    problem: 'a saga needs at least one step',
    fix: 'pass steps: [{ name, action, compensation? }, ...]',
  });
  const seen = new Map<string, number>();
  steps.forEach((step, i) => {
    problems.check(/^[A-Za-z0-9_-]{1,60}$/.test(step.name), {
      prop: `steps[${i}].name`,
      value: step.name,
      problem: 'must be 1 to 60 letters, digits, _ or - (it becomes a state name and a JSON path key)',
      fix: 'use a PascalCase verb phrase such as ChargePayment',
    });
    const first = seen.get(step.name);
    problems.check(first === undefined, {
      prop: `steps[${i}].name`,
      value: step.name,
      problem: `duplicates steps[${first}].name`,
      fix: 'give every step a unique name',
    });
    problems.check(!RESERVED_STATES.includes(step.name), {
      prop: `steps[${i}].name`,
      value: step.name,
      problem: `is a state name the saga uses itself (${RESERVED_STATES.join(', ')})`,
      fix: 'rename the step',
    });
    if (first === undefined) seen.set(step.name, i);
  });
  // Derived state names (Undo<name>, Undo<name>Failed, <name>Rejected) must not
  // collide with a step's name nor with each other (step X's Undo<X>Failed is
  // step XFailed's Undo<XFailed>).
  const derivedOf = (s: SagaStep) => [
    `Undo${s.name}`,
    `${s.name}Rejected`,
    `${s.name}Ok?`,
    ...(props.onCompensationFailure && s.compensation ? [`Undo${s.name}Failed`] : []),
  ];
  const derivedBy = new Map<string, number>();
  steps.forEach((step, i) => {
    for (const name of derivedOf(step)) if (!derivedBy.has(name)) derivedBy.set(name, i);
  });
  steps.forEach((step, i) => {
    problems.check(!derivedBy.has(step.name), {
      prop: `steps[${i}].name`,
      value: step.name,
      problem: "collides with a state derived from another step's name (Undo<name>, Undo<name>Failed, <name>Rejected)",
      fix: 'rename the step',
    });
    // A duplicated step name derives the same names; it is reported above already.
    if (seen.get(step.name) !== i) return;
    for (const name of derivedOf(step)) {
      const owner = derivedBy.get(name);
      problems.check(owner === i, {
        prop: `steps[${i}].name`,
        value: step.name,
        problem: `derives the state name ${name}, which steps[${owner}] derives too`,
        fix: 'rename one of the steps',
      });
    }
  });
  checkRetry(problems, 'stepRetry', stepRetry);
  checkRetry(problems, 'compensationRetry', compensationRetry);
  checkRetry(problems, 'throttleRetry', throttleRetry);
  const { errors } = throttleRetry;
  problems.check(errors.length > 0 && errors.every((e) => typeof e === 'string' && e.trim() !== ''), {
    prop: 'throttleRetry.errors',
    value: errors,
    problem: 'must name at least one error, none of them blank',
    fix: `leave it out for [${LAMBDA_THROTTLED}]`,
  });
  const wildcards = errors.filter((e) => e === sfn.Errors.ALL || e === sfn.Errors.TASKS_FAILED);
  problems.check(wildcards.length === 0, {
    prop: 'throttleRetry.errors',
    value: errors,
    problem: `must not contain ${wildcards.join(', ')}: it matches technical faults too, which would get the throttle policy`,
    fix: `name the throttle errors only, e.g. ${LAMBDA_THROTTLED}`,
  });
  problems.check(timeout.isUnresolved() || seconds(timeout) >= 1, {
    prop: 'timeout',
    value: timeout,
    problem: 'must be at least 1 second',
    fix: 'use e.g. Duration.minutes(5)',
  });
  if (props.taskTimeout) {
    const t = seconds(props.taskTimeout);
    problems.check(Number.isInteger(t) && t >= 1, {
      prop: 'taskTimeout',
      value: props.taskTimeout,
      problem: 'must be a whole number of seconds, at least 1',
      fix: "use the step functions' own timeout, e.g. Duration.seconds(10)",
    });
  }
  problems.check(!express || seconds(timeout) <= seconds(EXPRESS_MAX_DURATION), {
    prop: 'timeout',
    value: timeout,
    problem: 'is longer than an Express execution may run (5 minutes)',
    fix: 'use at most Duration.minutes(5), or a STANDARD state machine',
  });
  problems.check(timeout.isUnresolved() || worstCase <= seconds(timeout), {
    prop: 'timeout',
    value: timeout,
    problem:
      `is shorter than the retry policy's worst case, ${worstCase} s (every action and compensation making all its ` +
      'attempts, each up to its task timeout, plus the longest backoff), and a timed-out execution does not compensate',
    fix: express
      ? 'lower taskTimeout, stepRetry, compensationRetry or throttleRetry (maxAttempts, maxDelay) until the worst case fits in 5 minutes'
      : 'raise timeout, or leave it out to derive it from the worst case',
  });
  const overrides = props.stateMachineProps;
  problems.check(overrides?.tracingEnabled !== false, {
    prop: 'stateMachineProps.tracingEnabled',
    value: false,
    problem: 'X-Ray tracing stays on in every mode',
    fix: 'leave tracingEnabled out',
  });
  problems.check(overrides?.logs?.level !== sfn.LogLevel.OFF, {
    prop: 'stateMachineProps.logs.level',
    value: sfn.LogLevel.OFF,
    problem: 'execution logging stays on in every mode',
    fix: 'leave logs out, or pick a level other than OFF',
  });
  problems.check(!express || overrides?.logs === undefined || overrides.logs.level === sfn.LogLevel.ALL, {
    prop: 'stateMachineProps.logs.level',
    value: overrides?.logs?.level,
    problem: "must be ALL for Express: the log is an Express execution's only history",
    fix: 'leave logs out, or set level: sfn.LogLevel.ALL',
  });
  problems.throwIfAny(scope, 'Saga');
}

function checkRetry(problems: PropProblems, name: string, retry: ResolvedRetry): void {
  problems.check(Number.isInteger(retry.maxAttempts) && retry.maxAttempts >= 0 && retry.maxAttempts <= 99, {
    prop: `${name}.maxAttempts`,
    value: retry.maxAttempts,
    problem: 'must be an integer from 0 to 99',
    fix: 'use a small number such as 3',
  });
  const interval = seconds(retry.interval);
  problems.check(Number.isInteger(interval) && interval >= 1, {
    prop: `${name}.interval`,
    value: retry.interval,
    problem: 'must be a whole number of seconds, at least 1',
    fix: 'use e.g. Duration.seconds(1)',
  });
  problems.check(retry.backoffRate >= 1, {
    prop: `${name}.backoffRate`,
    value: retry.backoffRate,
    problem: 'must be at least 1',
    fix: 'use 2 for exponential backoff',
  });
  problems.check(seconds(retry.maxDelay) >= interval, {
    prop: `${name}.maxDelay`,
    value: retry.maxDelay,
    problem: `must be at least the interval (${interval} s)`,
    fix: 'raise maxDelay or lower interval',
  });
}
