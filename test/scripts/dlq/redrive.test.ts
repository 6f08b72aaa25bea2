import {
  DeleteMessageBatchCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { DlqRefusal } from '../../../scripts/lib/dlq/errors';
import { chunkForBatch, DEDUP_WINDOW_MS, redrive } from '../../../scripts/lib/dlq/redrive';
import { dlqEntry, fakeQueues, parkAttributes, type StoredMessage } from '../../support/fake-queues';

const fast = { waitSeconds: 0, pollIntervalMs: 1 };
const parked = (n: number): StoredMessage[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `dlq-${i}`,
    body: JSON.stringify({ id: `event-${i}` }),
    attributes: parkAttributes(`src-${i}`),
  }));

let fake: ReturnType<typeof fakeQueues>;
afterEach(() => fake.mock.restore());

describe('redrive (receive → send → delete loop)', () => {
  it('moves nothing on a dry run: prints the plan and releases every message', async () => {
    fake = fakeQueues(['dlq', 'source']);
    fake.put('dlq', ...parked(3));
    const result = await redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: false, ...fast });
    expect(result.method).toBe('dry-run');
    expect(result.moved).toBe(3);
    expect(result.plan.map((p) => p.messageId)).toEqual(['dlq-0', 'dlq-1', 'dlq-2']);
    expect(result.plan[0].reason).toMatch(/IdempotencyAlreadyInProgressError/);
    expect(fake.mock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(fake.mock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(fake.messages('source')).toHaveLength(0);
    // Still there, and visible again at once (released), not after the timeout.
    expect(fake.messages('dlq').map((m) => m.hiddenUntil === undefined || m.hiddenUntil <= 1_700_000_000_000)).toEqual([
      true,
      true,
      true,
    ]);
  });

  it('sends each batch to the source before deleting it from the DLQ, and strips the park attributes', async () => {
    fake = fakeQueues(['dlq', 'source']);
    fake.put('dlq', ...parked(12));
    const result = await redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, ...fast });
    expect(result).toMatchObject({ method: 'loop', moved: 12, sentNotDeleted: 0 });
    expect(fake.messages('dlq')).toHaveLength(0);
    expect(fake.messages('source').map((m) => m.body)).toEqual(parked(12).map((m) => m.body));
    // Every delete comes after the send of the same batch.
    const steps = fake.log.filter((l) => /^(send|delete)/.test(l)).map((l) => l.split(' ')[0]);
    expect(steps).toEqual(['send', 'delete', 'send', 'delete']);
    const attributes = fake.messages('source')[0].attributes ?? {};
    expect(Object.keys(attributes).sort()).toEqual(['traceparent', 'x-redrive-count']);
    expect(attributes['x-redrive-count'].StringValue).toBe('1');
  });

  it('counts redrives on: a message redriven before comes back with x-redrive-count + 1', async () => {
    fake = fakeQueues(['dlq', 'source']);
    const [message] = parked(1);
    message.attributes = { ...message.attributes, 'x-redrive-count': { DataType: 'Number', StringValue: '2' } };
    fake.put('dlq', message);
    await redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, ...fast });
    expect(fake.messages('source')[0].attributes?.['x-redrive-count'].StringValue).toBe('3');
  });

  it('loses nothing when it fails half-way: unsent messages stay in the DLQ', async () => {
    fake = fakeQueues(['dlq', 'source']);
    fake.put('dlq', ...parked(15));
    fake.beforeSend = (call) => {
      if (call === 2) throw new Error('network gone');
    };
    await expect(redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, ...fast })).rejects.toThrow(
      'network gone',
    );
    expect(fake.mock.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
    const inSource = fake.messages('source').map((m) => m.body);
    const inDlq = fake.messages('dlq').map((m) => m.body);
    expect(inSource).toHaveLength(10);
    expect(inDlq).toHaveLength(5);
    expect(new Set([...inSource, ...inDlq])).toEqual(new Set(parked(15).map((m) => m.body)));
    // The batch that was not sent was released back at once.
    expect(fake.log.at(-1)).toBe('release dlq 5');
  });

  it('keeps a sent message in the DLQ when its delete fails: a duplicate, never a loss', async () => {
    fake = fakeQueues(['dlq', 'source']);
    fake.put('dlq', ...parked(3));
    fake.mock.on(DeleteMessageBatchCommand).rejects(new Error('throttled'));
    await expect(redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, ...fast })).rejects.toThrow('throttled');
    expect(fake.messages('source')).toHaveLength(3);
    expect(fake.messages('dlq')).toHaveLength(3);
  });

  it('stops after --limit messages and asks SQS for no more than it needs', async () => {
    fake = fakeQueues(['dlq', 'source']);
    fake.put('dlq', ...parked(25));
    const result = await redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, limit: 12, ...fast });
    expect(result.moved).toBe(12);
    expect(fake.messages('source')).toHaveLength(12);
    expect(fake.messages('dlq')).toHaveLength(13);
    expect(fake.mock.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages)).toEqual([
      10, 2,
    ]);
  });

  it('moves only the messages `only` accepts, across batches, and leaves the others in the DLQ, released', async () => {
    fake = fakeQueues(['dlq', 'source']);
    fake.put('dlq', ...parked(25));
    const chosen = new Set(['dlq-3', 'dlq-14', 'dlq-24']);
    const only = (m: { MessageId?: string }) => chosen.has(m.MessageId ?? '');
    const dry = await redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: false, only, ...fast });
    expect(dry.plan.map((p) => p.messageId)).toEqual([...chosen]);
    const result = await redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, only, ...fast });
    expect(result.moved).toBe(3);
    expect(result.plan.map((p) => p.messageId)).toEqual([...chosen]);
    expect(result.heldBack).toEqual([]);
    expect(fake.messages('source').map((m) => m.body)).toEqual(
      parked(25)
        .filter((m) => chosen.has(m.id))
        .map((m) => m.body),
    );
    const left = fake.messages('dlq');
    expect(left).toHaveLength(22);
    expect(left.some((m) => chosen.has(m.id))).toBe(false);
    // The others were released at the end, not left hidden until their visibility timeout.
    expect(left.every((m) => m.hiddenUntil === undefined || m.hiddenUntil <= 1_700_000_000_000)).toBe(true);
  });

  it('refuses `only` with a move task, which takes the whole queue', async () => {
    fake = fakeQueues(['dlq', 'source']);
    await expect(
      redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, method: 'move-task', only: () => true }),
    ).rejects.toThrow('StartMessageMoveTask moves every message');
  });

  it('rejects a limit that is not a positive whole number', async () => {
    fake = fakeQueues(['dlq', 'source']);
    await expect(redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, limit: 0 })).rejects.toThrow(
      '--limit must be a positive whole number',
    );
  });

  it('refuses a DLQ without a source queue and says what to do instead', async () => {
    fake = fakeQueues(['dlq']);
    fake.put('dlq', ...parked(1));
    const error = await redrive(fake.sqs, dlqEntry('dlq'), { apply: true, ...fast }).catch((e) => e);
    expect(error).toBeInstanceOf(DlqRefusal);
    expect(error.message).toMatch(/SNS subscription DLQ with no source queue/);
    expect(error.message).toMatch(/re-deliver/);
    expect(fake.messages('dlq')).toHaveLength(1);
  });
});

