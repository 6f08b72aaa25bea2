import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES, ORDER_SERVICE_SOURCE } from '../../../lambdas/contracts/events';
import {
  PUT_EVENTS_BATCH,
  putEventsBatches,
  relay,
  SEND_MESSAGE_BATCH_LIMIT_BYTES,
} from '../../../lambdas/event-relay/relay';
import { appendPut, type StoredEvent } from '../../../lambdas/event-store/event-store';
import {
  type Envelope,
  eventEntryBytes,
  newEvent,
  PUT_EVENTS_LIMIT_BYTES,
  putEventsEntryBytes,
} from '../../../lambdas/messages/envelope';
import { orderPlaced, storedEventRecord, streamInsert } from '../../support/events';

const ebMock = mockClient(EventBridgeClient);
const sqsMock = mockClient(SQSClient);
const TIMELINE = 'https://sqs.us-east-1.amazonaws.com/123456789012/timeline.fifo';
const deps = {
  eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
  eventBusName: 'orders',
  sqs: new SQSClient({ region: 'us-east-1' }),
  timelineQueueUrl: TIMELINE,
};

/** The timeline queue accepts every entry. */
const queueAcceptsAll = () =>
  sqsMock.on(SendMessageBatchCommand).callsFake((input) => ({
    Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
    Failed: [],
  }));
/** Every entry sent to the timeline queue, in the order sent. */
const queued = () => sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!);

const charged = (n: number) =>
  newEvent({
    type: 'PaymentCharged',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId: 'order-1', paymentId: `p${n}`, amount: 1 },
  });

beforeEach(() => {
  ebMock.reset();
  sqsMock.reset();
  queueAcceptsAll();
});

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
    expect(queued().map((entry) => entry.MessageDeduplicationId)).toEqual([before.id]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '502' }]);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^OVERSIZED: PaymentCharged event .* is \d+ bytes as a PutEvents entry/);
    expect(reasons[0]).toContain(`limit is ${PUT_EVENTS_LIMIT_BYTES} bytes`);
  });
});

/** A stream INSERT of the item the event store writes (appendPut: the envelope carries its version). */
function stored(envelope: Envelope, aggregateId: string, version: number, sequenceNumber: string) {
  const item = appendPut('events', aggregateId, version, envelope).Put?.Item as StoredEvent;
  return streamInsert(item, sequenceNumber);
}
const chargedFor = (orderId: string, n: number) =>
  newEvent({
    type: 'PaymentCharged',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId, paymentId: `p${n}`, amount: 1 },
  });

