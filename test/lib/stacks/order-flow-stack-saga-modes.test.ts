import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSagaMode, SAGA_MODE_CONTEXT_KEY } from '../../../lib/config/saga-mode';
import { parseStackName } from '../../../lib/config/stack-name';
import { definitionOf, ROOT, type TemplateJson } from '../../support/cdk/cdk';
import { nagFindings, synthOrderFlow } from '../../support/cdk/order-flow';

describe('saga mode context', () => {
  it('defaults to standard in cdk.json', () => {
    const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    expect(cdkJson.context[SAGA_MODE_CONTEXT_KEY]).toBe('standard');
    expect(parseSagaMode(undefined)).toBe('standard');
    expect(parseSagaMode('express')).toBe('express');
  });

  it('refuses an unknown mode with the value and the fix', () => {
    expect(() => parseSagaMode('fast')).toThrow(
      'Context "sagaMode" must be one of "standard", "express", got "fast". ' +
        'Fix: set "sagaMode" in cdk.json or pass -c sagaMode=express',
    );
    expect(() => parseSagaMode(true)).toThrow('got true');
  });

  it('fails the app itself (bin/app.ts, as cdk synth runs it) on a bad -c sagaMode', () => {
    // The CDK CLI hands -c values to the app through CDK_CONTEXT_JSON; the app throws before building anything.
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ sagaMode: 'Express' }),
        CDK_OUTDIR: '/tmp/saga-mode-unused',
      },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Context "sagaMode" must be one of "standard", "express", got "Express".');
  });

  it('accepts a second stack name for the local Express copy and refuses an invalid one', () => {
    expect(parseStackName(undefined)).toBe('OrderFlow');
    expect(parseStackName('OrderFlowExpress')).toBe('OrderFlowExpress');
    expect(() => parseStackName('order flow')).toThrow('Context "stackName" must be a CloudFormation stack name');
  });
});

describe.each([
  { mode: 'standard', type: 'STANDARD', includeExecutionData: false },
  { mode: 'express', type: 'EXPRESS', includeExecutionData: true },
])('OrderFlowStack with sagaMode=$mode', ({ mode, type, includeExecutionData }) => {
  let template: Template;
  let json: TemplateJson;
  let nag: PolicyValidationPluginReport;

  beforeAll(() => {
    ({ template, json, nag } = synthOrderFlow('aws', { [SAGA_MODE_CONTEXT_KEY]: mode }));
  });

  it(`builds a ${type} state machine, traced, logging ALL ${includeExecutionData ? 'with' : 'without'} execution data`, () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: type,
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: includeExecutionData,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrderSagaLogGroup'), 'Arn'] },
            },
          },
        ],
      },
    });
  });

  it('has no unacknowledged cdk-nag AwsSolutions findings', () => {
    expect(nagFindings(nag)).toEqual([]);
  });

  it('bounds every task attempt and gives the execution a timeout that covers the worst case of its retries', () => {
    const definition = definitionOf(json);
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    // 5 actions, 4 compensations and 4 failed-compensation reports (Undo<step>Failed).
    expect(tasks).toHaveLength(13);
    for (const [name, task] of tasks) expect(task.TimeoutSeconds, name).toBe(10);
    if (mode === 'express') {
      // 13 tasks × (2 attempts × 10 s + 1 s) = 273 s, inside the 5-minute cap (3 attempts would be 429 s).
      expect(definition.TimeoutSeconds).toBe(300);
      // No room for a throttle retrier: a throttle is retried once, as a technical fault.
      for (const [name, task] of tasks) {
        expect(task.Retry, name).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 1 })]);
      }
    } else {
      // 5 × (4 × 10 + 1 + 2 + 4) + 8 × (7 × 10 + 1 + 2 + 4 + 8 + 10 + 10) = 1075 s, plus on each of the 13 tasks
      // 10 throttled attempts × 10 s + delays 1 + 1.5 + 2.25 + 3.375 + 5.0625 + 7.59375 + 4 × 10 s = 160.78125 s:
      // 3165.16 s → 3166 s → 53 min, plus one.
      expect(definition.TimeoutSeconds).toBe(54 * 60);
      for (const [name, task] of tasks) {
        expect(
          (task.Retry as { ErrorEquals: string[] }[]).map((r) => r.ErrorEquals),
          name,
        ).toEqual([['Lambda.TooManyRequestsException'], ['States.ALL']]);
      }
    }
  });

  it(`${mode === 'express' ? 'masks' : 'needs no masking of'} payment tokens in the execution log`, () => {
    const [logGroup] = Object.values(json.Resources).filter(
      (r) => r.Type === 'AWS::Logs::LogGroup' && JSON.stringify(r).includes('saga-execution-data'),
    );
    if (mode === 'standard') {
      expect(logGroup).toBeUndefined();
      return;
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      DataProtectionPolicy: Match.objectLike({
        Configuration: { CustomDataIdentifier: [{ Name: 'PaymentToken', Regex: 'tok_[A-Za-z0-9_]{1,64}' }] },
        Statement: Match.arrayWith([
          Match.objectLike({ DataIdentifier: ['PaymentToken'], Operation: { Deidentify: { MaskConfig: {} } } }),
        ]),
      }),
    });
  });

  it('starts the saga from the OrderPlaced rule in either mode', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['OrderPlaced'] },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^OrderSagaStateMachine') } })],
    });
  });
});
