import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { scanDeadLetters } from '../../scripts/lib/invariants';
import { connect } from '../../scripts/lib/order-system';
import { planBatch } from '../../scripts/lib/smoke/batch';
import { deadLettersCheck } from '../../scripts/lib/smoke/checks';
import { alarmsCheck, dashboardCheck, stackResources } from '../../scripts/lib/smoke/operations';
import { SMOKE_CHECKS } from '../../scripts/lib/smoke/verdict';
import { eventually, system } from '../support/integration/system';

const ROOT = resolve(__dirname, '..', '..');

/** Runs `npm run smoke` the way a team would after deploying (tsx directly, same script), against the test's engine. */
function smoke(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, failed) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/smoke.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...inject('awsEnv') },
      timeout: 400_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', failed);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The table's rows: `<check>  PASS|FAIL  <detail>` (continuation lines of a long detail are indented). */
function tableRows(stdout: string): Map<string, { result: string; detail: string }> {
  const rows = new Map<string, { result: string; detail: string }>();
  let last: { result: string; detail: string } | undefined;
  for (const line of stdout.split('\n')) {
    const match = /^(\S.*?)\s{2,}(PASS|FAIL)\s+(.*)$/.exec(line);
    if (match) {
      last = { result: match[2], detail: match[3] };
      rows.set(match[1], last);
    } else if (last && /^\s{10,}\S/.test(line)) last.detail += ` ${line.trim()}`;
    else last = undefined;
  }
  return rows;
}

/**
 * The post-deploy smoke check (issue 11) run against the stack the global
 * setup deployed, as the command a team runs: it places its own `smoke-<run>-`
 * orders, so it leaves the other files' orders alone. One row per check must
 * be there and pass, and the command must exit 0.
 */
describe('npm run smoke (against the local engine)', () => {
  let run: Awaited<ReturnType<typeof smoke>>;
  let rows: ReturnType<typeof tableRows>;

  beforeAll(async () => {
    run = await smoke('--timeout', '240');
    rows = tableRows(run.stdout);
    console.log(run.stdout.slice(run.stdout.indexOf('================')));
  }, 420_000);

  it('prints a row for every check, and nothing else', () => {
    expect([...rows.keys()]).toEqual([...SMOKE_CHECKS]);
  });

  it.each([...SMOKE_CHECKS])('%s: passes', (name) => {
    // The detail is the message: on a failure it says which orders and what was seen.
    expect(rows.get(name)?.result, `${name}: ${rows.get(name)?.detail ?? 'no row'}`).toBe('PASS');
  });

  it('shows progress while it waits, and exits 0', () => {
    expect(run.stdout).toMatch(/smoke: \d\/5 settled/);
    expect(run.stdout).toContain('smoke: 5/5 settled');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('documents --target aws, --stack, the time bound, the prefix, what it writes and production safety in --help', async () => {
    const help = await smoke('--help');
    expect(help.code).toBe(0);
    for (const text of [
      '--target',
      'aws:',
      '--stack',
      '--timeout',
      'smoke-<run>-',
      'what it writes',
      'safe on a production stack',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });

  it('refuses bad arguments with exit code 2 before placing anything', async () => {
    const bad = await smoke('--timeout', '5');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout must be a whole number');
  });
});

/**
 * The checks that read CloudWatch and the DLQs can fail on the real engine,
 * not only on hand-built facts: a dashboard or topic the stack does not have,
 * and a smoke message really parked in a DLQ.
 */
describe('smoke checks that must fail (against the local engine)', () => {
  it('fails the dashboard check for a dashboard the stack does not declare, and the alarms check for another topic', async () => {
    const sys = system();
    const resources = await stackResources(sys, 'OrderFlow');
    expect(await dashboardCheck(sys, resources)).toMatchObject({ result: 'pass' });
    expect(await alarmsCheck(sys, resources)).toMatchObject({ result: 'pass' });

    const wrong = connect(
      {
        ...inject('outputs'),
        DashboardName: 'not-this-stack',
        AlarmTopicArn: 'arn:aws:sns:us-east-1:000000000000:other',
      },
      inject('awsEnv'),
    );
    expect(await dashboardCheck(wrong, resources)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('not-this-stack is not a dashboard of the stack'),
    });
    expect(await alarmsCheck(wrong, resources)).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('do not notify the alarm topic'),
    });
    expect(await alarmsCheck(sys, [])).toMatchObject({ result: 'fail', detail: 'the stack declares no alarms' });
  });

  it('fails the DLQ check when a message of the run sits in a DLQ, found by peeking without consuming', async () => {
    const sys = system();
    const batch = planBatch(sys);
    const queueUrl = sys.outputs.RuleTargetDlqUrl;
    const body = JSON.stringify({ 'detail-type': 'OrderPlaced', detail: batch.orders[0].order });
    await sys.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    try {
      const dlqs = ['EmailDlq', 'AnalyticsDlq', 'LoyaltyDlq', 'OrderTimelineDlq', 'RuleTargetDlq'];
      const options = { startedAt: Date.now(), perOrderGroups: true, maxPerQueue: 2000, dlqs };
      const check = deadLettersCheck(batch, await scanDeadLetters(sys, { maxPerQueue: 2000 }), [], options);
      expect(check).toMatchObject({
        result: 'fail',
        detail: expect.stringContaining(`RuleTargetDlq: OrderPlaced of ${batch.prefix}1`),
      });
      // Peeked, not consumed: the message is still there to be found again.
      const again = deadLettersCheck(batch, await scanDeadLetters(sys, { maxPerQueue: 2000 }), [], options);
      expect(again.result).toBe('fail');
    } finally {
      // Remove only the message this test put there.
      await eventually(
        async () => {
          const { Messages = [] } = await sys.sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 5 }),
          );
          const mine = Messages.find((m) => m.Body === body);
          if (mine)
            await sys.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: mine.ReceiptHandle }));
          return !!mine;
        },
        (deleted) => deleted,
        { what: 'the test message to be deleted from the rule-target DLQ', timeoutMs: 30_000, intervalMs: 500 },
      );
    }
  });
});
