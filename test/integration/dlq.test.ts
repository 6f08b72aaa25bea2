import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import {
  DeleteMessageCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { keys } from '../../lambdas/contracts/keys';
import { newEvent } from '../../lambdas/messages/envelope';
import { listDlqs, resolveDlq } from '../../scripts/lib/dlq/catalogue';
import type { MessageReport } from '../../scripts/lib/dlq/describe';
import { peek, release } from '../../scripts/lib/dlq/peek';
import { redrive } from '../../scripts/lib/dlq/redrive';
import { type ShowResult, show } from '../../scripts/lib/dlq/show';
import { knownEngineGap } from '../support/integration/engine-gaps';
import { eventually, system } from '../support/integration/system';

const ROOT = resolve(__dirname, '..', '..');
const CONSUMER = 'analytics-consumer';

/** Runs the CLI the way an operator would, against the test's engine. */
function cli(...args: string[]) {
  const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/dlq.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...inject('awsEnv') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The idempotency key Powertools writes for this consumer and event: the
 * consumer's keyPrefix (its name, see createQueueConsumer), `#`, and the base64
 * MD5 of the JSON of the selected key (`id`, the event id)
 * (BasePersistenceLayer.getHashedIdempotencyKey).
 */
const idempotencyKey = (eventId: string) =>
  `${CONSUMER}#${createHash('md5').update(JSON.stringify(eventId)).digest('base64')}`;

/**
 * The DLQ tool end to end: a valid event fails on every attempt because an
 * unexpired INPROGRESS idempotency record holds its id (what a crashed worker
 * leaves behind), so the analytics consumer parks it with that reason on its
 * last attempt. `show` gives the reason, the lock is removed, `redrive` sends
 * it back, and the consumer applies it exactly once. The DLQ is shared with
 * every other file's parked messages, so the test redrives its own message
 * only (`--message-id`, `only`), and a decoy it parks itself proves that the
 * rest of the queue is left where it was.
 */
/** Deletes one message (by id) from a queue; every other message received on the way is released at once. */
async function removeFromQueue(sys: ReturnType<typeof system>, queueUrl: string, messageId: string | undefined) {
  const { messages } = await peek(sys.sqs, queueUrl, { max: 1000, visibilitySeconds: 20, waitSeconds: 1 });
  const target = messages.find((m) => m.MessageId === messageId);
  if (target) await sys.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: target.ReceiptHandle }));
  await release(
    sys.sqs,
    queueUrl,
    messages.filter((m) => m !== target),
  );
}

