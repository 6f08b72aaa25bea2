import { Duration, aws_dynamodb as dynamodb, aws_iam as iam } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AppTable } from '../../../lib/constructs/app-table';
import { FaultSwitch } from '../../../lib/constructs/fault-switch';
import { NodeFunction } from '../../../lib/constructs/node-function';
import { ReadModelTables } from '../../../lib/constructs/read-model-tables';
import { StreamConsumer } from '../../../lib/constructs/stream-consumer';
import { NOOP_ENTRY, PROJECT_FUNCTION_PROPERTIES, testStack } from '../../support/cdk/cdk';

const streamed = (stack: ReturnType<typeof testStack>['stack']) =>
  new dynamodb.Table(stack, 'Events', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    stream: dynamodb.StreamViewType.NEW_IMAGE,
  });

describe('NodeFunction', () => {
  it('builds the function with its log group and a role that may write to that log group only, beside it', () => {
    const { stack } = testStack();
    const fn = new NodeFunction(stack, 'Orders', { entry: NOOP_ENTRY, timeout: Duration.seconds(10) });
    const template = Template.fromStack(stack);
    // Beside it: the paths a hand-built function had, so adopting the construct keeps the logical ids.
    expect(stack.node.tryFindChild('OrdersLogGroup')).toBe(fn.logGroup);
    expect(stack.node.tryFindChild('OrdersServiceRole')).toBe(fn.role);
    template.hasResourceProperties('AWS::Lambda::Function', {
      ...PROJECT_FUNCTION_PROPERTIES,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^OrdersLogGroup') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'Execution role of the noop function',
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersLogGroup'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('refuses a timeout beyond Lambda limits and an entry that is not TypeScript, all at once, before bundling', () => {
    const { stack } = testStack();
    expect(() => new NodeFunction(stack, 'Bad', { entry: 'handler.js', timeout: Duration.minutes(16) })).toThrow(
      'NodeFunction at Test/Bad: 2 invalid props:\n' +
        '  - timeout = 960 s: must be a literal from 1 second to 15 minutes. Fix: pass e.g. Duration.seconds(10)\n' +
        '  - entry = "handler.js": must be a TypeScript file. Fix: pass the path of the handler file, e.g. lambdas/orders/handler.ts',
    );
  });
});

describe('StreamConsumer', () => {
  it('reads the stream in order with bisecting, bounded retries and its own encrypted failure queue', () => {
    const { stack } = testStack();
    const consumer = new StreamConsumer(stack, 'Projector', {
      entry: NOOP_ENTRY,
      timeout: Duration.seconds(10),
      table: streamed(stack),
    });
    const template = Template.fromStack(stack);
    expect(stack.node.tryFindChild('ProjectorFailureQueue')).toBe(consumer.failureQueue);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProjectorFailureQueue'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    expect(stack.resolve(consumer.metricIteratorAge().metricName)).toBe('IteratorAge');
    expect(stack.resolve(consumer.metricFailedBatches().metricName)).toBe('ApproximateNumberOfMessagesVisible');
  });

  it('refuses a table without a stream and unbounded or out-of-range batching', () => {
    const { stack } = testStack();
    const table = new dynamodb.Table(stack, 'NoStream', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    });
    expect(
      () =>
        new StreamConsumer(stack, 'Bad', {
          entry: NOOP_ENTRY,
          timeout: Duration.seconds(10),
          table,
          batchSize: 0,
          retryAttempts: -1,
        }),
    ).toThrow(
      'StreamConsumer at Test/Bad: 3 invalid props:\n' +
        '  - table = "Test/NoStream": has no stream. Fix: give the table a stream (e.g. stream: dynamodb.StreamViewType.NEW_IMAGE)\n' +
        '  - batchSize = 0: must be an integer from 1 to 10,000. Fix: use e.g. 10\n' +
        '  - retryAttempts = -1: must be an integer from 0 to 10,000 (a bounded number: unbounded retries stall the shard). Fix: use e.g. 10',
    );
  });
});

describe('ReadModelTables and AppTable', () => {
  it('creates the order summary with its history index and the customer statistics beside it, and grants a projector item calls only', () => {
    const { stack } = testStack();
    const readModels = new ReadModelTables(stack, 'ReadModel', { historyIndexName: 'byCustomer' });
    const projector = new iam.Role(stack, 'Projector', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    readModels.grantProject(projector);
    const template = Template.fromStack(stack);
    expect(stack.node.tryFindChild('CustomerStatsReadModel')).toBe(readModels.customerStats);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'byCustomer',
          KeySchema: [
            { AttributeName: 'customerId', KeyType: 'HASH' },
            { AttributeName: 'placedAt', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))[0].Properties.PolicyDocument
      .Statement as { Action: string | string[]; Resource: unknown }[];
    expect(statements.map((s) => s.Action)).toEqual([['dynamodb:GetItem', 'dynamodb:PutItem'], 'dynamodb:UpdateItem']);
    // No index ARN: a projector queries no index.
    expect(JSON.stringify(statements)).not.toContain('/index/');
    expect(() => new ReadModelTables(stack, 'Bad', { historyIndexName: 'x' })).toThrow(
      'ReadModelTables at Test/Bad: 1 invalid prop:\n' +
        '  - historyIndexName = "x": must be 3 to 255 letters, digits, _, - or . (a DynamoDB index name). Fix: use e.g. customerOrders',
    );
  });

  it('grants record keeping on an AppTable as item reads and writes only', () => {
    const { stack } = testStack();
    const table = new AppTable(stack, 'Records', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const role = new iam.Role(stack, 'Service', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    table.grantItemReadWrite(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] })],
      },
    });
  });
});

describe('FaultSwitch', () => {
  it('deploys the off switch under its path and grants reading the path, not the parameters', () => {
    const { stack } = testStack();
    const faults = new FaultSwitch(stack, 'Faults', { path: '/Test/fault-injection', offValue: '{"faults":[]}' });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    faults.grantReadRules(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/Test/fault-injection/default',
      Value: '{"faults":[]}',
    });
    const json = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(json).toContain('ssm:GetParametersByPath');
    expect(json).toContain(':parameter/Test/fault-injection"');
    expect(() => new FaultSwitch(stack, 'Bad', { path: 'no-slash/', offValue: '{}' })).toThrow(
      'FaultSwitch at Test/Bad: 1 invalid prop:\n' +
        '  - path = "no-slash/": must be an absolute parameter path of letters, digits, _, . and - (no trailing /). Fix: use e.g. /MyStack/fault-injection',
    );
  });
});
