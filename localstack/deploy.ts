/**
 * Deploys the stack to the local engine with the ordinary CDK CLI (bootstrap included).
 * The engine must already be running (see engine.ts; callers run ensureEngine() first).
 *
 *   npx tsx localstack/deploy.ts [deploy|destroy] [--stack <name>] [-c key=value ...]
 *
 * With no options it deploys `OrderFlow` and writes its outputs to .engine/outputs.json. `--stack`
 * deploys another copy of the app's stack beside it (the app reads the name from the `stackName` context),
 * with its outputs in .engine/outputs.<name>.json; `-c` passes more context, e.g.
 * `--stack OrderFlowExpress -c sagaMode=express` (what test/integration/order-saga.test.ts deploys).
 *
 * CDK_LOCAL_APP overrides the app command (`cdk --app …`), otherwise cdk.json decides.
 * DEPLOY_LOCAL_QUIET=1 hides the CDK output unless the command fails.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateArchiveCommand,
  DeleteArchiveCommand,
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import { readStackOutputs, type StackOutputs } from '../lambdas/contracts/stack-outputs';
import { DEFAULT_STACK_NAME, parseStackName, STACK_NAME_CONTEXT_KEY } from '../lib/config/stack-name';
import { command, HELP_OPTION, isMain, parseCommandLine, usageError } from '../scripts/lib/cli';
import { awsEnv, ENGINE_DIR, engineChildEnv, engineClientConfig, health, ROOT } from './engine';

export const STACK = DEFAULT_STACK_NAME;
export const OUTPUTS_FILE = join(ENGINE_DIR, 'outputs.json');

/** Where a stack's outputs go: the default stack's in OUTPUTS_FILE (unchanged), any other's beside it. */
export function outputsFileOf(stackName: string = STACK): string {
  return stackName === STACK ? OUTPUTS_FILE : join(ENGINE_DIR, `outputs.${stackName}.json`);
}
const CDK_OUT = 'cdk.local.out';
const CDK_BIN = join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'cdk.cmd' : 'cdk');
const rel = (p: string) => relative(process.cwd(), p) || '.';

export interface DeployOptions {
  /** Hide the CDK CLI output unless it fails (default: DEPLOY_LOCAL_QUIET=1). */
  quiet?: boolean;
  log?: (line: string) => void;
  /** The stack to deploy or destroy; another name deploys a second copy of the app's stack (default: OrderFlow). */
  stackName?: string;
  /** More CDK context (`-c key=value`), e.g. `{ sagaMode: 'express' }` (default: none). */
  context?: Record<string, string>;
}

/** The CLI arguments that select the stack and its context; nothing extra for the default stack. */
function stackArgs(opts: DeployOptions): { stack: string; args: string[] } {
  const stack = parseStackName(opts.stackName);
  const context = { ...(stack === STACK ? {} : { [STACK_NAME_CONTEXT_KEY]: stack }), ...opts.context };
  return { stack, args: Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]) };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs the CDK CLI against the engine, streaming its output prefixed with `cdk │ `. */
