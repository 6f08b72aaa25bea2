import { aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FanoutTopic } from '../../../lib/constructs/fanout-topic';
import { testStack } from '../../support/cdk/cdk';

describe('FanoutTopic', () => {
  let template: Template;

  beforeAll(() => {
    const { stack } = testStack();
    const fanout = new FanoutTopic(stack, 'Fanout');
    fanout.subscribeQueue('All', new sqs.Queue(stack, 'AllQueue'));
    fanout.subscribeQueue('Big', new sqs.Queue(stack, 'BigQueue'), {
      rawMessageDelivery: true,
      filterPolicyWithMessageBody: {
        total: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.numericFilter({ greaterThanOrEqualTo: 100 })),
      },
    });
    template = Template.fromStack(stack);
  });

  it('encrypts the topic with a rotating customer key whose policy names no service (publishers are granted through IAM)', () => {
    const keyId = template.getResourceId('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const keyPolicy = template.toJSON().Resources[keyId].Properties.KeyPolicy as { Statement: { Principal: object }[] };
    expect(keyPolicy.Statement.map((s) => Object.keys(s.Principal))).toEqual([['AWS']]);
  });

  it('denies publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('gives every subscription its own encrypted, TLS-only DLQ', () => {
    const subscriptions = template.findResources('AWS::SNS::Subscription');
    expect(Object.keys(subscriptions)).toHaveLength(2);
    for (const subscription of Object.values(subscriptions)) {
      const dlqId = subscription.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
      expect(template.toJSON().Resources[dlqId].Properties).toMatchObject({ SqsManagedSseEnabled: true });
    }
  });

  it('filters on the message body and delivers raw when asked', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { total: [{ numeric: ['>=', 100] }] },
      RawMessageDelivery: true,
    });
  });

  it('refuses an attribute filter together with a body filter', () => {
    const { stack } = testStack();
    const fanout = new FanoutTopic(stack, 'Fanout');
    expect(() =>
      fanout.subscribeQueue('Both', new sqs.Queue(stack, 'Q'), {
        filterPolicy: { type: sns.SubscriptionFilter.stringFilter({ allowlist: ['x'] }) },
        filterPolicyWithMessageBody: { type: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.existsFilter()) },
      }),
    ).toThrow(/a subscription filters on attributes or on the body, not both/);
  });
});