describe('the DLQ tool on the engine', () => {
  it('shows why a message was parked, redrives it, and the consumer then applies it exactly once', async () => {
    const sys = system();
    const orderId = sys.uniqueId('order-dlq');
    const event = newEvent({
      type: 'OrderConfirmed',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId, customerId: sys.uniqueId('customer'), total: 42 },
    });
    const lock = { id: idempotencyKey(event.id) };
    await sys.ddb.send(
      new PutCommand({
        TableName: sys.outputs.IdempotencyTableName,
        Item: {
          ...lock,
          status: 'INPROGRESS',
          expiration: Math.floor(Date.now() / 1000) + 3600,
          // Long enough to outlast every attempt (maxReceiveCount × visibility timeout).
          in_progress_expiration: Date.now() + 15 * 60_000,
        },
      }),
    );

    const entries = await listDlqs(sys.sqs, sys.outputs);
    const dlq = resolveDlq(entries, 'AnalyticsDlq');
    expect(dlq.source?.key).toBe('AnalyticsQueueUrl');
    expect(resolveDlq(entries, 'EmailSubscriptionDlq').source).toBeUndefined();

    // Raw delivery: the analytics queue receives the envelope itself.
    await sys.sqs.send(
      new SendMessageCommand({
        QueueUrl: sys.outputs.AnalyticsQueueUrl,
        MessageBody: JSON.stringify(event),
        MessageAttributes: { origin: { DataType: 'String', StringValue: 'dlq-integration-test' } },
      }),
    );

    const ours = (result: ShowResult) => result.reports.find((r) => r.body.includes(event.id));
    const parked = (await eventually(
      async () => ours(await show(sys.sqs, dlq, { max: 1000, visibilitySeconds: 20 })),
      (report) => report !== undefined,
      { what: `event ${event.id} to be parked in the analytics DLQ`, timeoutMs: 240_000, intervalMs: 5_000 },
    )) as MessageReport;
    expect(parked).toMatchObject({
      origin: 'parked-by-consumer',
      errorType: 'IdempotencyAlreadyInProgressError',
      attempts: Number(sys.outputs.MaxReceiveCount),
      consumer: CONSUMER,
      originalAttributes: { origin: 'dlq-integration-test' },
    });
    expect(parked.errorMessage).toContain(lock.id);
    expect(Date.parse(parked.lastFailureAt!)).toBeGreaterThanOrEqual(Date.parse(parked.firstFailureAt!));
    expect(await sys.consumerRecord(keys.analytics(orderId))).toBeUndefined();

    // The CLI says the same, in JSON, and leaves the message where it was.
    // --max 1000: the DLQ is shared, and other files' parked messages may come before ours.
    const shown = cli('show', 'AnalyticsDlqUrl', '--json', '--max', '1000');
    expect(shown.code, shown.stderr).toBe(0);
    const fromCli = (JSON.parse(shown.stdout) as ShowResult).reports.find((r) => r.messageId === parked.messageId);
    expect(fromCli?.reason).toBe(parked.reason);

    // Another message in the same DLQ, not ours to move: a decoy parked by hand (an event of an order of its own).
    const decoyEvent = newEvent({
      type: 'OrderConfirmed',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId: sys.uniqueId('order-dlq-decoy'), customerId: sys.uniqueId('customer'), total: 1 },
    });
    const { MessageId: decoyId } = await sys.sqs.send(
      new SendMessageCommand({ QueueUrl: dlq.url, MessageBody: JSON.stringify(decoyEvent) }),
    );
    try {
      // Dry run of our message only: the plan names it and nothing else, nothing moves.
      const only = (m: { MessageId?: string }) => m.MessageId === parked.messageId;
      const plan = await redrive(sys.sqs, dlq, { apply: false, only });
      expect(plan.plan.map((p) => [p.messageId, p.action])).toEqual([[parked.messageId, 'move']]);
      expect(ours(await show(sys.sqs, dlq, { max: 1000 }))).toBeDefined();

      // The operator fixes the cause (the stale lock), then redrives that one message with the CLI.
      await sys.ddb.send(new DeleteCommand({ TableName: sys.outputs.IdempotencyTableName, Key: lock }));
      const moved = cli('redrive', 'AnalyticsDlq', '--apply', '--message-id', parked.messageId);
      expect(moved.code, moved.stderr).toBe(0);
      expect(moved.stdout).toMatch(/Moved 1 message\(s\)/);
      // The decoy (and whatever else other files parked) is still in the DLQ.
      expect((await show(sys.sqs, dlq, { max: 1000 })).reports.map((r) => r.messageId)).toContain(decoyId);
    } finally {
      await removeFromQueue(sys, dlq.url, decoyId);
    }

    const applied = await eventually(
      () => sys.consumerRecord(keys.analytics(orderId)),
      (item) => item !== undefined,
      { what: 'the redriven event to be applied by the analytics consumer', timeoutMs: 60_000 },
    );
    expect(applied?.events).toBe(1);
    expect([...((applied?.types as Set<string> | undefined) ?? [])]).toEqual(['OrderConfirmed']);
    expect(ours(await show(sys.sqs, dlq, { max: 1000 }))).toBeUndefined();
    // Still once after the queue has had time to deliver anything else it holds.
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await sys.consumerRecord(keys.analytics(orderId)))?.events).toBe(1);
  });

  it('refuses to purge without --yes and to redrive a DLQ that has no source queue', () => {
    const purge = cli('purge', 'EmailSubscriptionDlq');
    expect(purge.code).toBe(2);
    expect(purge.stderr).toMatch(/Refusing to purge EmailSubscriptionDlqUrl .* would be lost for good/);
    const redriven = cli('redrive', 'RuleTargetDlq', '--apply');
    expect(redriven.code).toBe(2);
    expect(redriven.stderr).toMatch(/EventBridge rule-target DLQ with no source queue/);
    const unknown = cli('show', 'NoSuchDlq');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown DLQ "NoSuchDlq"[\s\S]*AnalyticsDlq/);
  });

  // What the tool uses on AWS; on MiniStack it falls back (RedrivePolicy matching, the receive → send → delete loop).
  // AWS: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListDeadLetterSourceQueues.html
  // MiniStack 1.5.33 answers InvalidAction (localstack/README.md, gap id `sqs-list-dead-letter-source-queues`).
  knownEngineGap('sqs-list-dead-letter-source-queues', ['ministack'], {
    name: 'InvalidAction',
    message: /The action ListDeadLetterSourceQueues is not valid for this endpoint/,
  })('ListDeadLetterSourceQueues names the source queue of a DLQ', async () => {
    const sys = system();
    const { queueUrls } = await sys.sqs.send(
      new ListDeadLetterSourceQueuesCommand({ QueueUrl: sys.outputs.LoyaltyDlqUrl }),
    );
    expect(queueUrls?.map((u) => u.split('/').pop())).toEqual([sys.outputs.LoyaltyQueueUrl.split('/').pop()]);
  });

  // AWS: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
  // and https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasks.html
  // MiniStack 1.5.33 answers InvalidAction to the first call (localstack/README.md, gap id `sqs-message-move-tasks`).
  knownEngineGap('sqs-message-move-tasks', ['ministack'], {
    name: 'InvalidAction',
    message: /The action StartMessageMoveTask is not valid for this endpoint/,
  })('StartMessageMoveTask redrives a DLQ to its source and ListMessageMoveTasks reports it', async () => {
    const sys = system();
    const dlq = resolveDlq(await listDlqs(sys.sqs, sys.outputs), 'LoyaltyDlq');
    await sys.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: dlq.source?.arn }));
    const { Results } = await sys.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn }));
    expect(Results?.[0]?.SourceArn).toBe(dlq.arn);
  });
});