describe('redrive of a FIFO DLQ', () => {
  const fifo = (id: string, group: string, dedup: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
    id,
    body: `{"id":"${id}"}`,
    system: { MessageGroupId: group, MessageDeduplicationId: dedup },
    ...extra,
  });

  it('keeps MessageGroupId and MessageDeduplicationId, in order per group', async () => {
    fake = fakeQueues(['dlq.fifo', 'source.fifo']);
    // Parked by the consumer: the dedup id is the source message id; moved by AWS: the message's own id.
    fake.put(
      'dlq.fifo',
      fifo('p1', 'order-1', 'src-1', { attributes: parkAttributes('src-1') }),
      fifo('p2', 'order-1', 'src-2', { attributes: parkAttributes('src-2') }),
      fifo('m3', 'order-2', 'm3'),
    );
    const result = await redrive(fake.sqs, dlqEntry('dlq.fifo', 'source.fifo'), { apply: true, ...fast });
    expect(result.moved).toBe(3);
    expect(fake.messages('source.fifo').map((m) => m.system)).toEqual([
      { MessageGroupId: 'order-1', MessageDeduplicationId: 'src-1' },
      { MessageGroupId: 'order-1', MessageDeduplicationId: 'src-2' },
      { MessageGroupId: 'order-2', MessageDeduplicationId: 'm3' },
    ]);
  });

  it('holds back a message whose original dedup id may still be in the 5-minute window, and its group after it', async () => {
    fake = fakeQueues(['dlq.fifo', 'source.fifo']);
    const now = new Date(1_700_000_000_000);
    const sentRecently = { SentTimestamp: String(now.getTime() - 60_000) };
    fake.put(
      'dlq.fifo',
      fifo('a1', 'order-1', 'eventbridge-dedup-1', {
        system: { ...fifo('', 'order-1', 'eventbridge-dedup-1').system, ...sentRecently },
      }),
      fifo('a2', 'order-1', 'a2'),
      fifo('b1', 'order-2', 'b1'),
    );
    const result = await redrive(fake.sqs, dlqEntry('dlq.fifo', 'source.fifo'), {
      apply: true,
      now: () => now,
      ...fast,
    });
    expect(result.moved).toBe(1);
    expect(result.heldBack.map((h) => h.messageId)).toEqual(['a1', 'a2']);
    expect(result.heldBack[0].why).toMatch(/5-minute deduplication window.*--new-dedup-id/);
    expect(result.heldBack[1].why).toMatch(/earlier message of message group order-1/);
    expect(fake.messages('source.fifo').map((m) => m.body)).toEqual(['{"id":"b1"}']);
    expect(fake.messages('dlq.fifo').map((m) => m.id)).toEqual(['a1', 'a2']);
  });

  it('sends an old original dedup id as it is once the window has passed', async () => {
    fake = fakeQueues(['dlq.fifo', 'source.fifo']);
    const now = new Date(1_700_000_000_000);
    fake.put('dlq.fifo', {
      ...fifo('a1', 'order-1', 'eventbridge-dedup-1'),
      system: {
        MessageGroupId: 'order-1',
        MessageDeduplicationId: 'eventbridge-dedup-1',
        SentTimestamp: String(now.getTime() - DEDUP_WINDOW_MS - 61_000),
      },
    });
    const result = await redrive(fake.sqs, dlqEntry('dlq.fifo', 'source.fifo'), {
      apply: true,
      now: () => now,
      ...fast,
    });
    expect(result.moved).toBe(1);
    expect(fake.messages('source.fifo')[0].system?.MessageDeduplicationId).toBe('eventbridge-dedup-1');
  });

  it('mints redrive-<message id> as the dedup id with --new-dedup-id', async () => {
    fake = fakeQueues(['dlq.fifo', 'source.fifo']);
    const now = new Date(1_700_000_000_000);
    fake.put('dlq.fifo', {
      ...fifo('a1', 'order-1', 'x'),
      system: {
        MessageGroupId: 'order-1',
        MessageDeduplicationId: 'eventbridge-dedup-1',
        SentTimestamp: String(now.getTime()),
      },
    });
    const result = await redrive(fake.sqs, dlqEntry('dlq.fifo', 'source.fifo'), {
      apply: true,
      newDedupId: true,
      now: () => now,
      ...fast,
    });
    expect(result.moved).toBe(1);
    expect(fake.messages('source.fifo')[0].system).toEqual({
      MessageGroupId: 'order-1',
      MessageDeduplicationId: 'redrive-a1',
    });
  });
});

