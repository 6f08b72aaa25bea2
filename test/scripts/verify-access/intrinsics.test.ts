import { describe, expect, it } from 'vitest';
import { type CfnTemplate, getAtt, physicalName, refOf, resolve } from '../../../scripts/lib/verify-access/intrinsics';
import { globMatch } from '../../../scripts/lib/verify-access/least-privilege';
import { requestsOfCall } from '../../../scripts/lib/verify-access/recorded';

const template: CfnTemplate = {
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    Fifo: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
    Named: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders' } },
    Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
    Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'orders-bus' } },
    Rule: { Type: 'AWS::Events::Rule', Properties: { EventBusName: { Ref: 'Bus' } } },
    DefaultRule: { Type: 'AWS::Events::Rule', Properties: {} },
    Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Group: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/fn' } },
  },
};

describe('intrinsics', () => {
  it('resolves Ref and Fn::GetAtt to the ARN shapes each service documents', () => {
    expect(getAtt(template, 'Queue', 'Arn')).toBe('arn:aws:sqs:us-east-1:123456789012:Queue');
    expect(getAtt(template, 'Fifo', 'Arn')).toBe('arn:aws:sqs:us-east-1:123456789012:Fifo.fifo');
    expect(refOf(template, 'Named')).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/orders');
    expect(refOf(template, 'Topic')).toBe('arn:aws:sns:us-east-1:123456789012:Topic');
    expect(getAtt(template, 'Table', 'StreamArn')).toMatch(
      /^arn:aws:dynamodb:us-east-1:123456789012:table\/Table\/stream\//,
    );
    expect(getAtt(template, 'Key', 'Arn')).toBe('arn:aws:kms:us-east-1:123456789012:key/Key');
    expect(getAtt(template, 'Rule', 'Arn')).toBe('arn:aws:events:us-east-1:123456789012:rule/orders-bus/Rule');
    expect(getAtt(template, 'DefaultRule', 'Arn')).toBe('arn:aws:events:us-east-1:123456789012:rule/DefaultRule');
    expect(refOf(template, 'Machine')).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:Machine');
    expect(getAtt(template, 'Fn', 'Arn')).toBe('arn:aws:lambda:us-east-1:123456789012:function:Fn');
    expect(getAtt(template, 'Group', 'Arn')).toBe('arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*');
    expect(physicalName(template, 'Bus')).toBe('orders-bus');
  });

  it('resolves Fn::Join, Fn::Sub (both forms), Fn::Select, Fn::Split and pseudo parameters, nested', () => {
    const join = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
    };
    expect(resolve(template, join)).toBe('arn:aws:iam::123456789012:root');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
    expect(resolve(template, { 'Fn::Sub': '${Fn.Arn}:*' })).toBe('arn:aws:lambda:us-east-1:123456789012:function:Fn:*');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
    expect(resolve(template, { 'Fn::Sub': ['${X}/${AWS::Region}', { X: { Ref: 'Topic' } }] })).toBe(
      'arn:aws:sns:us-east-1:123456789012:Topic/us-east-1',
    );
    expect(resolve(template, { 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] })).toBe('b');
    expect(resolve(template, { Statement: [{ Resource: [{ 'Fn::GetAtt': 'Queue.Arn' }] }] })).toEqual({
      Statement: [{ Resource: ['arn:aws:sqs:us-east-1:123456789012:Queue'] }],
    });
  });

  it('refuses what it does not model instead of guessing', () => {
    expect(() => resolve(template, { 'Fn::ImportValue': 'x' })).toThrow('Fn::ImportValue is not modelled');
    expect(() => getAtt(template, 'Topic', 'Nope')).toThrow('Fn::GetAtt Topic.Nope (AWS::SNS::Topic) is not modelled');
    expect(() => refOf(template, 'Missing')).toThrow('the template has no resource Missing');
  });
});

describe('globMatch', () => {
  it('matches IAM wildcards, actions case-insensitively', () => {
    expect(globMatch('kms:GenerateDataKey*', 'kms:generatedatakey', true)).toBe(true);
    expect(globMatch('arn:aws:logs:r:a:log-group:g:*', 'arn:aws:logs:r:a:log-group:g:log-stream:s')).toBe(true);
    expect(globMatch('arn:aws:lambda:r:a:function:f', 'arn:aws:lambda:r:a:function:f:1')).toBe(false);
    expect(globMatch('a?c', 'abc')).toBe(true);
  });
});

describe('requestsOfCall', () => {
  const logicalOf = (name: string) => `L-${name}`;
  it('authorizes each item of a transaction as its own action on its own table', () => {
    const body = JSON.stringify({
      TransactItems: [
        { Put: { TableName: 'events' } },
        { ConditionCheck: { TableName: 'events' } },
        { Update: { TableName: 'state' } },
      ],
    });
    const out = requestsOfCall(
      { service: 'dynamodb', operation: 'TransactWriteItems', bytes: 0, entryBytes: [], status: 200, body },
      logicalOf,
    );
    expect(out.map((r) => [r.action, r.resource])).toEqual([
      ['dynamodb:PutItem', { logicalId: 'L-events', attribute: 'Arn' }],
      ['dynamodb:ConditionCheckItem', { logicalId: 'L-events', attribute: 'Arn' }],
      ['dynamodb:UpdateItem', { logicalId: 'L-state', attribute: 'Arn' }],
    ]);
  });

  it('names a queue by its URL, a query on an index by the index, and refuses an unmodelled service', () => {
    const call = (service: string, operation: string, body: object) => ({
      service,
      operation,
      bytes: 0,
      entryBytes: [],
      status: 200,
      body: JSON.stringify(body),
    });
    expect(requestsOfCall(call('sqs', 'SendMessage', { QueueUrl: 'http://h/000/dlq' }), logicalOf)).toEqual([
      { action: 'sqs:SendMessage', resource: { logicalId: 'L-dlq', attribute: 'Arn' } },
    ]);
    // A batch send is authorized as sqs:SendMessage: IAM has no sqs:SendMessageBatch action.
    expect(requestsOfCall(call('sqs', 'SendMessageBatch', { QueueUrl: 'http://h/000/q.fifo' }), logicalOf)).toEqual([
      { action: 'sqs:SendMessage', resource: { logicalId: 'L-q.fifo', attribute: 'Arn' } },
    ]);
    expect(requestsOfCall(call('dynamodb', 'Query', { TableName: 't', IndexName: 'byCustomer' }), logicalOf)).toEqual([
      { action: 'dynamodb:Query', resource: { logicalId: 'L-t', attribute: 'Arn', suffix: '/index/byCustomer' } },
    ]);
    expect(() => requestsOfCall(call('s3', 'GetObject', {}), logicalOf)).toThrow(
      'calls to s3 (GetObject) are not modelled',
    );
  });
});
