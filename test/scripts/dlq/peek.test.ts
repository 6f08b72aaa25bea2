import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { peek, peekFifo, release } from '../../../scripts/lib/dlq/peek';

/**
 * A FIFO queue as the local engine keeps one (MiniStack's `_collect_fifo`): a receive walks the queue in
 * send order, skips hidden messages and every group that had a message in flight when the call began,
 * and may hand out several messages of one group in the same call. Enough to show what a plain peek
 * misses and `peekFifo` reads.
 */
function fakeFifo(messages: { id: string; group: string }[]) {
  let clock = 0;
  const queue = messages.map((m) => ({ ...m, visibleAt: 0, received: 0, handle: '' }));
  const send = async (command: unknown) => {
    clock++;
    if (command instanceof ReceiveMessageCommand) {
      const { MaxNumberOfMessages = 1, VisibilityTimeout = 30 } = command.input;
      const inFlight = new Set(queue.filter((m) => m.visibleAt > clock && m.received > 0).map((m) => m.group));
      const out: Message[] = [];
      for (const m of queue) {
        if (out.length >= MaxNumberOfMessages) break;
        if (m.visibleAt > clock || inFlight.has(m.group)) continue;
        m.received++;
        m.visibleAt = clock + VisibilityTimeout * 1000;
        m.handle = `${m.id}#${m.received}`;
        out.push({ MessageId: m.id, ReceiptHandle: m.handle, Attributes: { MessageGroupId: m.group } });
      }
      return { Messages: out };
    }
    if (command instanceof ChangeMessageVisibilityBatchCommand) {
      const failed = [];
      for (const entry of command.input.Entries ?? []) {
        const m = queue.find((q) => q.handle === entry.ReceiptHandle);
        if (m) m.visibleAt = clock + (entry.VisibilityTimeout ?? 0) * 1000;
        else failed.push({ Id: entry.Id });
      }
      return { Failed: failed };
    }
    throw new Error(`fake FIFO queue: unexpected ${String(command)}`);
  };
  return { sqs: { send } as unknown as SQSClient, queue, hidden: () => queue.filter((m) => m.visibleAt > clock) };
}

const options = { max: 1000, visibilitySeconds: 30, waitSeconds: 0 };
const ids = (messages: Message[]) => messages.map((m) => m.MessageId).sort();

describe('peekFifo', () => {
  // Group a's messages straddle the first receive's limit of ten: b1..b8, a1, a2 | a3 a4 c1.
  const layout = [
    ...Array.from({ length: 8 }, (_, i) => ({ id: `b${i + 1}`, group: `b${i + 1}` })),
    { id: 'a1', group: 'a' },
    { id: 'a2', group: 'a' },
    { id: 'a3', group: 'a' },
    { id: 'a4', group: 'a' },
    { id: 'c1', group: 'c' },
  ];

  it('reads the messages behind a group’s head that a plain peek misses', async () => {
    const plain = fakeFifo(layout);
    const seen = await peek(plain.sqs, 'q.fifo', options);
    expect(ids(seen.messages)).not.toContain('a3');
    expect(seen.messages).toHaveLength(11);

    const fifo = fakeFifo(layout);
    const all = await peekFifo(fifo.sqs, 'q.fifo', options);
    expect(ids(all.messages)).toEqual(ids(layout.map((m) => ({ MessageId: m.id }))));
    // Consumed nothing, and released with the newest receipt handles every message is visible again.
    expect(await release(fifo.sqs, 'q.fifo', all.messages)).toBe(0);
    expect(fifo.hidden()).toEqual([]);
  });

  it('still reads at most ten of one group: the rest stays unread, so the caller sees the shortfall', async () => {
    const big = Array.from({ length: 12 }, (_, i) => ({ id: `g${i + 1}`, group: 'g' }));
    const { sqs } = fakeFifo(big);
    const read = await peekFifo(sqs, 'q.fifo', options);
    expect(read.messages).toHaveLength(10);
  });
});
