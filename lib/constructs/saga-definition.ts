import {
  Duration,
  aws_lambda as lambda,
  aws_stepfunctions as sfn,
  aws_stepfunctions_tasks as tasks,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { seconds } from './validation';

/*
 * The saga's state machine definition and its retry policy: the states a
 * {@link Saga} builds from its steps (the compensation chain included), and
 * the arithmetic of its worst case. Split from saga.ts, which holds the
 * construct, its props and their validation; the two are copied together.
 */

/** One step of a {@link Saga}: the action and, optionally, how to undo it. */
export interface SagaStep {
  /**
   * The step's name: its state name, its key under `$.results` and the `step`
   * field of the task payload. Letters, digits, `_` and `-`.
   */
  readonly name: string;
  /** Does the step. Returns `{ ok: true, ... }` or `{ ok: false, reason }`; throws only for technical faults. */
  readonly action: lambda.IFunction;
  /**
   * Undoes the step; must be idempotent and a no-op when nothing was done.
   *
   * @default - nothing to undo for this step
   */
  readonly compensation?: lambda.IFunction;
}

/** Retry settings of a task (Step Functions `Retry` on `States.ALL`, full jitter). */
export interface SagaRetry {
  /**
   * Retries after the first attempt (0 disables retrying).
   *
   * @default 3 for steps, 6 for compensations
   */
  readonly maxAttempts?: number;
  /**
   * Delay before the first retry (whole seconds).
   *
   * @default Duration.seconds(1)
   */
  readonly interval?: Duration;
  /**
   * Multiplier of the delay per retry.
   *
   * @default 2
   */
  readonly backoffRate?: number;
  /**
   * Cap on any single delay.
   *
   * @default Duration.seconds(10)
   */
  readonly maxDelay?: Duration;
}

/**
 * The error Step Functions reports when Lambda throttles a task's invocation (the function or the account
 * is at its concurrency): "When Lambda hits the maximum number of invocations, the error is
 * Lambda.TooManyRequestsException"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 */
export const LAMBDA_THROTTLED = 'Lambda.TooManyRequestsException';

/**
 * Retry settings for a throttled task: a retrier of its own, placed before the technical-fault retrier
 * on `States.ALL`. Step Functions uses the first retrier whose `ErrorEquals` matches, and counts each
 * retrier's attempts separately ("A retrier's parameters apply across all visits to the retrier in the
 * context of a single-state execution",
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html), so a throttle
 * spends none of the step's technical-fault retries and a throttled step waits its turn instead of
 * compensating.
 */
export interface SagaThrottleRetry extends SagaRetry {
  /**
   * The error names that mean "throttled". Never `States.ALL` or `States.TaskFailed`: those would give
   * every technical fault the throttle policy.
   *
   * @default [LAMBDA_THROTTLED] (`Lambda.TooManyRequestsException`)
   */
  readonly errors?: readonly string[];
}

/** State names the definition uses itself; no step may take one. */
export const RESERVED_STATES = [
  'Start',
  'Completed',
  'Compensated',
  'CompensationFailed',
  'Stopped',
  'AllCompensated?',
];

/** What the definition is built from: the steps, the failure handler and the resolved retry policy. */
export interface SagaDefinitionInput {
  readonly steps: readonly SagaStep[];
  readonly onCompensationFailure?: lambda.IFunction;
  readonly stepRetry: ResolvedRetry;
  readonly compensationRetry: ResolvedRetry;
  /** The throttle retrier of every task; none when its `maxAttempts` is 0. */
  readonly throttleRetry: ResolvedThrottleRetry;
  /** Limit on one attempt of a task invoking `fn`. */
  readonly taskTimeout: (fn: lambda.IFunction) => Duration;
}

/**
 * Builds the saga's states under `scope` (in a child scope `Definition`, so a
 * step's name, which is its state's construct id, never collides with the
 * construct's other children) and returns the first state, `Start`. The shape
 * is described on {@link Saga}.
 */
export function buildSagaDefinition(scope: Construct, props: SagaDefinitionInput): sfn.IChainable {
  const { stepRetry, compensationRetry, throttleRetry, taskTimeout } = props;
  // Every Lambda task: the throttle retrier first (the first retrier that matches decides), then the
  // technical-fault retrier on States.ALL, which must be the last one.
  const retry = (task: tasks.LambdaInvoke, faults: ResolvedRetry) => {
    if (throttleRetry.maxAttempts > 0) task.addRetry(throttleRetryProps(throttleRetry));
    task.addRetry(retryProps(faults));
  };
  // LambdaInvoke grants invoke on the function's `resourceArnsForGrantInvoke`: for a Function (and an
  // imported one) its ARN and every version (`<arn>:*`). The saga invokes the unqualified ARN only, so
  // the task gets a view of the function that offers just that ARN (issue 12: least privilege).
  const invokers = new Map<lambda.IFunction, lambda.IFunction>();
  const invoker = (fn: lambda.IFunction) => {
    let view = invokers.get(fn);
    if (!view) {
      view = new Proxy(fn, {
        get: (target, property) =>
          property === 'resourceArnsForGrantInvoke' ? [target.functionArn] : Reflect.get(target, property),
      });
      invokers.set(fn, view);
    }
    return view;
  };

  // States live in their own scope so step names never collide with the
  // construct's other children; a state's name is its construct id.
  const states = new Construct(scope, 'Definition');

  // 1. The terminal states.
  const completed = new sfn.Succeed(states, 'Completed', { comment: 'Every step succeeded.' });
  const stopped = new sfn.Succeed(states, 'Stopped', {
    comment: 'A step answered compensate: false (e.g. a duplicate execution): nothing to undo.',
  });
  const compensated = new sfn.Succeed(states, 'Compensated', {
    comment: 'A step failed and every compensation ran: a business outcome, not a failed execution.',
  });
  const compensationFailed = new sfn.Fail(states, 'CompensationFailed', {
    error: 'CompensationFailed',
    cause:
      'A compensation failed after all its retries; see $.compensationFailures (and, if its report failed too, ' +
      '$.compensationFailureReportError) in the execution history.',
  });

  // 2. Compensations first: one chain in reverse step order. entry[i] is where
  //    a failure of step i enters it: Undo<step i>, or the nearest earlier one.
  //    With a failure handler, a failed compensation is reported and the chain
  //    carries on, so its end must tell "all undone" from "something left".
  const onFailure = props.onCompensationFailure;
  const compensable = props.steps.filter((s) => s.compensation).map((s) => s.name);
  const chainEnd: sfn.State =
    onFailure && compensable.length > 0
      ? sfn.Choice.jsonPath(states, 'AllCompensated?', {
          comment: 'Every compensation ran; did any of them fail (and get reported)?',
        })
          .when(
            anyOf(compensable.map((name) => sfn.Condition.isPresent(`$.compensationFailures.${name}`))),
            compensationFailed,
          )
          .otherwise(compensated)
      : compensated;
  const entry: sfn.State[] = [];
  let latest: sfn.State = chainEnd;
  for (const step of props.steps) {
    if (step.compensation) {
      const undo = tasks.LambdaInvoke.jsonPath(states, `Undo${step.name}`, {
        lambdaFunction: invoker(step.compensation),
        payload: sfn.TaskInput.fromObject({
          step: step.name,
          phase: 'compensation',
          input: sfn.JsonPath.objectAt('$.input'),
          failure: sfn.JsonPath.objectAt('$.failure'),
          executionId: sfn.JsonPath.executionId,
          retryCount: sfn.JsonPath.numberAt('$$.State.RetryCount'),
        }),
        resultSelector: { outcome: sfn.JsonPath.objectAt('$.Payload') },
        resultPath: `$.compensations.${step.name}`,
        taskTimeout: sfn.Timeout.duration(taskTimeout(step.compensation)),
        retryOnServiceExceptions: false,
      });
      retry(undo, compensationRetry);
      const failedAt = `$.compensationFailures.${step.name}`;
      if (onFailure) {
        const report = tasks.LambdaInvoke.jsonPath(states, `Undo${step.name}Failed`, {
          comment: `Reports that Undo${step.name} failed after all its retries, then carries on compensating.`,
          lambdaFunction: invoker(onFailure),
          payload: sfn.TaskInput.fromObject({
            step: step.name,
            phase: 'compensationFailure',
            input: sfn.JsonPath.objectAt('$.input'),
            failure: sfn.JsonPath.objectAt('$.failure'),
            compensationFailure: sfn.JsonPath.objectAt(failedAt),
            executionId: sfn.JsonPath.executionId,
            retryCount: sfn.JsonPath.numberAt('$$.State.RetryCount'),
          }),
          resultSelector: { outcome: sfn.JsonPath.objectAt('$.Payload') },
          resultPath: `$.compensationFailureReports.${step.name}`,
          taskTimeout: sfn.Timeout.duration(taskTimeout(onFailure)),
          retryOnServiceExceptions: false,
        });
        retry(report, compensationRetry);
        // Unreported, the failure must not be covered by later compensations: stop here.
        report.addCatch(compensationFailed, {
          errors: [sfn.Errors.ALL],
          resultPath: '$.compensationFailureReportError',
        });
        report.next(latest);
        undo.addCatch(report, { errors: [sfn.Errors.ALL], resultPath: failedAt });
      } else {
        undo.addCatch(compensationFailed, { errors: [sfn.Errors.ALL], resultPath: failedAt });
      }
      undo.next(latest);
      latest = undo;
    }
    entry.push(latest);
  }

  // 3. The steps, built last to first so each Choice knows its successor.
  let next: sfn.IChainable = completed;
  props.steps.forEach((_, index) => {
    const i = props.steps.length - 1 - index;
    const step = props.steps[i];
    const outcome = `$.results.${step.name}.outcome`;
    const task = tasks.LambdaInvoke.jsonPath(states, step.name, {
      lambdaFunction: invoker(step.action),
      payload: sfn.TaskInput.fromObject({
        step: step.name,
        phase: 'action',
        input: sfn.JsonPath.objectAt('$.input'),
        executionId: sfn.JsonPath.executionId,
        retryCount: sfn.JsonPath.numberAt('$$.State.RetryCount'),
      }),
      resultSelector: { outcome: sfn.JsonPath.objectAt('$.Payload') },
      resultPath: `$.results.${step.name}`,
      // Bounds every attempt, so the worst case checked at synth holds.
      taskTimeout: sfn.Timeout.duration(taskTimeout(step.action)),
      // One explicit Retry below covers service exceptions too (Lambda.ServiceException and the like,
      // which AWS recommends retrying: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
      retryOnServiceExceptions: false,
    });
    // The Lambda throws only technical faults: retry them all (throttles on their own policy), then compensate.
    retry(task, stepRetry);
    task.addCatch(entry[i], { errors: [sfn.Errors.ALL], resultPath: '$.failure' });

    const rejected = sfn.Pass.jsonPath(states, `${step.name}Rejected`, {
      parameters: { step: step.name, reason: sfn.JsonPath.stringAt(`${outcome}.reason`) },
      resultPath: '$.failure',
    }).next(entry[i]);
    const ok = sfn.Choice.jsonPath(states, `${step.name}Ok?`)
      // IsPresent first: comparing a field that is missing fails the state (our reading of the Choice
      // state's rules, not stated on https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html:
      // unverified; the guard costs nothing either way).
      .when(
        sfn.Condition.and(sfn.Condition.isPresent(`${outcome}.ok`), sfn.Condition.booleanEquals(`${outcome}.ok`, true)),
        next,
      )
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent(`${outcome}.compensate`),
          sfn.Condition.booleanEquals(`${outcome}.compensate`, false),
        ),
        stopped,
      )
      .otherwise(rejected);
    task.next(ok);
    next = task;
  });

  return sfn.Pass.jsonPath(states, 'Start', {
    comment: 'Keeps the execution input at $.input; results, failure and compensations go beside it.',
    parameters: { input: sfn.JsonPath.entirePayload },
  }).next(next);
}

