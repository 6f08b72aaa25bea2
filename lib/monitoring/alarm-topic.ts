import { ArnFormat, aws_iam as iam, aws_kms as kms, RemovalPolicy, Stack, aws_sns as sns } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** Properties of an {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /**
   * Removal policy of the topic's KMS key.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The SNS topic CloudWatch alarms notify: encrypted with its own rotating KMS key, TLS only, and publishable by
 * CloudWatch on behalf of an alarm of this account and region only (the same condition on the key and on the
 * topic, against the confused deputy).
 *
 * The key is created beside the topic as `<id>Key`, not inside it, so that the topic and the key keep the
 * logical ids they had when the dashboard construct created them itself: a KMS key under a new logical id
 * would be a new key (CloudFormation creates the new resource and deletes the old one,
 * https://docs.aws.amazon.com/cdk/v2/guide/refactor.html), and with RETAIN the old one would stay behind.
 *
 * @example
 * const topic = new AlarmTopic(this, 'AlarmTopic');
 * alarm.addAlarmAction(new actions.SnsAction(topic));
 */
export class AlarmTopic extends sns.Topic {
  /** The key that encrypts the topic. */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    const key = new kms.Key(scope, `${id}Key`, {
      description: `Encrypts the alarm topic of ${scope.node.path}`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    super(scope, id, { masterKey: key, enforceSSL: true });
    this.key = key;

    const stack = Stack.of(this);
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        // What SNS's key-management guide asks for an AWS service publishing to an encrypted topic:
        // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );
  }
}