function cdk(args: string[], opts: DeployOptions): Promise<void> {
  const quiet = opts.quiet ?? process.env.DEPLOY_LOCAL_QUIET === '1';
  const app = process.env.CDK_LOCAL_APP;
  const fullArgs = [...args, ...(app ? ['--app', app] : []), '--output', CDK_OUT, '--no-notices'];
  if (!existsSync(CDK_BIN)) throw new Error(`deploy: ${rel(CDK_BIN)} not found; run npm ci`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(CDK_BIN, fullArgs, {
      cwd: ROOT,
      env: engineChildEnv({
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        CDK_DISABLE_VERSION_CHECK: 'true',
        FORCE_COLOR: '0',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const captured: string[] = [];
    let pending = '';
    const onData = (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (quiet) captured.push(line);
        else process.stdout.write(`cdk │ ${line}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending) onData(Buffer.from('\n'));
      if (code === 0) return resolvePromise();
      if (quiet) for (const line of captured.slice(-60)) process.stderr.write(`cdk │ ${line}\n`);
      reject(new Error(`deploy: cdk ${args.join(' ')} failed (exit ${code})`));
    });
  });
}

async function stackExists(cfn: CloudFormationClient, name: string): Promise<boolean> {
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    const status = Stacks?.[0]?.StackStatus ?? '';
    return (
      status !== '' && status !== 'DELETE_COMPLETE' && !status.endsWith('_FAILED') && status !== 'ROLLBACK_COMPLETE'
    );
  } catch (error) {
    if (/does not exist/i.test((error as Error).message)) return false;
    throw error;
  }
}

/** The archive the template would create (used to mirror its settings through the API). */
function templateArchive(stack: string): { RetentionDays?: number; EventPattern?: string; Description?: string } {
  const file = join(ROOT, CDK_OUT, `${stack}.template.json`);
  if (!existsSync(file)) return {};
  const template = JSON.parse(readFileSync(file, 'utf8')) as {
    Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const archive = Object.values(template.Resources ?? {}).find((r) => r.Type === 'AWS::Events::Archive');
  const p = archive?.Properties ?? {};
  return {
    RetentionDays: typeof p.RetentionDays === 'number' ? p.RetentionDays : undefined,
    EventPattern: p.EventPattern && typeof p.EventPattern === 'object' ? JSON.stringify(p.EventPattern) : undefined,
    Description: typeof p.Description === 'string' ? p.Description : undefined,
  };
}

/**
 * MiniStack 1.5.33 has no CloudFormation provisioner for AWS::Events::Archive, so the stack is deployed
 * with CreateEventArchive=false and the archive is created here through the EventBridge API instead.
 */
async function ensureArchive(stack: string, outputs: StackOutputs, log: (line: string) => void): Promise<void> {
  const busName = outputs.EventBusName;
  const archiveName = outputs.EventArchiveName;
  const eb = new EventBridgeClient(engineClientConfig());
  try {
    await eb.send(new DescribeArchiveCommand({ ArchiveName: archiveName }));
    return; // already there
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  const { Arn } = await eb.send(new DescribeEventBusCommand({ Name: busName }));
  const fromTemplate = templateArchive(stack);
  await eb.send(
    new CreateArchiveCommand({
      ArchiveName: archiveName,
      EventSourceArn: Arn,
      RetentionDays: fromTemplate.RetentionDays ?? 30,
      ...(fromTemplate.EventPattern ? { EventPattern: fromTemplate.EventPattern } : {}),
      ...(fromTemplate.Description ? { Description: fromTemplate.Description } : {}),
    }),
  );
  log(`deploy: created event archive ${archiveName} on ${busName} through the API (engine gap)`);
}

/** Bootstraps (once) and deploys the stack to the engine; returns the stack outputs. */
export async function deployLocal(opts: DeployOptions = {}): Promise<StackOutputs> {
  const log = opts.log ?? console.log;
  const env = awsEnv();
  if (!(await health(env.AWS_ENDPOINT_URL))) {
    throw new Error(`deploy: no engine answers at ${env.AWS_ENDPOINT_URL}; run npm run engine:up first`);
  }
  mkdirSync(ENGINE_DIR, { recursive: true });
  const cfn = new CloudFormationClient(engineClientConfig());

  let t = Date.now();
  if (await stackExists(cfn, 'CDKToolkit')) {
    log(`deploy: CDKToolkit already bootstrapped on ${env.AWS_ENDPOINT_URL}`);
  } else {
    log(
      `deploy: bootstrapping aws://${env.CDK_DEFAULT_ACCOUNT}/${env.CDK_DEFAULT_REGION} on ${env.AWS_ENDPOINT_URL} …`,
    );
    await cdk(['bootstrap', `aws://${env.CDK_DEFAULT_ACCOUNT}/${env.CDK_DEFAULT_REGION}`, '-c', 'stage=local'], opts);
  }
  const bootstrapMs = Date.now() - t;

  t = Date.now();
  const { stack, args: contextArgs } = stackArgs(opts);
  const outputsFile = outputsFileOf(stack);
  log(
    `deploy: deploying ${stack}${contextArgs.length ? ` (${contextArgs.join(' ')})` : ''} to ${env.AWS_ENDPOINT_URL} …`,
  );
  rmSync(outputsFile, { force: true });
  await cdk(
    [
      'deploy',
      stack,
      '--require-approval',
      'never',
      '-c',
      'stage=local',
      ...contextArgs,
      '--parameters',
      'CreateEventArchive=false',
      '--outputs-file',
      outputsFile,
    ],
    opts,
  );
  const deployMs = Date.now() - t;

  const outputs = readOutputs(stack);
  t = Date.now();
  await ensureArchive(stack, outputs, log);
  const archiveMs = Date.now() - t;
  log(`deploy: bootstrap ${seconds(bootstrapMs)}, deploy ${seconds(deployMs)}, archive ${seconds(archiveMs)}`);
  return outputs;
}

/**
 * A stack's outputs (OrderFlow unless named) written by the last deployLocal() of that stack, checked
 * against the contract (lambdas/contracts/stack-outputs.ts): an output missing from the file fails here, named.
 */
export function readOutputs(stackName: string = STACK): StackOutputs {
  const file = outputsFileOf(stackName);
  const command = stackName === STACK ? 'npm run deploy:local' : `npm run deploy:local -- --stack ${stackName}`;
  if (!existsSync(file)) {
    throw new Error(`deploy: ${rel(file)} not found; run ${command} first`);
  }
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  const outputs = all[stackName];
  if (!outputs) throw new Error(`deploy: ${rel(file)} has no ${stackName} outputs; run ${command} first`);
  return readStackOutputs(outputs, `${rel(file)} (stack ${stackName}; run ${command} to refresh it)`);
}

/** Destroys the stack on the engine (and the archive deployLocal() created outside CloudFormation). */
export async function destroyLocal(opts: DeployOptions = {}): Promise<void> {
  const log = opts.log ?? console.log;
  const t = Date.now();
  const { stack, args: contextArgs } = stackArgs(opts);
  const outputsFile = outputsFileOf(stack);
  if (existsSync(outputsFile)) {
    const archiveName = (() => {
      try {
        return readOutputs(stack).EventArchiveName;
      } catch {
        return undefined;
      }
    })();
    if (archiveName) {
      try {
        await new EventBridgeClient(engineClientConfig()).send(new DeleteArchiveCommand({ ArchiveName: archiveName }));
        log(`deploy: deleted event archive ${archiveName}`);
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      }
    }
  }
  await cdk(['destroy', stack, '--force', '-c', 'stage=local', ...contextArgs], opts);
  rmSync(outputsFile, { force: true });
  log(`deploy: destroyed ${stack} in ${seconds(Date.now() - t)}`);
}

export const CLI = command({
  name: 'deploy',
  helpCommand: 'npm run deploy:local -- --help',
  usage: `usage: npm run deploy:local | destroy:local [-- --stack NAME] [-c key=value ...]
       npx tsx localstack/deploy.ts [deploy|destroy] [--stack NAME] [-c key=value ...]   (default deploy)

Deploys the stack to (or destroys it on) the local engine on AWS_ENDPOINT_URL (default
http://127.0.0.1:4566) with the ordinary CDK CLI, bootstrap included; the engine must be running
(npm run engine:up). deploy prints the stack's outputs. Exit code 0 on success, 1 when the CDK CLI
fails, 2 for bad arguments.

options
  --stack NAME           another copy of the app's stack beside the default (default ${STACK})
  -c, --context K=V      more CDK context, repeatable, e.g. -c sagaMode=express
  -h, --help             this text
environment
  CDK_LOCAL_APP          overrides the app command (cdk --app …); otherwise cdk.json decides
  DEPLOY_LOCAL_QUIET=1   hides the CDK output unless the command fails

what it writes
  the stack on the engine; cdk.local.out/; the outputs in .engine/outputs.json (other stacks:
  .engine/outputs.<name>.json), removed again by destroy`,
  config: {
    allowPositionals: true,
    options: {
      stack: { type: 'string' },
      context: { type: 'string', short: 'c', multiple: true },
      help: HELP_OPTION,
    },
  },
});

async function main(argv: string[]) {
  // Node 20 is supported by this project; the SDK's "Node 22 from 2027" notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const args = parseCommandLine(CLI, argv);
  if (!args) return;
  const { values, positionals } = args;
  const cmd = positionals[0] ?? 'deploy';
  if (!['deploy', 'destroy'].includes(cmd) || positionals.length > 1) {
    usageError(CLI, `give deploy or destroy, got ${positionals.join(' ')}`);
    return;
  }
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) {
      usageError(CLI, `-c expects key=value, got "${pair}"`);
      return;
    }
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const options: DeployOptions = { ...(values.stack ? { stackName: values.stack } : {}), context };
  if (cmd === 'deploy') {
    const outputs = await deployLocal(options);
    console.log(JSON.stringify(outputs, null, 2));
  } else {
    await destroyLocal(options);
  }
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
