import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { DlqRefusal } from '../../../scripts/lib/dlq/errors';
import { purge } from '../../../scripts/lib/dlq/purge';
import { show } from '../../../scripts/lib/dlq/show';
import { dlqEntry, fakeQueues, parkAttributes } from '../../support/fake-queues';

let fake: ReturnType<typeof fakeQueues>;
afterEach(() => fake.mock.restore());

describe('show', () => {
  it('reads the messages with their reasons and releases every one of them (nothing consumed)', async () => {
    fake = fakeQueues(['dlq', 'source']);
    for (let i = 0; i < 13; i++)
      fake.put('dlq', { id: `m${i}`, body: `{"id":"e${i}"}`, attributes: parkAttributes(`s${i}`) });
    const result = await show(fake.sqs, dlqEntry('dlq', 'source'), { max: 50, visibilitySeconds: 20, waitSeconds: 0 });
    expect(result.reports.map((r) => r.messageId)).toEqual(Array.from({ length: 13 }, (_, i) => `m${i}`));
    expect(result.reports.every((r) => r.origin === 'parked-by-consumer')).toBe(true);
    expect(result.peek).toEqual({ visibilitySeconds: 20, released: 13, notReleased: 0 });
    const released = fake.mock
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(released).toHaveLength(13);
    expect(released.every((e) => e.VisibilityTimeout === 0)).toBe(true);
    expect(fake.mock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(fake.messages('dlq')).toHaveLength(13);
  });

  it('stops at --max', async () => {
    fake = fakeQueues(['dlq', 'source']);
    for (let i = 0; i < 13; i++) fake.put('dlq', { id: `m${i}`, body: 'x' });
    const result = await show(fake.sqs, dlqEntry('dlq', 'source'), { max: 4, waitSeconds: 0 });
    expect(result.reports).toHaveLength(4);
  });
});

describe('purge', () => {
  it('refuses without --yes and says how many messages would be lost', async () => {
    fake = fakeQueues(['dlq']);
    fake.put('dlq', { id: 'm', body: 'x' });
    const error = await purge(fake.sqs, dlqEntry('dlq'), { yes: false }).catch((e) => e);
    expect(error).toBeInstanceOf(DlqRefusal);
    expect(error.message).toMatch(/Refusing to purge .*5 message\(s\) would be lost for good \(4 visible, 1 in flight/);
    expect(fake.mock.commandCalls(PurgeQueueCommand)).toHaveLength(0);
    expect(fake.messages('dlq')).toHaveLength(1);
  });

  it('purges with --yes', async () => {
    fake = fakeQueues(['dlq']);
    fake.put('dlq', { id: 'm', body: 'x' });
    await expect(purge(fake.sqs, dlqEntry('dlq'), { yes: true })).resolves.toEqual({ purged: 5 });
    expect(fake.messages('dlq')).toHaveLength(0);
  });
});
