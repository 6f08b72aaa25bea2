import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAULT_INJECTION_CONTEXT_KEY, parseFaultInjection } from '../../../lib/config/fault-injection';
import type { Stage } from '../../../lib/stacks/order-flow-stack';
import { ROOT, refOf, resourcesOf, type TemplateJson } from '../../support/cdk/cdk';
import { deadLetterQueueIds, synthOrderFlow } from '../../support/cdk/order-flow';

/** The stack as `cdk synth` builds it for a stage, without bundling (these checks read the template, not code). */
const synth = (stage: Stage, context: Record<string, unknown> = {}): TemplateJson =>
  synthOrderFlow(stage, context).json;

const variables = (fn: { Properties: Record<string, unknown> }) =>
  (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

/** Every IAM statement that lets a role read the fault-injection path, by the role's logical id. */
function switchGrants(json: TemplateJson, roleId: string | undefined) {
  return resourcesOf(json, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => refOf(r) === roleId))
    .flatMap(
      ([, p]) => (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
    )
    .filter((st) => [st.Action].flat().includes('ssm:GetParametersByPath'));
}

/** The event store's events table: the one keyed by aggregateId that streams. */
function eventStoreTable(json: TemplateJson) {
  const found = resourcesOf(json, 'AWS::DynamoDB::Table').filter(
    ([, t]) =>
      (t.Properties.KeySchema as { AttributeName: string }[])[0].AttributeName === 'aggregateId' &&
      t.Properties.StreamSpecification,
  );
  expect(found).toHaveLength(1);
  return found[0];
}

/** Source queues (every queue with a redrive policy) with their DLQ. */
function sourceQueues(json: TemplateJson) {
  return resourcesOf(json, 'AWS::SQS::Queue')
    .filter(([, q]) => q.Properties.RedrivePolicy)
    .map(([id, q]) => {
      const dlqId = refOf((q.Properties.RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn)!;
      return { id, queue: q, dlqId, dlq: json.Resources[dlqId] };
    });
}

describe('the aws stage, as `cdk synth` builds it by default (production-safe)', () => {
  let json: TemplateJson;

  beforeAll(() => {
    json = synth('aws');
  });

  it('deploys no fault-injection switch: no parameter, no read grant, no environment variable, no output', () => {
    expect(resourcesOf(json, 'AWS::SSM::Parameter')).toEqual([]);
    const functions = resourcesOf(json, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(10);
    for (const [id, fn] of functions) {
      expect(variables(fn), id).not.toHaveProperty('FAULT_INJECTION_PATH');
      expect(switchGrants(json, refOf(fn.Properties.Role)), id).toEqual([]);
    }
    expect(JSON.stringify(json)).not.toMatch(/fault-injection|GetParametersByPath/);
    expect(Object.keys(json.Outputs ?? {})).not.toContain('FaultInjectionPath');
  });

  it('turns deletion protection on for the event store table only, and retains every table', () => {
    const [storeId, store] = eventStoreTable(json);
    expect(store.Properties.DeletionProtectionEnabled).toBe(true);
    expect(store.DeletionPolicy).toBe('Retain');
    const others = resourcesOf(json, 'AWS::DynamoDB::Table').filter(([id]) => id !== storeId);
    expect(others).toHaveLength(6);
    for (const [id, table] of others) {
      // Derived (snapshots, read models) or rebuilt by the flow itself: retained, not protected.
      expect(table.Properties.DeletionProtectionEnabled, id).toBeUndefined();
      expect(table.DeletionPolicy, id).toBe('Retain');
    }
  });

  it('has no CreateEventArchive parameter and no condition on the archive', () => {
    const template = json as TemplateJson & {
      Parameters?: Record<string, unknown>;
      Conditions?: Record<string, unknown>;
    };
    expect(Object.keys(template.Parameters ?? {})).not.toContain('CreateEventArchive');
    expect(Object.keys(template.Conditions ?? {})).not.toContain('CreateEventArchiveCondition');
    const archives = resourcesOf(json, 'AWS::Events::Archive');
    expect(archives).toHaveLength(1);
    expect(archives[0][1].Condition).toBeUndefined();
  });

  it('sets the retention of every source queue explicitly, shorter than its DLQ keeps a message', () => {
    const sources = sourceQueues(json);
    expect(sources).toHaveLength(4);
    for (const { id, queue, dlq } of sources) {
      expect(queue.Properties.MessageRetentionPeriod, id).toBe(4 * 24 * 3600);
      expect(dlq.Properties.MessageRetentionPeriod, id).toBe(14 * 24 * 3600);
    }
    // Every queue in the stack states its retention (cfn-lint I3013), DLQs and failure queues included.
    const dlqs = deadLetterQueueIds(json);
    for (const [id, queue] of resourcesOf(json, 'AWS::SQS::Queue')) {
      expect(queue.Properties.MessageRetentionPeriod, id).toEqual(expect.any(Number));
      if (dlqs.has(id)) expect(queue.Properties.MessageRetentionPeriod, id).toBe(14 * 24 * 3600);
    }
  });
});

describe('the aws stage with -c faultInjection=true', () => {
  let json: TemplateJson;

  beforeAll(() => {
    json = synth('aws', { [FAULT_INJECTION_CONTEXT_KEY]: 'true' });
  });

  it('deploys the switch off, readable by every consumer and saga service only', () => {
    const [[, parameter], ...more] = resourcesOf(json, 'AWS::SSM::Parameter');
    expect(more).toEqual([]);
    expect(parameter.Properties.Name).toBe('/OrderFlow/fault-injection/default');
    expect(JSON.parse(parameter.Properties.Value as string)).toEqual({ faults: [] });
    const readers = resourcesOf(json, 'AWS::Lambda::Function').filter(([, fn]) => variables(fn).FAULT_INJECTION_PATH);
    // 4 saga services + 4 queue consumers; the stream processors have no fault points.
    expect(readers).toHaveLength(8);
    for (const [id, fn] of readers) {
      expect(variables(fn).FAULT_INJECTION_PATH, id).toBe('/OrderFlow/fault-injection');
      const [grant, ...others] = switchGrants(json, refOf(fn.Properties.Role));
      expect(others, id).toEqual([]);
      expect(JSON.stringify(grant?.Resource), id).toMatch(/:parameter\/OrderFlow\/fault-injection"/);
    }
    const others = resourcesOf(json, 'AWS::Lambda::Function').filter(([id]) => !readers.some(([r]) => r === id));
    expect(others).toHaveLength(2);
    for (const [id, fn] of others) expect(switchGrants(json, refOf(fn.Properties.Role)), id).toEqual([]);
    expect(json.Outputs?.FaultInjectionPath).toEqual({ Value: '/OrderFlow/fault-injection' });
  });
});

describe('the local stage', () => {
  let json: TemplateJson;

  beforeAll(() => {
    json = synth('local');
  });

  it('deploys the fault-injection switch by default, and leaves it out with -c faultInjection=false', () => {
    expect(resourcesOf(json, 'AWS::SSM::Parameter')).toHaveLength(1);
    const readers = resourcesOf(json, 'AWS::Lambda::Function').filter(([, fn]) => variables(fn).FAULT_INJECTION_PATH);
    expect(readers).toHaveLength(8);
    expect(json.Outputs?.FaultInjectionPath).toEqual({ Value: '/OrderFlow/fault-injection' });

    const without = synth('local', { [FAULT_INJECTION_CONTEXT_KEY]: 'false' });
    expect(resourcesOf(without, 'AWS::SSM::Parameter')).toEqual([]);
    expect(JSON.stringify(without)).not.toMatch(/FAULT_INJECTION_PATH|GetParametersByPath/);
  });

  it('keeps the CreateEventArchive parameter and the condition the local deploy turns the archive off with', () => {
    const template = json as TemplateJson & {
      Parameters?: Record<string, unknown>;
      Conditions?: Record<string, unknown>;
    };
    expect(template.Parameters?.CreateEventArchive).toEqual({
      Type: 'String',
      AllowedValues: ['true', 'false'],
      Default: 'true',
      Description: expect.stringContaining('AWS::Events::Archive'),
    });
    expect(template.Conditions?.CreateEventArchiveCondition).toEqual({
      'Fn::Equals': [{ Ref: 'CreateEventArchive' }, 'true'],
    });
    const [[, archive]] = resourcesOf(json, 'AWS::Events::Archive');
    expect(archive.Condition).toBe('CreateEventArchiveCondition');
  });

  it('leaves deletion protection off so `npm run destroy:local` can delete the event store', () => {
    const [, store] = eventStoreTable(json);
    expect(store.Properties.DeletionProtectionEnabled).toBe(false);
    expect(store.DeletionPolicy).toBe('Delete');
  });

  it('sets the retention of every source queue explicitly too', () => {
    const sources = sourceQueues(json);
    expect(sources).toHaveLength(4);
    for (const { id, queue, dlq } of sources) {
      expect(queue.Properties.MessageRetentionPeriod, id).toBe(4 * 24 * 3600);
      expect(dlq.Properties.MessageRetentionPeriod as number, id).toBeGreaterThan(
        queue.Properties.MessageRetentionPeriod as number,
      );
    }
  });
});

describe('the faultInjection context', () => {
  it('defaults to the stage: on locally, off on AWS; accepts true/false as booleans or strings', () => {
    expect(parseFaultInjection(undefined, 'aws')).toBe(false);
    expect(parseFaultInjection(undefined, 'local')).toBe(true);
    expect(parseFaultInjection('true', 'aws')).toBe(true);
    expect(parseFaultInjection(true, 'aws')).toBe(true);
    expect(parseFaultInjection('false', 'local')).toBe(false);
    expect(parseFaultInjection(false, 'local')).toBe(false);
  });

  it('refuses anything else with the value and the fix', () => {
    expect(() => parseFaultInjection('yes', 'aws')).toThrow(
      'Context "faultInjection" must be "true" or "false", got "yes". ' +
        'Fix: -c faultInjection=true (deploys the switch) or -c faultInjection=false (leaves it out)',
    );
    expect(() => parseFaultInjection(1, 'local')).toThrow('got 1.');
  });

  it('fails the app itself (bin/app.ts, as cdk synth runs it) on a bad -c faultInjection', () => {
    // The CDK CLI hands -c values to the app through CDK_CONTEXT_JSON; the app throws before building anything.
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ faultInjection: 'on' }),
        CDK_OUTDIR: '/tmp/fault-injection-unused',
      },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Context "faultInjection" must be "true" or "false", got "on".');
  });
});

describe('CDK feature flags (cdk.json)', () => {
  // Every flag aws-cdk-lib recommends is decided in cdk.json, so synth prints no "flags are not configured"
  // notice; the one set against the recommendation is explained in docs/deploy-to-aws.md ("CDK feature flags").
  const DECIDED_AGAINST = ['@aws-cdk/core:enableAdditionalMetadataCollection'];

  it('sets every recommended flag, to the recommended value unless documented otherwise', () => {
    const context = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
      .context;
    const recommended = JSON.parse(
      readFileSync(join(ROOT, 'node_modules', 'aws-cdk-lib', 'recommended-feature-flags.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(Object.keys(recommended).length).toBeGreaterThan(80);
    const unset = Object.keys(recommended).filter((flag) => !(flag in context));
    expect(unset).toEqual([]);
    const differing = Object.keys(recommended).filter(
      (flag) => JSON.stringify(context[flag]) !== JSON.stringify(recommended[flag]),
    );
    expect(differing).toEqual(DECIDED_AGAINST);
    const guide = readFileSync(join(ROOT, 'docs', 'deploy-to-aws.md'), 'utf8');
    for (const flag of DECIDED_AGAINST) expect(guide).toContain(flag);
  });
});
