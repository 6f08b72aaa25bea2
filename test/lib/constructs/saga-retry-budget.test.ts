import { Duration, aws_lambda as lambda, type Stack, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { retryDelaysSeconds, Saga, type SagaProps } from '../../../lib/constructs/saga';
import { withThrottleRetryDefaults } from '../../../lib/constructs/saga-definition';
import { definitionOf, type TemplateJson, testStack } from '../../support/cdk/cdk';

/** A function whose timeout the construct can see (inline code: no bundling needed). */
function fn(stack: Stack, id: string, timeout: Duration): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
    timeout,
  });
}

/** Three steps, two with a compensation, each function timing out after `timeout`. */
function sagaIn(stack: Stack, props: Partial<SagaProps>, timeout = Duration.seconds(10)): Saga {
  const a = fn(stack, 'A', timeout);
  const b = fn(stack, 'B', timeout);
  return new Saga(stack, 'Saga', {
    steps: [
      { name: 'Reserve', action: a, compensation: a },
      { name: 'Charge', action: b, compensation: b },
      { name: 'Confirm', action: a },
    ],
    ...props,
  });
}

const EXPRESS = sfn.StateMachineType.EXPRESS;

/** The default throttle retrier's delay ceilings, summed (checked below). */
const THROTTLE_DELAYS = 1 + 1.5 + 2.25 + 3.375 + 5.0625 + 7.59375 + 4 * 10;

