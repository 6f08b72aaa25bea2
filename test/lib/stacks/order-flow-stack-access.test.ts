import { beforeAll, describe, expect, it } from 'vitest';
import { runAccessCheck } from '../../../scripts/lib/verify-access/check';
import type { CfnTemplate } from '../../../scripts/lib/verify-access/intrinsics';
import { KEPT_GRANTS } from '../../../scripts/lib/verify-access/kept-grants';
import type { Statement } from '../../../scripts/lib/verify-access/policies';
import { type RecordedFixture, readFixture } from '../../../scripts/lib/verify-access/recorded';
import { synthAwsTemplate } from '../../../scripts/lib/verify-access/template';

/**
 * `npm run verify:access` inside `npm test` (issue 12): every request the stack makes, recorded and wired,
 * evaluated by an IAM policy evaluator against the aws-stage template, and shown to fail when one
 * needed statement goes.
 */
describe('access check (IAM and KMS, offline)', () => {
  let template: CfnTemplate;
  let fixture: RecordedFixture;

  beforeAll(() => {
    template = synthAwsTemplate();
    fixture = readFixture();
  });

  const idOf = (prefix: string, type: string) => {
    const ids = Object.keys(template.Resources).filter(
      (id) => id.startsWith(prefix) && template.Resources[id].Type === type,
    );
    expect(ids, `${type} ${prefix}*`).toHaveLength(1);
    return ids[0];
  };

  /** A copy of the template without the statements of `resourceId`'s policy document that `drop` picks. */
  function without(resourceId: string, drop: (s: Statement) => boolean): CfnTemplate {
    const copy = structuredClone(template);
    const p = copy.Resources[resourceId].Properties as Record<string, { Statement: Statement[] }>;
    const key = ['PolicyDocument', 'KeyPolicy'].find((k) => p[k]);
    if (!key) throw new Error(`${resourceId} has no policy document`);
    const before = p[key].Statement.length;
    p[key].Statement = p[key].Statement.filter((s) => !drop(s));
    expect(p[key].Statement.length, `statements dropped from ${resourceId}`).toBe(before - 1);
    return copy;
  }

  const denials = async (t: CfnTemplate) =>
    (await runAccessCheck({ template: t, fixture, checkFreshness: false })).denied.map(
      (d) => `${d.principal.replace(/^arn:aws:iam::\d+:role\//, 'role/')} ${d.action} ${d.resource}`,
    );

  it('allows every request, covers every function, rule target, subscription, alarm and event source, and explains every unused grant', async () => {
    const result = await runAccessCheck({ template, fixture });
    expect(result.problems).toEqual([]);
    expect(result.denied).toEqual([]);
    const n = result.evaluated.length;
    expect(result.lines.at(-1)).toBe(`access: ${n} requests, ${n} allowed, 0 denied`);
    const by = new Set(result.evaluated.map((e) => e.by.split('/')[0]));
    const covered = (type: string) =>
      Object.keys(template.Resources).filter((id) => template.Resources[id].Type === type && !by.has(id));
    for (const type of [
      'AWS::Lambda::Function',
      'AWS::Events::Rule',
      'AWS::SNS::Subscription',
      'AWS::CloudWatch::Alarm',
      'AWS::Lambda::EventSourceMapping',
      'AWS::StepFunctions::StateMachine',
    ])
      expect(covered(type), `${type} with no request`).toEqual([]);
    // Every function made its own calls in the recording, not only the wired ones.
    const recordedBy = new Set(result.evaluated.filter((e) => e.origin === 'recorded').map((e) => e.by));
    expect(
      Object.keys(template.Resources).filter(
        (id) => template.Resources[id].Type === 'AWS::Lambda::Function' && !recordedBy.has(id),
      ),
    ).toEqual([]);
  });

  it('denies SNS delivery to the e-mail queue once its queue policy statement for SNS is gone', async () => {
    const policy = Object.keys(template.Resources).find(
      (id) => id.startsWith('EmailQueuePolicy') && template.Resources[id].Type === 'AWS::SQS::QueuePolicy',
    )!;
    const t = without(policy, (s) => JSON.stringify(s.Principal) === '{"Service":"sns.amazonaws.com"}');
    const queue = ((template.Resources[policy].Properties?.Queues as { Ref: string }[]) ?? [])[0].Ref;
    expect(await denials(t)).toEqual([
      `sns.amazonaws.com sqs:SendMessage arn:aws:sqs:us-east-1:123456789012:${(template.Resources[queue].Properties as { QueueName?: string }).QueueName ?? queue}`,
    ]);
  });

  it("denies every alarm's KMS calls once the alarm key's statement for CloudWatch is gone", async () => {
    const key = idOf('OperationsAlarmTopicKey', 'AWS::KMS::Key');
    const t = without(key, (s) => s.Sid === 'AllowCloudWatchAlarmsToPublish');
    const alarms = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && ((r.Properties?.AlarmActions as unknown[]) ?? []).length > 0,
    ).length;
    const denied = await denials(t);
    expect(alarms).toBeGreaterThan(0);
    expect(denied).toHaveLength(2 * alarms);
    expect(new Set(denied)).toEqual(
      new Set([
        `cloudwatch.amazonaws.com kms:GenerateDataKey arn:aws:kms:us-east-1:123456789012:key/${key}`,
        `cloudwatch.amazonaws.com kms:Decrypt arn:aws:kms:us-east-1:123456789012:key/${key}`,
      ]),
    );
  });

  it("denies the OrderPlaced rule's StartExecution once its role's statement is gone", async () => {
    const policy = idOf('RouterOrderPlacedToSagaRoleDefaultPolicy', 'AWS::IAM::Policy');
    const t = without(policy, (s) => s.Action === 'states:StartExecution');
    const role = idOf('RouterOrderPlacedToSagaRole2', 'AWS::IAM::Role');
    const machine = idOf('OrderSagaStateMachine', 'AWS::StepFunctions::StateMachine');
    expect(await denials(t)).toEqual([
      `role/${role} states:StartExecution arn:aws:states:us-east-1:123456789012:stateMachine:${machine}`,
    ]);
  });

  it("denies the projector's recorded UpdateItem once its grant on the customer stats table is gone", async () => {
    const policy = idOf('ProjectorServiceRoleDefaultPolicy', 'AWS::IAM::Policy');
    const stats = idOf('CustomerStatsReadModel', 'AWS::DynamoDB::Table');
    const t = without(policy, (s) => JSON.stringify(s.Resource).includes(stats));
    const role = idOf('ProjectorServiceRole', 'AWS::IAM::Role');
    expect(await denials(t)).toEqual([
      `role/${role} dynamodb:UpdateItem arn:aws:dynamodb:us-east-1:123456789012:table/${stats}`,
    ]);
  });

  it('fails on a stale or incomplete recording, an unexplained grant and a stale kept entry', async () => {
    const stale = await runAccessCheck({ template, fixture: { ...fixture, lambdasHash: 'old' } });
    expect(stale.ok).toBe(false);
    expect(stale.problems).toEqual([expect.stringContaining('the recorded requests are stale')]);

    const relay = idOf('EventRelay', 'AWS::Lambda::Function');
    const partial = await runAccessCheck({
      template,
      fixture: { ...fixture, requests: fixture.requests.filter((r) => r.function !== relay) },
    });
    expect(partial.problems).toContain(
      `function ${relay} has no recorded request; re-record with \`npm run verify:access -- --record\``,
    );

    const unexplained = await runAccessCheck({
      template,
      fixture,
      kept: KEPT_GRANTS.filter((k) => k.action !== 'sqs:ChangeMessageVisibility'),
    });
    expect(unexplained.ok).toBe(false);
    expect(unexplained.problems.length).toBeGreaterThan(0);
    expect(
      unexplained.problems.every((p) => p.startsWith('unused grant:') && p.includes('sqs:ChangeMessageVisibility')),
    ).toBe(true);

    const staleKeep = await runAccessCheck({
      template,
      fixture,
      kept: [...KEPT_GRANTS, { role: 'EventRelay', action: 'dynamodb:Scan', reason: 'none' }],
    });
    expect(staleKeep.problems).toEqual([
      'kept-grants.ts keeps EventRelay dynamodb:Scan, which is no longer an unused grant; remove the entry',
    ]);
  });
});