describe('relay to the order timeline queue (message group = order id)', () => {
  beforeEach(() => {
    ebMock.on(PutEventsCommand).callsFake((input) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'x' })),
    }));
  });

  it('sends every stored event, OrderPlaced included, in stream order: group = order id, dedup id = event id, body = the stored envelope', async () => {
    const placedA = orderPlaced({ orderId: 'order-a' });
    const placedB = orderPlaced({ orderId: 'order-b' });
    const chargedA = chargedFor('order-a', 1);
    const records = [
      stored(placedA, 'order-a', 1, '11'),
      stored(placedB, 'order-b', 1, '12'),
      stored(chargedA, 'order-a', 2, '13'),
    ];
    const response = await relay(records, deps);
    expect(response.batchItemFailures).toEqual([]);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input.QueueUrl).toBe(TIMELINE);
    expect(
      queued().map((e) => ({
        group: e.MessageGroupId,
        dedup: e.MessageDeduplicationId,
        body: JSON.parse(e.MessageBody!),
      })),
    ).toEqual([
      { group: 'order-a', dedup: placedA.id, body: { ...placedA, metadata: { aggregateVersion: 1 } } },
      { group: 'order-b', dedup: placedB.id, body: { ...placedB, metadata: { aggregateVersion: 1 } } },
      { group: 'order-a', dedup: chargedA.id, body: { ...chargedA, metadata: { aggregateVersion: 2 } } },
    ]);
    // Entry ids are unique within the request.
    expect(new Set(queued().map((e) => e.Id)).size).toBe(3);
    // OrderPlaced came from checkout: it is on the bus already, so only the charge is published there.
    const published = ebMock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!);
    expect(published.map((e) => JSON.parse(e.Detail!).id)).toEqual([chargedA.id]);
  });

  it('sends to the timeline only what the routing table relays: a stored event from another source stays out', async () => {
    const chargedA = chargedFor('order-a', 1);
    const foreign = { ...chargedFor('order-a', 2), source: 'someone.else' };
    const response = await relay([stored(chargedA, 'order-a', 2, '21'), stored(foreign, 'order-a', 3, '22')], deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(queued().map((e) => e.MessageDeduplicationId)).toEqual([chargedA.id]);
  });

  it('sends in requests of 10, in order', async () => {
    const events = Array.from({ length: 12 }, (_, i) => chargedFor('order-1', i));
    await relay(
      events.map((e, i) => stored(e, 'order-1', i + 1, String(600 + i))),
      deps,
    );
    expect(sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 2]);
    expect(queued().map((e) => e.MessageDeduplicationId)).toEqual(events.map((e) => e.id));
  });

  it('keeps a request to 256 KiB of bodies', async () => {
    const events = [1, 2, 3].map((n) => padded(chargedFor('order-1', n), 100_000));
    await relay(
      events.map((e, i) => stored(e, 'order-1', i + 1, String(650 + i))),
      deps,
    );
    const requests = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!);
    expect(requests.map((r) => r.length)).toEqual([2, 1]);
    for (const entries of requests) {
      const bytes = entries.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody!, 'utf8'), 0);
      expect(bytes).toBeLessThanOrEqual(SEND_MESSAGE_BATCH_LIMIT_BYTES);
    }
  });

  it('retries from the first entry the queue refused: nothing after it is sent, it is the batch item failure', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input) => ({
      Successful: input.Entries.filter((e: { Id: string }) => e.Id !== '1').map((e: { Id: string }) => ({ Id: e.Id })),
      Failed: [{ Id: '1', Code: 'InternalError', Message: 'try again', SenderFault: false }],
    }));
    const events = Array.from({ length: 12 }, (_, i) => chargedFor('order-1', i));
    const reasons: { sequenceNumber?: string; eventId: string; reason: string }[] = [];
    const response = await relay(
      events.map((e, i) => stored(e, 'order-1', i + 1, String(700 + i))),
      {
        ...deps,
        onRefused: ({ record, envelope, reason }) =>
          reasons.push({ sequenceNumber: record.dynamodb?.SequenceNumber, eventId: envelope.id, reason }),
      },
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '701' }]);
    expect(reasons).toEqual([
      { sequenceNumber: '701', eventId: events[1].id, reason: 'timeline queue: InternalError: try again' },
    ]);
    // The second request (records 10 and 11) is never sent.
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it('reports a failed call as a refusal of the request head, and an entry neither sent nor refused as a refusal', async () => {
    const events = [chargedFor('order-1', 1), chargedFor('order-1', 2)];
    const records = events.map((e, i) => stored(e, 'order-1', i + 1, String(800 + i)));
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('network down'));
    const reasons: string[] = [];
    const onRefused = ({ reason }: { reason: string }) => reasons.push(reason);
    expect((await relay(records, { ...deps, onRefused })).batchItemFailures).toEqual([{ itemIdentifier: '800' }]);

    sqsMock.reset();
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: '' }] });
    expect((await relay(records, { ...deps, onRefused })).batchItemFailures).toEqual([{ itemIdentifier: '801' }]);
    expect(reasons).toEqual(['timeline queue: Error: network down', 'timeline queue: entry neither sent nor refused']);
  });

  it('sends to the queue only the records before the first one the bus refused, so neither path skips one', async () => {
    ebMock.reset();
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }, { EventId: 'c' }],
    });
    const placed = orderPlaced();
    const events = [chargedFor('order-1', 1), chargedFor('order-1', 2), chargedFor('order-1', 3)];
    const response = await relay(
      [stored(placed, 'order-1', 1, '900'), ...events.map((e, i) => stored(e, 'order-1', i + 2, String(901 + i)))],
      deps,
    );
    // The bus refused events[1] (record 902): the queue gets OrderPlaced and events[0] only.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '902' }]);
    expect(queued().map((e) => e.MessageDeduplicationId)).toEqual([placed.id, events[0].id]);
  });

  it('reports the earlier record when the queue refuses one before the bus does', async () => {
    ebMock.reset();
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { EventId: 'b' }, { ErrorCode: 'InternalFailure' }],
    });
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: '' }],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    const events = [1, 2, 3].map((n) => chargedFor('order-1', n));
    const response = await relay(
      events.map((e, i) => stored(e, 'order-1', i + 1, String(950 + i))),
      deps,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '951' }]);
  });
});

describe('the timeline receives the same events as before the relay took the route over', () => {
  it('every event type the event store holds matched the removed rule (Order*, Inventory*, Payment*, Shipment*)', () => {
    // The removed rule OrderEventsToTimeline matched these detail-type prefixes; the relay sends every stored event.
    const matchedBefore = /^(Order|Inventory|Payment|Shipment)/;
    expect(EVENT_TYPES.filter((type) => !matchedBefore.test(type))).toEqual([]);
  });
});
