import { aws_iam as iam, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SagaMode } from '../../../lib/config/saga-mode';
import type { Stage } from '../../../lib/stacks/order-flow-stack';
import { resourcesOf, type TemplateJson, testStack } from '../../support/cdk/cdk';
import { synthOrderFlow } from '../../support/cdk/order-flow';
import { encryptionFindings, serviceGrantFindings, wildcardActionFindings } from '../../support/cdk/security-checks';

/**
 * Issue 6's security invariants, asserted over the whole template of every
 * variant of the stack: each check walks every resource of its types (see
 * support/security-checks.ts), so a resource added later is checked too.
 */
describe.each<{ stage: Stage; sagaMode: SagaMode }>([
  { stage: 'aws', sagaMode: 'standard' },
  { stage: 'aws', sagaMode: 'express' },
  { stage: 'local', sagaMode: 'standard' },
  { stage: 'local', sagaMode: 'express' },
])('OrderFlowStack security ($stage stage, $sagaMode saga)', ({ stage, sagaMode }) => {
  let json: TemplateJson;

  beforeAll(() => {
    // No bundling: the checks read policies, not code, and four variants bundle 40 functions otherwise.
    ({ json } = synthOrderFlow(stage, { sagaMode }));
    const machine = resourcesOf(json, 'AWS::StepFunctions::StateMachine')[0][1];
    expect(machine.Properties.StateMachineType).toBe(sagaMode === 'express' ? 'EXPRESS' : 'STANDARD');
  });

  it('grants no wildcard action in any IAM policy (none acknowledged either)', () => {
    expect(resourcesOf(json, 'AWS::IAM::Policy').length).toBeGreaterThan(10);
    expect(wildcardActionFindings(json)).toEqual([]);
  });

  it('encrypts every queue, topic and table, and denies non-TLS access to every queue and topic', () => {
    expect(resourcesOf(json, 'AWS::SQS::Queue').length).toBeGreaterThan(10);
    expect(resourcesOf(json, 'AWS::SNS::Topic')).toHaveLength(2);
    expect(resourcesOf(json, 'AWS::DynamoDB::Table')).toHaveLength(7);
    expect(encryptionFindings(json)).toEqual([]);
  });

  it('grants a service principal on a resource policy only with an aws:SourceArn condition', () => {
    // The SNS subscriptions' and rule targets' queue policies and the alarm topic's key and topic policy grant services.
    const statements = [
      ...resourcesOf(json, 'AWS::SQS::QueuePolicy'),
      ...resourcesOf(json, 'AWS::SNS::TopicPolicy'),
    ].flatMap(
      ([, p]) => (p.Properties.PolicyDocument as { Statement: { Principal?: { Service?: unknown } }[] }).Statement,
    );
    expect(statements.filter((s) => s.Principal?.Service).length).toBeGreaterThan(5);
    expect(serviceGrantFindings(json)).toEqual([]);
  });
});

