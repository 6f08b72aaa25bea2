/**
 * Finds what the operations view watches, on the local engine or in AWS, with
 * the same SDK calls in both places.
 */
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readStackOutputs, type StackOutputs } from '../../../lambdas/contracts/stack-outputs';
import { readOutputs, STACK } from '../../../localstack/deploy';
import { awsEnv, engineClientConfig } from '../../../localstack/engine';
import { cloudFormationOutputs, type Target } from '../target';
import type { CollectorClients, OpsTarget, QueueRef } from './state';

export interface OpsConnection {
  clients: CollectorClients;
  target: OpsTarget;
}

/** An SQS queue URL: `<scheme>://<host>/<12-digit account>/<queue name>`. */
const QUEUE_URL = /^https?:\/\/[^/]+\/\d{12}\/[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
/** CDK logical ids end in an 8-character hash of the construct path. */
const LOGICAL_ID_HASH = /[0-9A-F]{8}$/;
/** Names that say a queue holds what failed elsewhere (queue DLQs, subscription DLQs, stream failure queues). */
const DLQ_NAME = /dlq|dead-?letter|failure/i;

/**
 * `local` (the default of every operator command, see scripts/lib/target.ts):
 * the engine on AWS_ENDPOINT_URL or 127.0.0.1:4566, addressed with its forced
 * dummy credentials (awsEnv()), and the outputs of the last local deploy
 * (readOutputs(), .engine/outputs.json). `aws`: the SDK's default credential
 * chain and region, and the outputs of CloudFormation DescribeStacks of `stack`.
 * (Its own clients rather than connectTarget()'s: the view wants short
 * timeouts and few retries.)
 *
 * The queues are the stack's queue outputs plus every other AWS::SQS::Queue of
 * the stack (ListStackResources), so a DLQ without an output is still shown.
 */
export async function connectOps(kind: Target = 'local', stack = STACK): Promise<OpsConnection> {
  // A view that hangs on a dead endpoint is worse than one that says so: few retries, short timeouts.
  const base = { maxAttempts: 2, requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 } };
  const local = kind === 'local' ? awsEnv() : undefined;
  const config = local ? { ...base, ...engineClientConfig(local) } : base;
  const cfn = new CloudFormationClient(config);

  let outputs: StackOutputs;
  let where: string;
  if (local) {
    if (stack !== STACK) throw new Error(`--stack: locally only the ${STACK} stack of the last local deploy is known`);
    outputs = readOutputs();
    where = `local engine ${local.AWS_ENDPOINT_URL}, stack ${stack}`;
  } else {
    outputs = readStackOutputs(await cloudFormationOutputs(cfn, stack), `CloudFormation stack ${stack}`);
    where = `AWS ${await cfn.config.region()}, stack ${stack}`;
  }

  const stateMachineArn = outputs.StateMachineArn;
  const notes: string[] = [];
  let resources: { logicalId: string; url: string }[] = [];
  try {
    resources = await stackQueues(cfn, stack);
  } catch (error) {
    notes.push(
      `Only the queues in the stack outputs are shown: ListStackResources failed: ${(error as Error).message}`,
    );
  }
  return {
    clients: { sqs: new SQSClient(config), sfn: new SFNClient(config), cloudWatch: new CloudWatchClient(config) },
    target: { where, stateMachineArn, queues: queueRefs(outputs, resources), notes },
  };
}

async function stackQueues(cfn: CloudFormationClient, stack: string): Promise<{ logicalId: string; url: string }[]> {
  const queues: { logicalId: string; url: string }[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stack })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType === 'AWS::SQS::Queue' && r.LogicalResourceId && r.PhysicalResourceId) {
        queues.push({ logicalId: r.LogicalResourceId, url: r.PhysicalResourceId });
      }
    }
  }
  return queues;
}

/**
 * The queues to watch: every output whose value is a queue URL (labelled by the
 * output key without `Url`), then every stack queue no output names (labelled by
 * its logical id without the hash). Queues are matched by name, not URL, because
 * an engine may spell the host differently in the two places.
 */
export function queueRefs(
  outputs: Readonly<Record<string, string | undefined>>,
  resources: { logicalId: string; url: string }[],
): QueueRef[] {
  const refs = new Map<string, QueueRef>();
  const add = (label: string, url: string) => {
    const name = url.split('/').pop()!;
    if (!refs.has(name)) refs.set(name, { label, url, role: DLQ_NAME.test(label) ? 'dlq' : 'queue' });
  };
  for (const [key, value] of Object.entries(outputs))
    if (value && QUEUE_URL.test(value)) add(key.replace(/Url$/, ''), value);
  for (const { logicalId, url } of resources) add(logicalId.replace(LOGICAL_ID_HASH, ''), url);
  return [...refs.values()];
}