export type ResolvedRetry = Required<SagaRetry>;
export type ResolvedThrottleRetry = ResolvedRetry & { readonly errors: readonly string[] };

/** One condition as itself, several as an `Or` (an `Or` of one is needless). */
export function anyOf(conditions: sfn.Condition[]): sfn.Condition {
  return conditions.length === 1 ? conditions[0] : sfn.Condition.or(...conditions);
}

/** Express executions stop after 5 minutes, whatever the definition says. */
export const EXPRESS_MAX_DURATION = Duration.minutes(5);

/** Lambda's default and maximum function timeouts. */
const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);
const LAMBDA_MAX_TIMEOUT = Duration.minutes(15);

/** A function's own timeout when the construct can see it, else the Lambda maximum. */
export function functionTimeout(fn: lambda.IFunction): Duration {
  return fn instanceof lambda.Function ? (fn.timeout ?? LAMBDA_DEFAULT_TIMEOUT) : LAMBDA_MAX_TIMEOUT;
}

/** The backoff before retry 1..maxAttempts, each at its ceiling (full jitter draws from 0 to it). */
export function retryDelaysSeconds(retry: ResolvedRetry): number[] {
  const interval = seconds(retry.interval);
  const cap = seconds(retry.maxDelay);
  return Array.from({ length: retry.maxAttempts }, (_, k) => Math.min(interval * retry.backoffRate ** k, cap));
}

