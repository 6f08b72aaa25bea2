import { type aws_lambda as lambda, type Stack, type aws_sqs as sqs, Validations } from 'aws-cdk-lib';
import type { Saga } from '../../constructs/saga';

/**
 * cdk-nag (AwsSolutions) findings that cannot be fixed, acknowledged on the
 * narrowest construct with the specific finding id and a reason.
 */
export function acknowledgeNagFindings(
  stack: Stack,
  findings: {
    functions: lambda.Function[];
    streamConsumers: lambda.Function[];
    saga: Saga;
    sagaFunctions: lambda.Function[];
    deadLetterQueues: sqs.IQueue[];
  },
): void {
  for (const fn of findings.functions) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is a supported runtime chosen deliberately (bundles target node20 so the same artifact runs on ' +
        "the local engine's node); cdk-nag flags anything older than the newest runtime (nodejs24.x).",
    });
    const streams = findings.streamConsumers.includes(fn);
    Validations.of(fn.role ?? fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions' +
        (streams ? '; dynamodb:ListStreams (DynamoDB event source) supports none either.' : '.'),
    });
  }
  const sagaRole = findings.saga.stateMachine.role;
  Validations.of(sagaRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Step Functions logging (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ' +
      'ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing ' +
      'actions support no resource-level permissions.',
  });
  for (const fn of findings.sagaFunctions) {
    const logicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    Validations.of(sagaRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
      reason: `The saga invokes ${fn.node.id}; the :* suffix covers its versions and aliases (CDK's LambdaInvoke grant).`,
    });
  }
  for (const queue of findings.deadLetterQueues) {
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue IS a dead-letter queue, of an SNS subscription, an EventBridge rule target or a Lambda event ' +
        "source's on-failure destination; the rule only recognises DLQs named in another queue's RedrivePolicy.",
    });
  }
}
