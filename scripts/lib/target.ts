import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { readStackOutputs } from '../../lambdas/contracts/stack-outputs';
import { readOutputs, STACK } from '../../localstack/deploy';
import { awsEnv, health } from '../../localstack/engine';
import { connect, type System } from './order-system';

// Node 20 is what these machines run; the SDK's notice that it wants Node 22 from 2027 is noise in operator output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Where an operator command runs. */
export type Target = 'local' | 'aws';

/**
 * Connects an operator command to the deployed system:
 * - `local` (the default): the engine on AWS_ENDPOINT_URL (or 127.0.0.1:4566)
 *   with the outputs of the last `npm run deploy:local` of `stack`; the engine must be up.
 * - `aws`: the caller's own AWS credentials and region (the SDK's default
 *   chain), and the outputs of the CloudFormation stack `stack`.
 */
export async function connectTarget(target: Target, stack = STACK): Promise<{ sys: System; where: string }> {
  if (target === 'local') {
    const env = awsEnv();
    if (!(await health(env.AWS_ENDPOINT_URL))) {
      throw new Error(
        `No local engine answers on ${env.AWS_ENDPOINT_URL}. Start it and deploy first: npm run engine:up && npm run deploy:local`,
      );
    }
    return { sys: connect(readOutputs(stack), env), where: `local engine ${env.AWS_ENDPOINT_URL}, stack ${stack}` };
  }
  const cloudFormation = new CloudFormationClient({});
  const outputs = readStackOutputs(await cloudFormationOutputs(cloudFormation, stack), `CloudFormation stack ${stack}`);
  const region = await cloudFormation.config.region();
  return { sys: connect(outputs, { AWS_REGION: region }), where: `AWS stack ${stack} in ${region}` };
}

/** The outputs of a deployed CloudFormation stack, or a clear error when it cannot be read or has none. */
export async function cloudFormationOutputs(cfn: CloudFormationClient, stack: string): Promise<Record<string, string>> {
  const described = await cfn.send(new DescribeStacksCommand({ StackName: stack })).catch((error) => {
    throw new Error(`Cannot read stack ${stack} (${(error as Error).message}); check credentials and region`);
  });
  const outputs: Record<string, string> = {};
  for (const o of described.Stacks?.[0]?.Outputs ?? [])
    if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
  if (Object.keys(outputs).length === 0) throw new Error(`Stack ${stack} has no outputs; is it deployed?`);
  return outputs;
}

/** Parses `--target local|aws`, refusing anything else. */
export function parseTarget(value: string | undefined): Target {
  if (value === undefined || value === 'local') return 'local';
  if (value === 'aws') return 'aws';
  throw new Error(`--target must be local or aws, got "${value}"`);
}

/** The `--target` and `--stack` options of every operator command that runs locally or on AWS. */
export const TARGET_OPTIONS = { target: { type: 'string' }, stack: { type: 'string' } } as const;

/** Their `--help` lines, the same in every such command. */
export const TARGET_USAGE = `  --target T     where it runs (default local):
                 local: the engine on AWS_ENDPOINT_URL (default http://127.0.0.1:4566) with the outputs
                 of the last \`npm run deploy:local\` of the stack; the engine must be up
                 aws: your default AWS credentials and region (AWS_PROFILE, AWS_REGION, …) and the
                 outputs of the deployed CloudFormation stack (DescribeStacks)
  --stack NAME   the stack (default ${STACK})`;
