/**
 * The SNS filter policy of a fan-out subscription, as the stack puts it in the template: the policy the stack
 * builds from the consumer-queue table's body filter (lib/stacks/order-flow/settings.ts `bodyFilterPolicy`),
 * rendered by CDK's own `sns.Subscription` into its CloudFormation `FilterPolicy` property. Rendered rather than
 * re-spelled, so the AsyncAPI document shows exactly the policy SNS is given.
 */
import { App, Stack, aws_sns as sns } from 'aws-cdk-lib';
import type { BodyFilter } from '../../../lambdas/contracts/channels';
import { bodyFilterPolicy } from '../../../lib/stacks/order-flow/settings';

/** The `FilterPolicy` (scope `MessageBody`) of a subscription with this body filter. */
export function renderedFilterPolicy(filter: BodyFilter): Record<string, unknown> {
  const stack = new Stack(new App(), 'FilterPolicy');
  const subscription = new sns.Subscription(stack, 'Subscription', {
    topic: new sns.Topic(stack, 'Topic'),
    protocol: sns.SubscriptionProtocol.SQS,
    endpoint: 'arn:aws:sqs:us-east-1:111111111111:queue',
    filterPolicyWithMessageBody: bodyFilterPolicy(filter),
  });
  const cfn = subscription.node.defaultChild as sns.CfnSubscription;
  if (cfn.filterPolicyScope !== 'MessageBody' || !cfn.filterPolicy) {
    throw new Error(`CDK rendered no message-body filter policy for ${JSON.stringify(filter)}`);
  }
  return stack.resolve(cfn.filterPolicy) as Record<string, unknown>;
}
