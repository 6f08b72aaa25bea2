import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AlarmTopic } from '../../../lib/monitoring/alarm-topic';
import { testStack } from '../../support/cdk/cdk';

describe('AlarmTopic', () => {
  it('is a topic encrypted with its own rotating key, created beside it as <id>Key and retained by default', () => {
    const { stack } = testStack();
    const topic = new AlarmTopic(stack, 'Alarms');
    expect(topic.key.node.path).toBe('Test/AlarmsKey');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(topic.key.node.defaultChild as never), 'Arn'] },
    });
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, Description: 'Encrypts the alarm topic of Test' },
      DeletionPolicy: 'Retain',
    });
  });

  it('refuses plain-HTTP publishing and lets the removal policy of the key be set', () => {
    const { stack } = testStack();
    new AlarmTopic(stack, 'Alarms', { removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    const statements = policy.Properties.PolicyDocument.Statement as { Effect: string; Condition?: unknown }[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});
