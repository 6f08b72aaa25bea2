import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AppendTooLargeError,
  ConcurrencyError,
  InvalidEventError,
  WriteConditionFailedError,
} from '../../../lambdas/contracts/errors';
import {
  appendEvents,
  MAX_TRANSACTION_ITEMS,
  recordFact,
  type TransactItem,
} from '../../../lambdas/event-store/event-store';
import { eventEntryBytes, MAX_EVENT_BYTES, PUT_EVENTS_LIMIT_BYTES } from '../../../lambdas/messages/envelope';
import { orderPlaced } from '../../support/events';
import { inMemoryEventStore } from '../../support/in-memory-event-store';
import { refundedOrderEvents } from '../../support/order-events';

let db: ReturnType<typeof inMemoryEventStore>;
const store = { eventTable: 'events' };
const events = refundedOrderEvents();
const versions = () => db.items('events').map((i) => i.version);

beforeEach(() => {
  db = inMemoryEventStore();
});

describe('appendEvents', () => {
  it('appends several events at the expected version in one transaction, numbering them from it', async () => {
    await expect(
      appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 0, events: events.slice(0, 3) }),
    ).resolves.toEqual({ fromVersion: 1, toVersion: 3 });
    await appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 3, events: events.slice(3) });
    expect(versions()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(db.items('events').map((i) => i.eventId)).toEqual(events.map((e) => e.id));
    expect(db.mock.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('rejects a stale expected version with the expected and actual versions, writing nothing', async () => {
    await appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 0, events: events.slice(0, 2) });
    const error = await appendEvents(db.ddb, store, {
      aggregateId: 'order-1',
      expectedVersion: 1,
      events: events.slice(2, 4),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ aggregateId: 'order-1', expectedVersion: 1, actualVersion: 2 });
    expect(error.message).toBe('Aggregate order-1: expected version 1, but it is at version 2; nothing was written');
    expect(versions()).toEqual([1, 2]);
  });

  it('rejects an expected version ahead of the store instead of leaving a gap', async () => {
    await appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 0, events: events.slice(0, 1) });
    const error = await appendEvents(db.ddb, store, {
      aggregateId: 'order-1',
      expectedVersion: 3,
      events: events.slice(1, 2),
    }).catch((e) => e);
    expect(error).toMatchObject({ name: 'ConcurrencyError', expectedVersion: 3, actualVersion: 1 });
    expect(versions()).toEqual([1]);
  });

  it('lets exactly one of many concurrent writers at the same version win', async () => {
    await appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 0, events: events.slice(0, 1) });
    const results = await Promise.allSettled(
      events
        .slice(1)
        .map((event) => appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 1, events: [event] })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(losers).toHaveLength(events.length - 2);
    for (const loser of losers) expect(loser).toMatchObject({ name: 'ConcurrencyError', actualVersion: 2 });
    expect(versions()).toEqual([1, 2]);
  });

  it('commits all or nothing with the caller writes, naming the caller write whose condition failed', async () => {
    const ownWrite: TransactItem = {
      Put: {
        TableName: 'state',
        Item: { aggregateId: 'x', version: 0 },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    db.put('state', { aggregateId: 'x', version: 0 });
    const error = await appendEvents(db.ddb, store, {
      aggregateId: 'order-1',
      expectedVersion: 0,
      events: events.slice(0, 3),
      writes: [ownWrite],
    }).catch((e) => e);
    expect(error).toBeInstanceOf(WriteConditionFailedError);
    expect(error.failedIndexes).toEqual([0]);
    expect(versions()).toEqual([]);
  });

  it('asks again when DynamoDB cancels for a conflicting transaction in flight', async () => {
    db.injectConflicts(2);
    await expect(
      appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 0, events: events.slice(0, 1) }),
    ).resolves.toEqual({ fromVersion: 1, toVersion: 1 });
  });

  it('refuses an event too big for one item before writing anything', async () => {
    const huge = { ...orderPlaced(), metadata: { note: 'x'.repeat(400 * 1024) } };
    const error = await appendEvents(db.ddb, store, {
      aggregateId: 'order-1',
      expectedVersion: 0,
      events: [events[0], huge],
    }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.reason).toBe('OVERSIZED');
    expect(db.mock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('refuses an event the relay could not put on the bus (over 256 KiB, under DynamoDB’s 400 KB), writing nothing', async () => {
    // Such an event used to be stored and then stick at the relay for ever: written, never published.
    const unrelayable = { ...events[1], metadata: { note: 'x'.repeat(300 * 1024) } };
    expect(eventEntryBytes(unrelayable)).toBeGreaterThan(PUT_EVENTS_LIMIT_BYTES);
    const error = await appendEvents(db.ddb, store, {
      aggregateId: 'order-1',
      expectedVersion: 0,
      events: [events[0], unrelayable],
    }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.reason).toBe('OVERSIZED');
    expect(error.message).toMatch(
      new RegExp(`is \\d+ bytes as a PutEvents entry; the limit is ${MAX_EVENT_BYTES} bytes`),
    );
    expect(db.mock.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(versions()).toEqual([]);
  });

  it('stores an event right at the size rule, and what it stores can still be relayed', async () => {
    const bare = { ...events[0], metadata: { note: '' } };
    const atLimit = { ...bare, metadata: { note: 'x'.repeat(MAX_EVENT_BYTES - eventEntryBytes(bare)) } };
    await appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 0, events: [atLimit] });
    expect(versions()).toEqual([1]);
    const put = db.mock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!.find((i) => i.Put)!;
    const stored = JSON.parse(put.Put!.Item!.envelope as string);
    expect(stored.metadata.aggregateVersion).toBe(1);
    expect(eventEntryBytes(stored)).toBeLessThanOrEqual(PUT_EVENTS_LIMIT_BYTES);
  });

  it('refuses an append that cannot fit one transaction, by item count or by bytes', async () => {
    const many = Array.from({ length: MAX_TRANSACTION_ITEMS + 1 }, () => events[1]);
    await expect(appendEvents(db.ddb, store, { aggregateId: 'a', expectedVersion: 0, events: many })).rejects.toThrow(
      AppendTooLargeError,
    );
    // Each event within the size rule, together over DynamoDB's 4 MB per transaction.
    const big = { ...events[1], metadata: { note: 'x'.repeat(235 * 1024) } };
    const heavy = Array.from({ length: 18 }, () => big);
    await expect(appendEvents(db.ddb, store, { aggregateId: 'a', expectedVersion: 0, events: heavy })).rejects.toThrow(
      /bytes per transaction/,
    );
    expect(versions()).toEqual([]);
  });

  it('refuses nonsense input with a clear error', async () => {
    await expect(appendEvents(db.ddb, store, { aggregateId: 'a', expectedVersion: 0, events: [] })).rejects.toThrow(
      'at least one event',
    );
    await expect(
      appendEvents(db.ddb, store, { aggregateId: 'a', expectedVersion: -1, events: events.slice(0, 1) }),
    ).rejects.toThrow('expectedVersion must be a whole number');
  });
});

describe('recordFact', () => {
  it('appends at the next version whatever the current one is', async () => {
    await appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 0, events: events.slice(0, 4) });
    await expect(recordFact(db.ddb, store, { aggregateId: 'order-1', event: events[4] })).resolves.toEqual({
      version: 5,
    });
  });
});
