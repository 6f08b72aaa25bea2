import { type CfnElement, aws_iam as iam, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../../lib/constructs/event-store';
import { IdempotencyTable } from '../../../lib/constructs/idempotency-table';
import { testStack } from '../../support/cdk/cdk';

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

  it('protects the events table from deletion unless the store is disposable, and never the snapshots', () => {
    // The store above is DESTROY: no protection, or its stack could not be deleted.
    const fromDestroy = Object.values(template.findResources('AWS::DynamoDB::Table')).filter(
      (t) => t.Properties.StreamSpecification,
    );
    expect(fromDestroy).toHaveLength(1);
    expect(fromDestroy[0].Properties.DeletionProtectionEnabled).toBe(false);

    const { stack } = testStack('Retained');
    const store = new EventStore(stack, 'Store');
    const optedOut = new EventStore(stack, 'OptedOut', { deletionProtection: false });
    const json = Template.fromStack(stack).toJSON();
    const props = (table: typeof store.table) =>
      json.Resources[stack.getLogicalId(table.node.defaultChild as CfnElement)].Properties;
    expect(props(store.table).DeletionProtectionEnabled).toBe(true);
    expect(props(store.snapshotTable).DeletionProtectionEnabled).toBeUndefined();
    expect(props(optedOut.table).DeletionProtectionEnabled).toBe(false);
  });

  it('refuses deletion protection on a store whose tables are destroyed with the stack', () => {
    const { stack } = testStack('Contradiction');
    expect(
      () => new EventStore(stack, 'Store', { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: true }),
    ).toThrow(
      'EventStore Store: deletionProtection: true and removalPolicy DESTROY contradict each other ' +
        '(deleting the stack would fail on the protected table). Fix: drop deletionProtection for a ' +
        'disposable store, or keep the default removalPolicy RETAIN',
    );
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
