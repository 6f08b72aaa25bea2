import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readOutputs, STACK } from '../../../localstack/deploy';
import { awsEnv } from '../../../localstack/engine';

/** Where the DLQ tool works: its SQS client, the stack's outputs, and a line saying which account that is. */
export interface Target {
  sqs: SQSClient;
  outputs: Record<string, string>;
  where: string;
}

/**
 * With AWS_ENDPOINT_URL set: the local engine, with the engine's forced dummy
 * credentials (awsEnv()) and the outputs of the last local deploy
 * (readOutputs(), .engine/outputs.json). Without it: real AWS, with the SDK's
 * default credential chain and region, and the outputs from CloudFormation
 * DescribeStacks of `stack`.
 */
export async function resolveTarget(stack = STACK, env: NodeJS.ProcessEnv = process.env): Promise<Target> {
  if (env.AWS_ENDPOINT_URL) {
    const local = awsEnv();
    const sqs = new SQSClient({
      endpoint: local.AWS_ENDPOINT_URL,
      region: local.AWS_REGION,
      credentials: { accessKeyId: local.AWS_ACCESS_KEY_ID, secretAccessKey: local.AWS_SECRET_ACCESS_KEY },
    });
    if (stack !== STACK) throw new Error(`Locally only the ${STACK} stack of the last local deploy is known`);
    return { sqs, outputs: readOutputs(), where: `local engine ${local.AWS_ENDPOINT_URL}, stack ${STACK}` };
  }
  const cfn = new CloudFormationClient({});
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
  const outputs: Record<string, string> = {};
  for (const o of Stacks?.[0]?.Outputs ?? []) if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
  if (Object.keys(outputs).length === 0) throw new Error(`Stack ${stack} has no outputs; is it deployed?`);
  const region = await cfn.config.region();
  return { sqs: new SQSClient({}), outputs, where: `AWS ${region}, stack ${stack}` };
}