describe('security checks on hand-built templates (each check can fail)', () => {
  const template = (resources: Record<string, { Type: string; Properties: Record<string, unknown> }>) =>
    ({ Resources: resources }) as TemplateJson;
  const allow = (action: unknown, extra: Record<string, unknown> = {}) => ({
    Effect: 'Allow',
    Action: action,
    Resource: '*',
    ...extra,
  });
  const policy = (...statements: unknown[]) => ({
    Type: 'AWS::IAM::Policy',
    Properties: { PolicyDocument: { Version: '2012-10-17', Statement: statements } },
  });

  it('reports a wildcard action in a policy, a managed policy and a role inline policy, naming the resource and statement', () => {
    const findings = wildcardActionFindings(
      template({
        Wide: policy(allow(['s3:GetObject', 's3:Get*'])),
        Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Statement: [allow('*')] } } },
        Inline: {
          Type: 'AWS::IAM::Role',
          Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: allow('kms:GenerateDataKey*') } }] },
        },
        Everything: policy(allow(undefined, { NotAction: 'iam:*' })),
        Narrow: policy(allow(['sqs:SendMessage']), { Effect: 'Deny', Action: 'sqs:*', Resource: '*' }),
      }),
    );
    expect(findings).toEqual([
      'Wide (AWS::IAM::Policy): {"Effect":"Allow","Action":["s3:GetObject","s3:Get*"],"Resource":"*"}: ' +
        'wildcard action s3:Get* without an AwsSolutions-IAM5[Action::s3:Get*] acknowledgement and reason',
      'Everything (AWS::IAM::Policy): {"Effect":"Allow","Resource":"*","NotAction":"iam:*"}: Allow with NotAction',
      'Managed (AWS::IAM::ManagedPolicy): {"Effect":"Allow","Action":"*","Resource":"*"}: ' +
        'wildcard action * without an AwsSolutions-IAM5[Action::*] acknowledgement and reason',
      'Inline (AWS::IAM::Role): {"Effect":"Allow","Action":"kms:GenerateDataKey*","Resource":"*"}: ' +
        'wildcard action kms:GenerateDataKey* without an AwsSolutions-IAM5[Action::kms:GenerateDataKey*] acknowledgement and reason',
    ]);
  });

  it('accepts a wildcard action only with the cdk-nag acknowledgement of exactly that finding and a reason', () => {
    const withMetadata = (rules: { id: string; reason: string }[]) => ({
      Resources: { Wide: { ...policy(allow('s3:Get*')), Metadata: { cdk_nag: { rules_to_suppress: rules } } } },
    });
    expect(
      wildcardActionFindings(withMetadata([{ id: 'AwsSolutions-IAM5[Action::s3:Get*]', reason: 'Reads any object' }])),
    ).toEqual([]);
    // A reasonless acknowledgement, or one for another finding, does not count.
    expect(
      wildcardActionFindings(withMetadata([{ id: 'AwsSolutions-IAM5[Action::s3:Get*]', reason: ' ' }])),
    ).toHaveLength(1);
    expect(
      wildcardActionFindings(withMetadata([{ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray' }])),
    ).toHaveLength(1);
  });

  it('reads the acknowledgement that Validations.of(...).acknowledge records on a construct', () => {
    const synth = (acknowledge: boolean) => {
      const { app, stack } = testStack();
      const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:Get*'], resources: ['arn:aws:s3:::bucket/*'] }));
      if (acknowledge) {
        Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Action::s3:Get*]', reason: 'Reads every version' });
      }
      new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true });
      return Template.fromStack(stack).toJSON() as TemplateJson;
    };
    expect(wildcardActionFindings(synth(false))).toEqual([
      expect.stringMatching(/^ReaderDefaultPolicy[0-9A-F]{8} \(AWS::IAM::Policy\): .*wildcard action s3:Get\* without/),
    ]);
    expect(wildcardActionFindings(synth(true))).toEqual([]);
  });

  it('reports an unencrypted queue, topic and table, and a queue or topic without a TLS-only policy', () => {
    const denyInsecure = {
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    };
    const findings = encryptionFindings(
      template({
        Plain: { Type: 'AWS::SQS::Queue', Properties: {} },
        Safe: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } },
        SafePolicy: {
          Type: 'AWS::SQS::QueuePolicy',
          Properties: { Queues: [{ Ref: 'Safe' }], PolicyDocument: { Statement: [denyInsecure] } },
        },
        Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
        Table: { Type: 'AWS::DynamoDB::Table', Properties: { SSESpecification: { SSEEnabled: false } } },
        Global: { Type: 'AWS::DynamoDB::GlobalTable', Properties: {} },
      }),
    );
    expect(findings).toEqual([
      'Plain (AWS::SQS::Queue): not encrypted (neither SqsManagedSseEnabled nor KmsMasterKeyId)',
      'Plain (AWS::SQS::Queue): no queue policy denies aws:SecureTransport false',
      'Topic (AWS::SNS::Topic): not encrypted (no KmsMasterKeyId)',
      'Topic (AWS::SNS::Topic): no topic policy denies aws:SecureTransport false',
      'Table (AWS::DynamoDB::Table): SSESpecification.SSEEnabled is not true',
      'Global (AWS::DynamoDB::GlobalTable): SSESpecification.SSEEnabled is not true',
    ]);
  });

  it('reports a service principal granted without aws:SourceArn on each kind of resource policy', () => {
    const grant = (condition?: Record<string, unknown>) => ({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: '*',
      ...(condition ? { Condition: condition } : {}),
    });
    const bare = grant();
    const accountOnly = grant({ StringEquals: { 'aws:SourceAccount': '111122223333' } });
    const ifExists = grant({ ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/*' } });
    const scoped = grant({ ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['Rule', 'Arn'] } } });
    const findings = serviceGrantFindings(
      template({
        Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: [bare, scoped] } } },
        TopicPolicy: { Type: 'AWS::SNS::TopicPolicy', Properties: { PolicyDocument: { Statement: [accountOnly] } } },
        QueuePolicy: { Type: 'AWS::SQS::QueuePolicy', Properties: { PolicyDocument: { Statement: [ifExists] } } },
        BusPolicy: { Type: 'AWS::Events::EventBusPolicy', Properties: { Statement: bare } },
        // A Logs resource policy is a JSON string, often joined with intrinsics.
        LogsPolicy: {
          Type: 'AWS::Logs::ResourcePolicy',
          Properties: {
            PolicyDocument: { 'Fn::Join': ['', [`{"Statement":[${JSON.stringify(bare)}],"Id":"`, { Ref: 'X' }, '"}']] },
          },
        },
        Invoke: {
          Type: 'AWS::Lambda::Permission',
          Properties: { Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', FunctionName: 'f' },
        },
        ScopedInvoke: {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            Action: 'lambda:InvokeFunction',
            Principal: 's3.amazonaws.com',
            FunctionName: 'f',
            SourceArn: 'arn:aws:s3:::b',
          },
        },
      }),
    );
    const grants = 'grants events.amazonaws.com without an aws:SourceArn condition';
    expect(findings).toEqual([
      `QueuePolicy (AWS::SQS::QueuePolicy): ${JSON.stringify(ifExists)}: ${grants}`,
      `TopicPolicy (AWS::SNS::TopicPolicy): ${JSON.stringify(accountOnly)}: ${grants}`,
      `Key (AWS::KMS::Key): ${JSON.stringify(bare)}: ${grants}`,
      `LogsPolicy (AWS::Logs::ResourcePolicy): ${JSON.stringify(bare)}: ${grants}`,
      `BusPolicy (AWS::Events::EventBusPolicy): ${JSON.stringify(bare)}: ${grants}`,
      'Invoke (AWS::Lambda::Permission): grants s3.amazonaws.com "lambda:InvokeFunction" without a SourceArn',
    ]);
  });
});
