/**
 * Live operations view (`npm run ops`): a local web page with every queue and
 * DLQ of the stack and the saga's recent executions, refreshed every few seconds.
 *
 *   npm run ops                          # http://127.0.0.1:8787/
 *   npm run ops -- --port 0 --open       # any free port, open the system browser
 *
 * With AWS_ENDPOINT_URL set it watches the local engine (outputs of the last local
 * deploy); without it, real AWS with your default credentials and region (outputs
 * of the OrderFlow stack). It only reads. Ctrl-C stops it.
 */
import { spawn } from 'node:child_process';
import { STACK } from '../localstack/deploy';
import { command, HELP_OPTION, isMain, parseCommandLine, usageError } from './lib/cli';
import { startOpsServer } from './lib/ops/server';
import { createStateCollector } from './lib/ops/state';
import { connectOps } from './lib/ops/target';
import { parseTarget } from './lib/target';

export const CLI = command({
  name: 'ops',
  helpCommand: 'npm run ops -- --help',
  usage: `usage: npm run ops -- [--port N] [--open] [--executions N] [--target local|aws] [--stack NAME]

The live operations view: a web page on 127.0.0.1 with every queue and DLQ of the stack (messages
waiting and in flight) and the saga's recent executions, refreshed every few
seconds. Runs until Ctrl-C. Exit code 2 for bad arguments, 1 when the stack cannot be read.

options
  --port N         port on 127.0.0.1 (default 8787; 0 = any free port)
  --open           open the page in the system browser (xdg-open) if there is one
  --executions N   how many of the newest saga executions to show and count (default 50, at most 1000)
  --target T       local (default: the engine on AWS_ENDPOINT_URL or 127.0.0.1:4566, outputs of the last
                   \`npm run deploy:local\`) or aws (your default credentials and region, outputs of the
                   deployed CloudFormation stack)
  --stack NAME     the stack to watch on AWS (default ${STACK}; locally always ${STACK})
  -h, --help       this text

what it writes
  nothing: it only reads (queue attributes, ListExecutions, DescribeStacks); the page is served
  on 127.0.0.1 only`,
  config: {
    options: {
      port: { type: 'string', default: '8787' },
      open: { type: 'boolean', default: false },
      executions: { type: 'string', default: '50' },
      target: { type: 'string' },
      stack: { type: 'string', default: STACK },
      help: HELP_OPTION,
    },
  },
});

/** The parsed options, or undefined when parseCommandLine has answered (help or bad arguments). */
function options(argv: string[]) {
  const args = parseCommandLine(CLI, argv);
  if (!args) return undefined;
  const { values } = args;
  const integer = (flag: string, raw: string, min: number, max: number) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      throw new Error(`--${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  return {
    port: integer('port', values.port, 0, 65535),
    open: values.open,
    executions: integer('executions', values.executions, 1, 1000),
    target: parseTarget(values.target),
    stack: values.stack,
  };
}

/** Best effort: xdg-open where it exists (macOS: open); otherwise the printed URL is enough. */
function openBrowser(url: string) {
  const command = process.platform === 'darwin' ? 'open' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => console.log(`ops: no ${command} here; open ${url} in a browser`));
  child.on('exit', (code) => {
    if (code !== 0) console.log(`ops: ${command} could not open a browser (exit ${code}); open ${url} yourself`);
  });
  child.unref();
  console.log(`ops: asked ${command} to open ${url}`);
}

async function main() {
  let opts: ReturnType<typeof options>;
  try {
    opts = options(process.argv.slice(2));
  } catch (error) {
    usageError(CLI, (error as Error).message);
    return;
  }
  if (!opts) return;
  // The SDK's notice that it wants Node 22 from 2027 would sit in the middle of the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  console.log(`ops: finding the ${opts.stack} stack's queues and state machine …`);
  const { clients, target } = await connectOps(opts.target, opts.stack);
  const dlqs = target.queues.filter((q) => q.role === 'dlq').length;
  console.log(
    `ops: ${target.where}: ${target.queues.length} queues (${dlqs} named as DLQs), saga ${target.stateMachineArn}`,
  );
  for (const note of target.notes) console.log(`ops: note: ${note}`);

  const collect = createStateCollector(clients, target, { executionLimit: opts.executions });
  const server = await startOpsServer({ port: opts.port, collect });
  console.log(`ops: live view at ${server.url} (Ctrl-C stops it)`);
  if (opts.open) openBrowser(server.url);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`ops: ${signal} again; exiting now`);
      process.exit(130);
    }
    stopping = true;
    console.log(`ops: ${signal}: stopping …`);
    server.close().then(
      () => console.log('ops: stopped'),
      (error) => {
        console.error(`ops: stopping failed: ${(error as Error).message}`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(`ops: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
