import { Duration, aws_lambda as lambda } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Saga } from '../../../lib/constructs/saga';
import { definitionOf, type TemplateJson, testStack } from '../../support/cdk/cdk';

function fn(stack: import('aws-cdk-lib').Stack, id: string): lambda.IFunction {
  return lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:us-east-1:111122223333:function:${id}`);
}

describe('Saga', () => {
  let definition: ReturnType<typeof definitionOf>;
  let template: Template;

  beforeAll(() => {
    const { stack } = testStack();
    const a = fn(stack, 'A');
    const b = fn(stack, 'B');
    new Saga(stack, 'Saga', {
      steps: [
        { name: 'Reserve', action: a, compensation: a },
        { name: 'Notify', action: b },
        { name: 'Charge', action: b, compensation: b },
        { name: 'Confirm', action: a },
      ],
      // Imported functions: the construct cannot see their timeouts.
      taskTimeout: Duration.seconds(10),
    });
    template = Template.fromStack(stack);
    definition = definitionOf(template.toJSON() as TemplateJson);
  });

  // npm run verify:access found the role allowed to invoke every version (`<arn>:*`), which the saga never names (issue 12).
  it('lets its role invoke exactly the unqualified function ARNs its tasks name, no versions', () => {
    const invoke = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).filter(
        (s) => s.Action === 'lambda:InvokeFunction',
      ),
    );
    expect(invoke).toHaveLength(1);
    expect(invoke[0].Resource).toEqual([
      'arn:aws:lambda:us-east-1:111122223333:function:A',
      'arn:aws:lambda:us-east-1:111122223333:function:B',
    ]);
  });

  it('starts by moving the execution input to $.input', () => {
    expect(definition.StartAt).toBe('Start');
    expect(definition.States.Start).toMatchObject({ Type: 'Pass', Parameters: { 'input.$': '$' }, Next: 'Reserve' });
  });

  it('chains compensations in reverse step order, ending in Compensated', () => {
    expect(definition.States.UndoCharge.Next).toBe('UndoReserve');
    expect(definition.States.UndoReserve.Next).toBe('Compensated');
    expect(definition.States.UndoNotify).toBeUndefined();
  });

  it('enters compensation at the failing step, or the nearest earlier step with a compensation', () => {
    const catchOf = (state: string) => (definition.States[state].Catch as { Next: string }[])[0].Next;
    expect(catchOf('Reserve')).toBe('UndoReserve');
    expect(catchOf('Notify')).toBe('UndoReserve');
    expect(catchOf('Charge')).toBe('UndoCharge');
    expect(catchOf('Confirm')).toBe('UndoCharge');
    expect(definition.States.ConfirmRejected).toMatchObject({
      Parameters: { step: 'Confirm', 'reason.$': '$.results.Confirm.outcome.reason' },
      ResultPath: '$.failure',
      Next: 'UndoCharge',
    });
  });

  it('sends the task contract and keeps the Lambda result at $.results.<step>.outcome', () => {
    expect(definition.States.Charge).toMatchObject({
      ResultPath: '$.results.Charge',
      ResultSelector: { 'outcome.$': '$.Payload' },
      Parameters: {
        Payload: { step: 'Charge', phase: 'action', 'input.$': '$.input', 'executionId.$': '$$.Execution.Id' },
      },
    });
    expect(definition.States.UndoCharge).toMatchObject({
      ResultPath: '$.compensations.Charge',
      Parameters: { Payload: { step: 'Charge', phase: 'compensation', 'failure.$': '$.failure' } },
    });
  });

  // Step Functions uses the first retrier whose ErrorEquals matches, and States.ALL must be the last one
  // (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): the throttle
  // retrier comes first, or a throttle would spend the technical-fault retries and compensate.
  it('retries a throttle first, on its own longer jittered policy, then any error on States.ALL, on every task', () => {
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual([
      'Charge',
      'Confirm',
      'Notify',
      'Reserve',
      'UndoCharge',
      'UndoReserve',
    ]);
    for (const [name, state] of tasks) {
      expect(state.Retry, name).toEqual([
        {
          ErrorEquals: ['Lambda.TooManyRequestsException'],
          IntervalSeconds: 1,
          BackoffRate: 1.5,
          MaxDelaySeconds: 10,
          JitterStrategy: 'FULL',
          MaxAttempts: 10,
        },
        {
          ErrorEquals: ['States.ALL'],
          IntervalSeconds: 1,
          BackoffRate: 2,
          MaxDelaySeconds: 10,
          JitterStrategy: 'FULL',
          MaxAttempts: name.startsWith('Undo') ? 6 : 3,
        },
      ]);
    }
  });

  it('fails the execution only when a compensation fails', () => {
    expect(definition.States.UndoReserve.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.compensationFailures.Reserve', Next: 'CompensationFailed' },
    ]);
    const fails = Object.entries(definition.States).filter(([, s]) => s.Type === 'Fail');
    expect(fails.map(([name]) => name)).toEqual(['CompensationFailed']);
  });

  it('without onCompensationFailure, stops at the first failed compensation and ends compensated otherwise', () => {
    expect(definition.States.UndoCharge.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.compensationFailures.Charge', Next: 'CompensationFailed' },
    ]);
    expect(definition.States.UndoChargeFailed).toBeUndefined();
    expect(definition.States['AllCompensated?']).toBeUndefined();
  });

  it('stops without compensating when a step answers compensate: false', () => {
    const choices = definition.States['ReserveOk?'].Choices as { Next: string }[];
    expect(choices.map((c) => c.Next)).toEqual(['Notify', 'Stopped']);
    expect(definition.States.Stopped.Type).toBe('Succeed');
  });

  it('logs at level ALL without execution data, traces with X-Ray and times out after the worst case of its retries', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    // 4 actions × (4 × 10 s + 1 + 2 + 4 s) + 2 compensations × (7 × 10 s + 1 + 2 + 4 + 8 + 10 + 10 s) = 398 s,
    // plus on each of the 6 tasks 10 throttled attempts × 10 s + their delays 1 + 1.5 + 2.25 + 3.375 + 5.0625 +
    // 7.59375 + 4 × 10 s = 160.78125 s: 1362.6875 s → 1363 s → 23 minutes, plus one.
    expect(definition.TimeoutSeconds).toBe(24 * 60);
    expect(definition.States.Charge.TimeoutSeconds).toBe(10);
  });

  it('rejects zero steps in one error', () => {
    const { stack } = testStack();
    expect(() => new Saga(stack, 'Empty', { steps: [] })).toThrow(
      'Saga at Test/Empty: 1 invalid prop:\n' +
        '  - steps = []: a saga needs at least one step. Fix: pass steps: [{ name, action, compensation? }, ...]',
    );
  });

  it('lists every problem with the steps in one error', () => {
    const { stack } = testStack();
    const a = fn(stack, 'A');
    expect(
      () =>
        new Saga(stack, 'Dupes', {
          steps: [
            { name: 'Pay', action: a },
            { name: 'Pay', action: a },
            { name: 'Ship it', action: a },
          ],
        }),
    ).toThrow(
      'Saga at Test/Dupes: 2 invalid props:\n' +
        '  - steps[1].name = "Pay": duplicates steps[0].name. Fix: give every step a unique name\n' +
        '  - steps[2].name = "Ship it": must be 1 to 60 letters, digits, _ or - (it becomes a state name and a JSON path key). ' +
        'Fix: use a PascalCase verb phrase such as ChargePayment',
    );
  });
});

describe('Saga with onCompensationFailure', () => {
  let definition: ReturnType<typeof definitionOf>;
  let saga: Saga;

  beforeAll(() => {
    const { stack } = testStack();
    const a = fn(stack, 'A');
    const b = fn(stack, 'B');
    const report = fn(stack, 'Report');
    saga = new Saga(stack, 'Saga', {
      steps: [
        { name: 'Reserve', action: a, compensation: a },
        { name: 'Notify', action: b },
        { name: 'Charge', action: b, compensation: b },
        { name: 'Confirm', action: a },
      ],
      onCompensationFailure: report,
      taskTimeout: Duration.seconds(10),
    });
    definition = definitionOf(Template.fromStack(stack).toJSON() as TemplateJson);
  });

  it('routes a failed compensation to its report, keeping the error at $.compensationFailures.<step>', () => {
    expect(definition.States.UndoCharge.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.compensationFailures.Charge', Next: 'UndoChargeFailed' },
    ]);
    expect(definition.States.UndoChargeFailed).toMatchObject({
      Type: 'Task',
      ResultPath: '$.compensationFailureReports.Charge',
      ResultSelector: { 'outcome.$': '$.Payload' },
      TimeoutSeconds: 10,
      Parameters: {
        Payload: {
          step: 'Charge',
          phase: 'compensationFailure',
          'input.$': '$.input',
          'failure.$': '$.failure',
          'compensationFailure.$': '$.compensationFailures.Charge',
          'executionId.$': '$$.Execution.Id',
          'retryCount.$': '$$.State.RetryCount',
        },
      },
    });
  });

  it('carries on with the remaining compensations once the failure is reported', () => {
    expect(definition.States.UndoChargeFailed.Next).toBe('UndoReserve');
    expect(definition.States.UndoReserve.Next).toBe('AllCompensated?');
    expect(definition.States.UndoReserveFailed.Next).toBe('AllCompensated?');
  });

  it('retries a report like a compensation, and stops at once if the report itself fails', () => {
    const [throttle, faults] = definition.States.UndoChargeFailed.Retry as Record<string, unknown>[];
    expect(throttle).toMatchObject({ ErrorEquals: ['Lambda.TooManyRequestsException'], MaxAttempts: 10 });
    expect(faults).toMatchObject({
      ErrorEquals: ['States.ALL'],
      MaxAttempts: 6,
      BackoffRate: 2,
      JitterStrategy: 'FULL',
    });
    expect(definition.States.UndoChargeFailed.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.compensationFailureReportError', Next: 'CompensationFailed' },
    ]);
  });

  it('still ends the execution failed when any compensation failed, and compensated when none did', () => {
    expect(definition.States['AllCompensated?']).toEqual({
      Type: 'Choice',
      Comment: 'Every compensation ran; did any of them fail (and get reported)?',
      Choices: [
        {
          Or: [
            { Variable: '$.compensationFailures.Reserve', IsPresent: true },
            { Variable: '$.compensationFailures.Charge', IsPresent: true },
          ],
          Next: 'CompensationFailed',
        },
      ],
      Default: 'Compensated',
    });
    const fails = Object.entries(definition.States).filter(([, s]) => s.Type === 'Fail');
    expect(fails.map(([name]) => name)).toEqual(['CompensationFailed']);
  });

  it('counts each report, at its full retry policy, in the worst case', () => {
    // 4 actions × (4 × 10 s + 1 + 2 + 4 s) + 2 × (compensation + report) × (7 × 10 s + 1 + 2 + 4 + 8 + 10 + 10 s) = 608 s,
    // plus 8 tasks × 160.78125 s of throttled attempts and their delays = 1894.25 s → 1895 s → 32 minutes, plus one.
    expect(saga.worstCaseDuration.toSeconds()).toBe(1895);
    expect(definition.TimeoutSeconds).toBe(33 * 60);
  });

  it('refuses step names whose derived state names collide, naming both steps', () => {
    const { stack } = testStack();
    const a = fn(stack, 'A');
    expect(
      () =>
        new Saga(stack, 'Collide', {
          steps: [
            { name: 'Pay', action: a, compensation: a },
            { name: 'PayFailed', action: a, compensation: a },
          ],
          onCompensationFailure: a,
          taskTimeout: Duration.seconds(1),
        }),
    ).toThrow(
      'Saga at Test/Collide: 1 invalid prop:\n' +
        '  - steps[1].name = "PayFailed": derives the state name UndoPayFailed, which steps[0] derives too. ' +
        'Fix: rename one of the steps',
    );
  });
});
