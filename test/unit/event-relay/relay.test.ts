import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PUT_EVENTS_BATCH, putEventsBatches, relay } from '../../../lambdas/event-relay/relay';
import {
  type Envelope,
  eventEntryBytes,
  newEvent,
  ORDER_SERVICE_SOURCE,
  PUT_EVENTS_LIMIT_BYTES,
  putEventsEntryBytes,
} from '../../../lambdas/shared/envelope';
import { orderPlaced, storedEventRecord } from '../../support/events';

const ebMock = mockClient(EventBridgeClient);
const deps = { eventBridge: new EventBridgeClient({ region: 'us-east-1' }), eventBusName: 'orders' };

const charged = (n: number) =>
  newEvent({
    type: 'PaymentCharged',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId: 'order-1', paymentId: `p${n}`, amount: 1 },
  });

beforeEach(() => ebMock.reset());

describe('relay', () => {
  it('publishes the order service events and skips events that came from the bus', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const event = charged(1);
    const response = await relay([storedEventRecord(orderPlaced(), 1, '1'), storedEventRecord(event, 2, '2')], deps);
    expect(response.batchItemFailures).toEqual([]);
    const entries = ebMock.commandCalls(PutEventsCommand)[0].args[0].input.Entries!;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'orders',
      Source: ORDER_SERVICE_SOURCE,
      DetailType: 'PaymentCharged',
    });
    expect(JSON.parse(entries[0].Detail!).id).toBe(event.id);
  });

  it('sends in batches of 10 and retries from the first refused entry', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: Array.from({ length: 10 }, () => ({ EventId: 'x' })) })
      .resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'y' }, { ErrorCode: 'InternalFailure' }] });
    const records = Array.from({ length: 12 }, (_, i) => storedEventRecord(charged(i), i + 1, String(100 + i)));
    const response = await relay(records, deps);
    expect(ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 2]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '111' }]);
  });
});

describe('relay onRefused', () => {
  it('names the refused record, its envelope and the reason the bus gave', async () => {
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    const events = [charged(1), charged(2)];
    const refusals: { sequenceNumber?: string; eventId: string; reason: string }[] = [];
    await relay([storedEventRecord(events[0], 1, '201'), storedEventRecord(events[1], 2, '202')], {
      ...deps,
      onRefused: ({ record, envelope, reason }) =>
        refusals.push({ sequenceNumber: record.dynamodb?.SequenceNumber, eventId: envelope.id, reason }),
    });
    expect(refusals).toEqual([
      { sequenceNumber: '202', eventId: events[1].id, reason: 'ThrottlingException: slow down' },
    ]);
  });

  it('reports a failed call as a refusal of the batch head, with the error', async () => {
    ebMock.on(PutEventsCommand).rejects(new Error('network down'));
    const event = charged(1);
    const reasons: string[] = [];
    const response = await relay([storedEventRecord(event, 1, '301')], {
      ...deps,
      onRefused: ({ reason }) => reasons.push(reason),
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '301' }]);
    expect(reasons).toEqual(['Error: network down']);
  });
});

/** `event` padded (metadata note) so its PutEvents entry is `bytes` long; built past newEvent's own check. */
function padded(event: Envelope, bytes: number): Envelope {
  const bare = { ...event, metadata: { note: '' } };
  return { ...bare, metadata: { note: 'x'.repeat(bytes - eventEntryBytes(bare)) } };
}

describe('putEventsBatches', () => {
  it('keeps a request to 10 entries', () => {
    const sizes = Array.from({ length: 23 }, () => ({ bytes: 100 }));
    expect(putEventsBatches(sizes).map((b) => b.length)).toEqual([PUT_EVENTS_BATCH, PUT_EVENTS_BATCH, 3]);
  });

  it('keeps the entries of a request to 256 KiB together, an exact fit staying in one request', () => {
    const half = PUT_EVENTS_LIMIT_BYTES / 2;
    expect(putEventsBatches([{ bytes: half }, { bytes: half }, { bytes: 1 }]).map((b) => b.length)).toEqual([2, 1]);
    expect(putEventsBatches([{ bytes: 100_000 }, { bytes: 100_000 }, { bytes: 100_000 }]).map((b) => b.length)).toEqual(
      [2, 1],
    );
  });

  it('keeps entry order', () => {
    const items = [5, 200_000, 100_000, 7].map((bytes, i) => ({ bytes, i }));
    expect(putEventsBatches(items).map((b) => b.map((x) => x.i))).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });
});

describe('relay and the PutEvents size limits', () => {
  it('splits large events into requests that EventBridge accepts (at most 256 KiB of entries each)', async () => {
    ebMock.on(PutEventsCommand).callsFake((input) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'x' })),
    }));
    const events = [1, 2, 3].map((n) => padded(charged(n), 100_000));
    const response = await relay(
      events.map((e, i) => storedEventRecord(e, i + 1, String(400 + i))),
      deps,
    );
    expect(response.batchItemFailures).toEqual([]);
    const requests = ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(requests.map((r) => r.length)).toEqual([2, 1]);
    for (const entries of requests) {
      const total = entries.reduce((sum, entry) => sum + putEventsEntryBytes(entry), 0);
      expect(total).toBeLessThanOrEqual(PUT_EVENTS_LIMIT_BYTES);
    }
  });

  it('never sends an entry over the limit: publishes the events before it, then reports it with its size', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }] });
    const before = charged(1);
    // Stored before the event store refused such events: 300 KiB, under DynamoDB's item limit.
    const oversized = padded(charged(2), 300 * 1024);
    const after = charged(3);
    const reasons: string[] = [];
    const response = await relay(
      [storedEventRecord(before, 1, '501'), storedEventRecord(oversized, 2, '502'), storedEventRecord(after, 3, '503')],
      { ...deps, onRefused: ({ reason }) => reasons.push(reason) },
    );
    const sent = ebMock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!);
    expect(sent.map((entry) => JSON.parse(entry.Detail!).id)).toEqual([before.id]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '502' }]);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^OVERSIZED: PaymentCharged event .* is \d+ bytes as a PutEvents entry/);
    expect(reasons[0]).toContain(`limit is ${PUT_EVENTS_LIMIT_BYTES} bytes`);
  });
});
