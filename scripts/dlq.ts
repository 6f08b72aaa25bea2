/**
 * The DLQ operator tool.
 *
 *   npm run dlq -- list
 *   npm run dlq -- show <dlq> [--max N] [--max-body N] [--json]
 *   npm run dlq -- redrive <dlq> [--apply] [--limit N]  [--message-id ID] [--new-dedup-id] [--method auto|move-task|loop] [--json]
 *   npm run dlq -- purge <dlq> --yes
 *
 * By default it works on the local engine (AWS_ENDPOINT_URL or 127.0.0.1:4566,
 * outputs of the last local deploy); with --target aws on real AWS (default
 * credentials and region, outputs of the OrderFlow stack from CloudFormation).
 * See docs/operations.md › DLQ tool.
 */
import type { Message } from '@aws-sdk/client-sqs';
import { command, HELP_OPTION, isMain, parseCommandLine, usageError } from './lib/cli';
import { listDlqs, resolveDlq } from './lib/dlq/catalogue';
import { DlqRefusal } from './lib/dlq/errors';
import { formatList, formatRedrive, formatShow } from './lib/dlq/format';
import { purge } from './lib/dlq/purge';
import { type RedriveMethod, redrive } from './lib/dlq/redrive';
import { show } from './lib/dlq/show';
import { connectTarget, parseTarget, TARGET_OPTIONS, TARGET_USAGE } from './lib/target';

export const CLI = command({
  name: 'dlq',
  helpCommand: 'npm run dlq -- --help',
  usage: `usage: npm run dlq -- <command> [dlq] [flags]

The dead-letter queue tool: list the stack's DLQs, show why messages were parked, move them
back to their source queue, or purge them. Exit code 0 on success, 1 when a redrive failed to
move some messages or on any other error, 2 for bad arguments or a refused operation.

commands
  list                 every DLQ of the stack: depth (visible, in flight) and source queue
  show <dlq>           the messages with their reason (peeked and released, never consumed)
  redrive <dlq>        move messages back to the source queue (dry run unless --apply)
  purge <dlq>          delete every message (only with --yes)

<dlq> is an output key (EmailDlq or EmailDlqUrl), a queue name, URL or ARN; \`list\` shows them.

flags
  --json               machine-readable output (list, show, redrive)
  --max N              show: at most N messages (default 50)
  --max-body N         show: truncate bodies to N characters (default 300; 0 = whole body)
  --apply              redrive: really move (default: dry run, prints what would move)
  --limit N            redrive: at most N messages (default all)
  --message-id ID      redrive: only this message (repeat for more); the others stay in the DLQ untouched
  --new-dedup-id       redrive, FIFO: send with a new deduplication id (see docs/operations.md › DLQ tool: FIFO)
  --method M           redrive: auto (default), move-task (StartMessageMoveTask) or loop (receive → send → delete)
  --yes                purge: confirm that the messages are lost for good
${TARGET_USAGE}
  -h, --help           this text

what it writes
  list and show only read (show receives each message and releases it at once); redrive --apply
  moves messages to the source queue; purge --yes deletes them for good`,
  config: {
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      max: { type: 'string' },
      'max-body': { type: 'string' },
      apply: { type: 'boolean', default: false },
      limit: { type: 'string' },
      'message-id': { type: 'string', multiple: true },
      'new-dedup-id': { type: 'boolean', default: false },
      method: { type: 'string', default: 'auto' },
      yes: { type: 'boolean', default: false },
      ...TARGET_OPTIONS,
      help: HELP_OPTION,
    },
  },
});

function positiveInt(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new DlqRefusal(`${flag} must be a whole number ≥ 0, got "${value}"`);
  return n;
}

/** The exit code, or undefined when parseCommandLine has set it (help or bad arguments). */
async function main(argv: string[]): Promise<number | undefined> {
  // The SDK's notice that it wants Node 22 from 2027 would sit in the middle of the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const args = parseCommandLine(CLI, argv);
  if (!args) return undefined;
  const { values, positionals } = args;
  const [command, queue, ...extra] = positionals;
  if (!command) {
    usageError(CLI, 'give a command: list, show, redrive or purge');
    return undefined;
  }
  if (!['list', 'show', 'redrive', 'purge'].includes(command)) {
    usageError(CLI, `Unknown command "${command}"; give list, show, redrive or purge`);
    return undefined;
  }
  if (extra.length) throw new DlqRefusal(`Unexpected argument(s): ${extra.join(' ')}`);
  if (!['auto', 'move-task', 'loop'].includes(values.method)) {
    throw new DlqRefusal(`--method must be auto, move-task or loop, got "${values.method}"`);
  }

  const { sys, where } = await connectTarget(parseTarget(values.target), values.stack);
  const target = { sqs: sys.sqs, outputs: sys.outputs, where };
  const entries = await listDlqs(target.sqs, target.outputs);
  const print = (data: unknown, text: () => string) =>
    console.log(values.json ? JSON.stringify(data, null, 2) : text());

  if (command === 'list') {
    print(entries, () => formatList(entries, target.where));
    return 0;
  }
  const dlq = resolveDlq(entries, queue);
  switch (command) {
    case 'show': {
      const result = await show(target.sqs, dlq, { max: positiveInt('--max', values.max, 50)! });
      print(result, () => formatShow(result, dlq, positiveInt('--max-body', values['max-body'], 300)!));
      return 0;
    }
    case 'redrive': {
      const limit = positiveInt('--limit', values.limit);
      const result = await redrive(target.sqs, dlq, {
        apply: values.apply,
        limit,
        ...(values['message-id'] ? { only: (m: Message) => values['message-id']!.includes(m.MessageId ?? '') } : {}),
        newDedupId: values['new-dedup-id'],
        method: values.method as RedriveMethod,
        // Progress goes to stderr so --json output stays parseable.
        log: (line) => console.error(line),
      });
      print(result, () => formatRedrive(result, dlq));
      return result.failed.length ? 1 : 0;
    }
    case 'purge': {
      const { purged } = await purge(target.sqs, dlq, { yes: values.yes });
      console.log(`Purged ${dlq.key.replace(/Url$/, '')} (${dlq.name}): ~${purged} message(s) deleted for good.`);
      return 0;
    }
  }
  return 2;
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error: Error) => {
      console.error(error instanceof DlqRefusal ? error.message : `dlq: ${error.message}`);
      process.exitCode = error instanceof DlqRefusal ? 2 : 1;
    },
  );
}