describe('Saga retry budget and modes', () => {
  it("uses each function's own timeout as the task timeout and derives a Standard timeout from the worst case", () => {
    const { stack } = testStack();
    const saga = sagaIn(stack, {});
    // 3 actions × (4 × 10 s + 1 + 2 + 4 s) + 2 compensations × (7 × 10 s + 1 + 2 + 4 + 8 + 10 + 10 s) = 141 + 210 s,
    // plus, on each of the 5 tasks, the throttle retrier: 10 attempts × 10 s + THROTTLE_DELAYS (60.78125 s).
    expect(saga.worstCaseDuration.toSeconds()).toBe(Math.ceil(351 + 5 * (100 + THROTTLE_DELAYS)));
    expect(saga.worstCaseDuration.toSeconds()).toBe(1155);
    const definition = definitionOf(Template.fromStack(stack).toJSON() as TemplateJson);
    expect(definition.TimeoutSeconds).toBe(21 * 60);
    expect(definition.States.Reserve.TimeoutSeconds).toBe(10);
    expect(definition.States.UndoReserve.TimeoutSeconds).toBe(10);
  });

  it('sums the default throttle delays as their ceilings: 1 s × 1.5^k, capped at 10 s', () => {
    expect(retryDelaysSeconds(withThrottleRetryDefaults(undefined, false))).toEqual([
      1, 1.5, 2.25, 3.375, 5.0625, 7.59375, 10, 10, 10, 10,
    ]);
    expect(THROTTLE_DELAYS).toBe(60.78125);
  });

  it('counts a configured throttle retrier in the worst case, attempts at the task timeout plus their capped delays', () => {
    const { stack } = testStack();
    const saga = sagaIn(stack, {
      throttleRetry: { maxAttempts: 4, interval: Duration.seconds(2), backoffRate: 3, maxDelay: Duration.seconds(9) },
    });
    // 351 s as above, plus on each of the 5 tasks 4 throttled attempts × 10 s + delays 2, 6, 9, 9 s (26 s).
    expect(saga.worstCaseDuration.toSeconds()).toBe(351 + 5 * (40 + 26));
    const definition = definitionOf(Template.fromStack(stack).toJSON() as TemplateJson);
    expect((definition.States.UndoCharge.Retry as Record<string, unknown>[])[0]).toEqual({
      ErrorEquals: ['Lambda.TooManyRequestsException'],
      IntervalSeconds: 2,
      BackoffRate: 3,
      MaxDelaySeconds: 9,
      MaxAttempts: 4,
      JitterStrategy: 'FULL',
    });
  });

  it('leaves the throttle retrier out with maxAttempts 0: throttles are retried as technical faults', () => {
    const { stack } = testStack();
    const saga = sagaIn(stack, { throttleRetry: { maxAttempts: 0 } });
    expect(saga.worstCaseDuration.toSeconds()).toBe(351);
    const definition = definitionOf(Template.fromStack(stack).toJSON() as TemplateJson);
    for (const name of ['Reserve', 'UndoReserve', 'Confirm']) {
      expect(definition.States[name].Retry, name).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'] })]);
    }
  });

  it('matches the throttle errors it is given, in the given order, before States.ALL', () => {
    const { stack } = testStack();
    sagaIn(stack, { throttleRetry: { errors: ['Lambda.TooManyRequestsException', 'Engine.Throttled'] } });
    const definition = definitionOf(Template.fromStack(stack).toJSON() as TemplateJson);
    const retry = definition.States.Charge.Retry as { ErrorEquals: string[] }[];
    expect(retry.map((r) => r.ErrorEquals)).toEqual([
      ['Lambda.TooManyRequestsException', 'Engine.Throttled'],
      ['States.ALL'],
    ]);
  });

  it('refuses throttle errors that are empty, blank or a wildcard, and a bad throttle policy, in one error', () => {
    const { stack } = testStack();
    expect(() => sagaIn(stack, { throttleRetry: { errors: [] } })).toThrow(
      '  - throttleRetry.errors = []: must name at least one error, none of them blank. ' +
        'Fix: leave it out for [Lambda.TooManyRequestsException]',
    );
    const wild = testStack();
    expect(() =>
      sagaIn(wild.stack, {
        throttleRetry: { errors: ['Lambda.TooManyRequestsException', 'States.TaskFailed'], backoffRate: 0.5 },
      }),
    ).toThrow(
      'Saga at Test/Saga: 2 invalid props:\n' +
        '  - throttleRetry.backoffRate = 0.5: must be at least 1. Fix: use 2 for exponential backoff\n' +
        '  - throttleRetry.errors = ["Lambda.TooManyRequestsException","States.TaskFailed"]: must not contain ' +
        'States.TaskFailed: it matches technical faults too, which would get the throttle policy. ' +
        'Fix: name the throttle errors only, e.g. Lambda.TooManyRequestsException',
    );
    const all = testStack();
    expect(() => sagaIn(all.stack, { throttleRetry: { errors: ['States.ALL'] } })).toThrow(
      'must not contain States.ALL',
    );
  });

  it('gives an Express saga no throttle retrier by default, and refuses one that does not fit in 5 minutes', () => {
    const fits = testStack();
    sagaIn(fits.stack, { stateMachineType: EXPRESS, taskTimeout: Duration.seconds(5) });
    const definition = definitionOf(Template.fromStack(fits.stack).toJSON() as TemplateJson);
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type === 'Task')
        expect(state.Retry, name).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'] })]);
    }
    const { stack } = testStack();
    // 3 × (4 × 5 + 7) + 2 × (7 × 5 + 35) = 221 s; 10 throttled attempts × 5 s + 60.78 s on each of 5 tasks: 775 s.
    expect(() =>
      sagaIn(stack, {
        stateMachineType: EXPRESS,
        taskTimeout: Duration.seconds(5),
        throttleRetry: { maxAttempts: 10 },
      }),
    ).toThrow(
      "  - timeout = 300 s: is shorter than the retry policy's worst case, 775 s (every action and compensation " +
        'making all its attempts, each up to its task timeout, plus the longest backoff), and a timed-out execution ' +
        'does not compensate. Fix: lower taskTimeout, stepRetry, compensationRetry or throttleRetry (maxAttempts, ' +
        'maxDelay) until the worst case fits in 5 minutes',
    );
  });

  it('refuses an Express saga whose worst case does not fit in 5 minutes, naming the worst case and the fix', () => {
    const { stack } = testStack();
    expect(() => sagaIn(stack, { stateMachineType: EXPRESS })).toThrow(
      'Saga at Test/Saga: 1 invalid prop:\n' +
        "  - timeout = 300 s: is shorter than the retry policy's worst case, 351 s (every action and compensation " +
        'making all its attempts, each up to its task timeout, plus the longest backoff), and a timed-out execution ' +
        'does not compensate. Fix: lower taskTimeout, stepRetry, compensationRetry or throttleRetry (maxAttempts, ' +
        'maxDelay) until the worst case fits in 5 minutes',
    );
  });

  it('refuses an Express timeout over 5 minutes and a Standard timeout under the worst case', () => {
    const express = testStack();
    expect(() =>
      sagaIn(express.stack, {
        stateMachineType: EXPRESS,
        timeout: Duration.minutes(6),
        taskTimeout: Duration.seconds(5),
      }),
    ).toThrow(
      '  - timeout = 360 s: is longer than an Express execution may run (5 minutes). ' +
        'Fix: use at most Duration.minutes(5), or a STANDARD state machine',
    );
    const standard = testStack();
    expect(() => sagaIn(standard.stack, { timeout: Duration.minutes(5) })).toThrow(
      "  - timeout = 300 s: is shorter than the retry policy's worst case, 1155 s (every action and compensation " +
        'making all its attempts, each up to its task timeout, plus the longest backoff), and a timed-out execution ' +
        'does not compensate. Fix: raise timeout, or leave it out to derive it from the worst case',
    );
  });

  it('accepts an Express saga that fits, with a 5-minute timeout, and counts the capped backoff', () => {
    const { stack } = testStack();
    const saga = sagaIn(stack, {
      stateMachineType: EXPRESS,
      taskTimeout: Duration.seconds(8),
      stepRetry: { maxAttempts: 2 },
      // Delays 2, 4, 5, 5 s: maxDelay caps the last two.
      compensationRetry: { maxAttempts: 4, interval: Duration.seconds(2), maxDelay: Duration.seconds(5) },
    });
    // 3 × (3 × 8 + 1 + 2) + 2 × (5 × 8 + 2 + 4 + 5 + 5) = 81 + 112 s.
    expect(saga.worstCaseDuration.toSeconds()).toBe(193);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    expect(definitionOf(template.toJSON() as TemplateJson).TimeoutSeconds).toBe(300);
  });

  it('keeps tracing on in every mode and Express logging at level ALL', () => {
    const { stack } = testStack();
    expect(() =>
      sagaIn(stack, {
        stateMachineType: EXPRESS,
        taskTimeout: Duration.seconds(5),
        stateMachineProps: {
          tracingEnabled: false,
          logs: { destination: undefined as never, level: sfn.LogLevel.ERROR },
        },
      }),
    ).toThrow(
      'Saga at Test/Saga: 2 invalid props:\n' +
        '  - stateMachineProps.tracingEnabled = false: X-Ray tracing stays on in every mode. Fix: leave tracingEnabled out\n' +
        '  - stateMachineProps.logs.level = "ERROR": must be ALL for Express: the log is an Express execution\'s only ' +
        'history. Fix: leave logs out, or set level: sfn.LogLevel.ALL',
    );
  });

  it('keeps Standard logging on', () => {
    const { stack } = testStack();
    expect(() =>
      sagaIn(stack, { stateMachineProps: { logs: { destination: undefined as never, level: sfn.LogLevel.OFF } } }),
    ).toThrow(
      '  - stateMachineProps.logs.level = "OFF": execution logging stays on in every mode. ' +
        'Fix: leave logs out, or pick a level other than OFF',
    );
  });

  it('warns when an Express saga logs execution data without masking anything', () => {
    const { stack } = testStack();
    sagaIn(stack, { stateMachineType: EXPRESS, taskTimeout: Duration.seconds(5) });
    Annotations.fromStack(stack).hasWarning('/Test/Saga', Match.stringLikeRegexp('pass logDataProtectionPolicy'));
  });

  it('refuses an imported function in Express without a taskTimeout (its timeout is unknown, so 15 minutes counts)', () => {
    const { stack } = testStack();
    const imported = lambda.Function.fromFunctionArn(stack, 'X', 'arn:aws:lambda:us-east-1:111122223333:function:x');
    expect(
      () => new Saga(stack, 'Saga', { stateMachineType: EXPRESS, steps: [{ name: 'Only', action: imported }] }),
    ).toThrow("is shorter than the retry policy's worst case, 3607 s");
  });
});
