import { aws_iam as iam, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../../lib/constructs/event-store';
import { IdempotencyTable } from '../../../lib/constructs/idempotency-table';
import { testStack } from '../support/cdk';

describe('IdempotencyTable and EventStore', () => {
  let template: Template;

  beforeAll(() => {
    const { stack } = testStack();
    new IdempotencyTable(stack, 'Idempotency');
    new EventStore(stack, 'EventStore', { removalPolicy: RemovalPolicy.DESTROY });
    template = Template.fromStack(stack);
  });

  it('keys the idempotency table like Powertools: id, TTL on expiration; retained by default', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      }),
    });
  });

  it('keys the event store by aggregateId and numeric version, streaming new images', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'aggregateId', KeyType: 'HASH' },
          { AttributeName: 'version', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([{ AttributeName: 'version', AttributeType: 'N' }]),
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      }),
    });
  });

  it('keeps snapshots in their own table with the same keys and no stream (they are derived, not facts)', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table')).filter(
      (t) =>
        JSON.stringify(t.Properties.KeySchema) ===
        JSON.stringify([
          { AttributeName: 'aggregateId', KeyType: 'HASH' },
          { AttributeName: 'version', KeyType: 'RANGE' },
        ]),
    );
    expect(tables).toHaveLength(2);
    expect(tables.filter((t) => t.Properties.StreamSpecification === undefined)).toHaveLength(1);
  });

  it('refuses a snapshot interval that is not a whole number ≥ 0', () => {
    const { stack } = testStack('Bad');
    expect(() => new EventStore(stack, 'Store', { snapshotEvery: -1 })).toThrow(
      'EventStore Store: snapshotEvery must be a whole number ≥ 0 (0 = off), got -1',
    );
    expect(() => new EventStore(stack, 'Store2', { snapshotEvery: 2.5 })).toThrow(/whole number/);
  });

  it('bills on demand, encrypts with the AWS-managed key and keeps point-in-time recovery on both', () => {
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  // npm run verify:access found these grants wider than any call the handlers make (issue 12).
  it('grantRecordKeeping allows exactly the item calls Powertools idempotency makes: no scan, batch or stream', () => {
    const { stack } = testStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    table.grantRecordKeeping(role);
    const statements = policyStatements(Template.fromStack(stack));
    expect(statements).toEqual([
      {
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^IdempotencyTable/), 'Arn'] },
      },
    ]);
  });

  it('grantAppend allows putting, condition-checking and querying events and snapshots, nothing else', () => {
    const { stack } = testStack();
    const store = new EventStore(stack, 'EventStore');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    store.grantAppend(role);
    const byTable = Object.fromEntries(
      policyStatements(Template.fromStack(stack)).map((s) => [JSON.stringify(s.Resource), s.Action]),
    );
    expect(Object.values(byTable).sort()).toEqual([
      ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      ['dynamodb:PutItem', 'dynamodb:Query'],
    ]);
  });
});

/** The statements of the template's one identity policy. */
function policyStatements(template: Template): { Action: unknown; Effect: string; Resource: unknown }[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  expect(policies).toHaveLength(1);
  return (
    policies[0].Properties.PolicyDocument as { Statement: { Action: unknown; Effect: string; Resource: unknown }[] }
  ).Statement;
}
