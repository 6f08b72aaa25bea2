/**
 * `npm run smoke [-- --target aws]`: the check a team runs right after
 * deploying. Places a small mixed batch of orders, waits (bounded) for them,
 * checks outcomes, invariants, consumer effects, the timeline's per-order
 * message groups, the DLQs, the dashboard and the alarms, prints a pass/fail
 * table and exits 1 on any failure. The logic is in scripts/lib/smoke/.
 */
import { STACK } from '../localstack/deploy';
import { command, HELP_OPTION, isMain, parseCommandLine, usageError } from './lib/cli';
import { runSmoke } from './lib/smoke/run';
import { formatTable } from './lib/smoke/verdict';
import { connectTarget, parseTarget } from './lib/target';

const DEFAULT_TIMEOUT_SECONDS = 180;
const MAX_TIMEOUT_SECONDS = 1_800;

export const CLI = command({
  name: 'smoke',
  helpCommand: 'npm run smoke -- --help',
  usage: `usage: npm run smoke [-- --target aws] [--stack NAME] [--timeout SECONDS]

The post-deploy smoke check. Places 5 orders (6 deliveries) and checks that the deployed
system handled them: each order's outcome, the invariants (one final state, no double
charge, stock restored, versions 1..n), every consumer effect applied exactly once
(e-mail, analytics, loyalty for totals of 100 or more, timeline), each order's timeline
events in a FIFO message group of its own, no smoke message in any DLQ, and that the
dashboard and every alarm of the stack exist. Prints a pass/fail table; exit code 0 when
every check passed, 1 when any failed or could not be evaluated, 2 for bad arguments.

flags
  --target T         local (default): the engine on AWS_ENDPOINT_URL or http://127.0.0.1:4566
                     with the outputs of the last \`npm run deploy:local\`.
                     aws: your default AWS credentials and region (AWS_PROFILE, AWS_REGION, …)
                     and the outputs of the deployed CloudFormation stack (DescribeStacks).
  --stack NAME       the stack (default ${STACK})
  --timeout SECONDS  longest wait for the orders to settle, from placing them
                     (default ${DEFAULT_TIMEOUT_SECONDS}, at most ${MAX_TIMEOUT_SECONDS}); the checks then read
                     once more (about half a minute). An order not settled
                     by then fails its checks.
  -h, --help         this text

the batch (order ids smoke-<run>-1 … smoke-<run>-5, <run> = 8 random hex characters)
  1 confirmed, total 120 (earns loyalty points)   4 unserviceable destination (AQ): cancelled
  2 declined card (tok_declined): cancelled        5 confirmed, total 40, delivered twice
  3 out of stock: cancelled                          (same event id; applied once)

what it writes (all named smoke-<run>-…, recognisable and left in place)
  - two stock items in the order-service table: smoke-<run>-mug (10) and smoke-<run>-soldout (0)
  - 6 OrderPlaced events on the stack's bus, and what the system does with them: the
    orders' events, records, read models, a fake e-mail counter and analytics record per
    outcome, loyalty points for customer smoke-<run>-customer-1, timeline entries; the
    business metrics (OrdersPlaced, …) count these 5 orders, and the compensations alarm
    counts 3 (it fires above 5 in 5 minutes by default)

safe on a production stack
  - no fault-injection switch is read or written, nothing is purged, redriven or deleted
  - DLQs are only peeked: each message is received with a 30 s visibility timeout and
    released at once (as \`npm run dlq -- show\` does; a DLQ has no redrive policy, so the
    added receive count moves nothing); at most 2000 read per DLQ, and a DLQ holding
    more fails the DLQ check, since a smoke message could be among the unread
  - CloudWatch and CloudFormation are only read (GetDashboard, DescribeAlarms,
    ListStackResources, DescribeStacks)
  - bounded in time by --timeout
  - the payment provider, carrier and mailer are the blueprint's stand-ins, so nothing
    outside the stack is charged, shipped or mailed. If you replaced them with real
    services, the smoke orders reach those (card token tok_visa / tok_declined,
    destinations DE / AQ): point them at test accounts first

permissions (--target aws): cloudformation:DescribeStacks and ListStackResources,
events:PutEvents on the bus, dynamodb:PutItem/GetItem/Query on the stack's tables,
sqs:ReceiveMessage/ChangeMessageVisibility/GetQueueAttributes on its DLQs,
cloudwatch:GetDashboard and DescribeAlarms.`,
  config: {
    options: {
      target: { type: 'string' },
      stack: { type: 'string' },
      timeout: { type: 'string' },
      help: HELP_OPTION,
    },
  },
});

/** The exit code, or undefined when parseCommandLine has set it (help or bad arguments). */
async function main(argv: string[]): Promise<number | undefined> {
  const args = parseCommandLine(CLI, argv);
  if (!args) return undefined;
  const { values } = args;
  const fail = (message: string) => {
    usageError(CLI, message);
    return 2;
  };
  const stack = values.stack ?? STACK;
  const timeoutSeconds = values.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(values.timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 10 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    return fail(
      `--timeout must be a whole number of seconds from 10 to ${MAX_TIMEOUT_SECONDS}, got "${values.timeout}"`,
    );
  }
  let target: ReturnType<typeof parseTarget>;
  try {
    target = parseTarget(values.target);
  } catch (error) {
    return fail((error as Error).message);
  }

  const { sys, where } = await connectTarget(target, stack);
  console.log(`smoke: ${where}; waiting at most ${timeoutSeconds} s`);
  const result = await runSmoke(sys, { stack, timeoutMs: timeoutSeconds * 1000 });
  console.log(`\n================ smoke run ${result.run} (${result.prefix}…) ================`);
  console.log(formatTable(result.checks));
  const failed = result.checks.filter((c) => c.result === 'fail').length;
  console.log(
    `\nsmoke: ${result.passed ? 'PASSED' : `FAILED (${failed} of ${result.checks.length} checks)`} in ${result.elapsedSeconds.toFixed(0)} s; orders ${result.orderIds.join(', ')}`,
  );
  return result.exitCode;
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error: Error) => {
      console.error(`smoke: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