/**
 * The longest an execution can run: the longest path is the last step failing
 * after all its retries and every compensation then running (all positive
 * terms, so no shorter path can take longer), each task making every attempt
 * up to its task timeout, with the longest backoff between attempts. With
 * `onCompensationFailure`, every compensation may fail after all its attempts
 * and its report then take all of its own before the chain carries on. A task
 * may also be throttled on every attempt of its throttle retrier (its own
 * count, apart from the technical-fault retries): each throttled attempt is
 * counted at the full task timeout too. A throttled Invoke is refused without
 * running the function, so it is usually over at once, but the task timeout is
 * the only bound on an attempt that the definition states. Pass and Choice transitions take
 * milliseconds and are left out. Rounded up to a whole second (a backoff rate
 * such as 1.5 gives fractional delays).
 */
export function worstCaseSeconds(
  props: Pick<SagaDefinitionInput, 'steps' | 'onCompensationFailure'>,
  taskTimeout: (fn: lambda.IFunction) => Duration,
  stepRetry: ResolvedRetry,
  compensationRetry: ResolvedRetry,
  throttleRetry: ResolvedRetry,
): number {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const task = (fn: lambda.IFunction, retry: ResolvedRetry) =>
    (retry.maxAttempts + 1 + throttleRetry.maxAttempts) * seconds(taskTimeout(fn)) +
    sum(retryDelaysSeconds(retry)) +
    sum(retryDelaysSeconds(throttleRetry));
  const report = props.onCompensationFailure ? task(props.onCompensationFailure, compensationRetry) : 0;
  const total = props.steps.reduce(
    (acc, step) =>
      acc +
      task(step.action, stepRetry) +
      (step.compensation ? task(step.compensation, compensationRetry) + report : 0),
    0,
  );
  return Math.ceil(total);
}