describe('redrive with SQS message move tasks', () => {
  it('uses StartMessageMoveTask where the endpoint has it and reports its progress', async () => {
    fake = fakeQueues(['dlq', 'source']);
    fake.mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    fake.mock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [{ Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 7 }],
      })
      .resolves({
        Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: 7 }],
      });
    const lines: string[] = [];
    const result = await redrive(fake.sqs, dlqEntry('dlq', 'source'), {
      apply: true,
      log: (l) => lines.push(l),
      ...fast,
    });
    expect(result).toMatchObject({ method: 'move-task', moved: 7 });
    expect(fake.mock.commandCalls(StartMessageMoveTaskCommand)[0].args[0].input).toEqual({
      SourceArn: dlqEntry('dlq', 'source').arn,
      DestinationArn: dlqEntry('dlq', 'source').source?.arn,
    });
    expect(lines.some((l) => l.includes('moved 3 of ~7'))).toBe(true);
    expect(fake.mock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('falls back to the loop where the endpoint has no StartMessageMoveTask (auto)', async () => {
    fake = fakeQueues(['dlq', 'source']);
    fake.put('dlq', ...parked(2));
    const lines: string[] = [];
    const result = await redrive(fake.sqs, dlqEntry('dlq', 'source'), {
      apply: true,
      log: (l) => lines.push(l),
      ...fast,
    });
    expect(result).toMatchObject({ method: 'loop', moved: 2 });
    expect(lines[0]).toMatch(/no StartMessageMoveTask/);
  });

  it('uses the loop, not a move task, when --limit or --new-dedup-id asks for what a move task cannot do', async () => {
    fake = fakeQueues(['dlq', 'source']);
    fake.mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    fake.put('dlq', ...parked(3));
    expect((await redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, limit: 1, ...fast })).method).toBe(
      'loop',
    );
    expect(
      (await redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, newDedupId: true, ...fast })).method,
    ).toBe('loop');
    expect(fake.mock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(fake.messages('source')).toHaveLength(3);
  });

  it('refuses --method move-task with a limit, and on an endpoint without it', async () => {
    fake = fakeQueues(['dlq', 'source']);
    await expect(
      redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, method: 'move-task', limit: 3 }),
    ).rejects.toThrow(/cannot stop after N messages/);
    await expect(
      redrive(fake.sqs, dlqEntry('dlq', 'source'), { apply: true, method: 'move-task', ...fast }),
    ).rejects.toThrow(/does not implement StartMessageMoveTask/);
  });
});

describe('chunkForBatch', () => {
  it('keeps batches at 10 entries and under 256 KiB, in order', () => {
    const item = (id: number, size: number) => ({ id, entry: { Id: String(id), MessageBody: 'x'.repeat(size) } });
    const items = [
      item(0, 100_000),
      item(1, 100_000),
      item(2, 100_000),
      ...Array.from({ length: 12 }, (_, i) => item(3 + i, 10)),
    ];
    expect(chunkForBatch(items).map((c) => c.map((i) => i.id))).toEqual([
      [0, 1],
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      [12, 13, 14],
    ]);
  });
});