export function withRetryDefaults(retry: SagaRetry | undefined, maxAttempts: number): ResolvedRetry {
  return {
    maxAttempts: retry?.maxAttempts ?? maxAttempts,
    interval: retry?.interval ?? Duration.seconds(1),
    backoffRate: retry?.backoffRate ?? 2,
    maxDelay: retry?.maxDelay ?? Duration.seconds(10),
  };
}

export function retryProps(retry: ResolvedRetry): sfn.RetryProps {
  return { errors: [sfn.Errors.ALL], ...retry, jitterStrategy: sfn.JitterType.FULL };
}

/**
 * The throttle retrier's defaults, sized for a burst. A throttle clears as running invocations end, so a
 * throttled step must keep waiting until a burst's backlog has drained: the demo's 60 orders drain in
 * about 15 s at 4 orders/s, the lowest steady rate `npm run bench` measured on the loaded 2-core engine
 * (BENCHMARKS.md, issue 14). Ten retries from 1 s at rate 1.5, capped at 10 s, have ceilings 1, 1.5,
 * 2.25, 3.4, 5.1, 7.6, 10, 10, 10 and 10 s (61 s together): with full jitter each delay is drawn from 0 to
 * its ceiling, so a step throttled on every attempt waits about 30 s in all, twice that drain time, and
 * throttled steps spread out instead of retrying together. (The technical-fault retrier gives up after
 * 3 retries within at most 7 s.) A Standard saga's derived timeout grows with it (see
 * {@link worstCaseSeconds}); an Express saga's 5 minutes cannot hold ten more task timeouts per task, so
 * Express gets none by default and its throttles are retried as technical faults.
 */
export const THROTTLE_RETRY_DEFAULTS = {
  maxAttempts: 10,
  interval: Duration.seconds(1),
  backoffRate: 1.5,
  maxDelay: Duration.seconds(10),
} as const;

export function withThrottleRetryDefaults(
  retry: SagaThrottleRetry | undefined,
  express: boolean,
): ResolvedThrottleRetry {
  return {
    maxAttempts: retry?.maxAttempts ?? (express ? 0 : THROTTLE_RETRY_DEFAULTS.maxAttempts),
    interval: retry?.interval ?? THROTTLE_RETRY_DEFAULTS.interval,
    backoffRate: retry?.backoffRate ?? THROTTLE_RETRY_DEFAULTS.backoffRate,
    maxDelay: retry?.maxDelay ?? THROTTLE_RETRY_DEFAULTS.maxDelay,
    errors: retry?.errors ?? [LAMBDA_THROTTLED],
  };
}

export function throttleRetryProps(retry: ResolvedThrottleRetry): sfn.RetryProps {
  const { errors, ...rest } = retry;
  return { errors: [...errors], ...rest, jitterStrategy: sfn.JitterType.FULL };
}
