import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { InvalidEventError } from '../../lambdas/contracts/errors';
import { keys } from '../../lambdas/contracts/keys';
import { appendEvents, type EventStoreTables } from '../../lambdas/event-store/event-store';
import { eventEntryBytes, MAX_EVENT_BYTES, newEvent, PUT_EVENTS_LIMIT_BYTES } from '../../lambdas/messages/envelope';
import { engineClientConfig } from '../../localstack/engine';
import { connect } from '../../scripts/lib/order-system';
import { type RecordingEndpoint, recordingEndpoint } from '../support/integration/recording-endpoint';
import { anOrder, finalStatusOf, system } from '../support/integration/system';

/**
 * Scenario 8: an event too big for a hop it would take is refused with a clear
 * error where it is produced, and nothing is half-written. Every event crosses
 * EventBridge (256 KiB per PutEvents entry), so the size rule is that entry's
 * size less headroom for later hops (MAX_EVENT_BYTES, lambdas/messages/envelope.ts).
 */
describe('oversized events', () => {
  const sys = system();
  let recorder: RecordingEndpoint | undefined;
  afterEach(async () => {
    await recorder?.close();
    recorder = undefined;
  });

  async function refusalOf(action: () => unknown): Promise<InvalidEventError> {
    const error = await Promise.resolve()
      .then(action)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }

  it('refuses an oversized order at the producer with its size and the limit: no saga, nothing stored, nothing queued', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 10);
    const items = [{ sku, quantity: 1, unitPrice: 25 }];
    // A 300 KiB payment token: the order is valid by its schema, and too big for the bus.
    const hugeToken = `tok_${'x'.repeat(300 * 1024)}`;

    // The event factory refuses to build it ...
    const built = await refusalOf(() => anOrder(sys, { items, paymentToken: hugeToken }));
    expect(built.reason).toBe('OVERSIZED');
    // ... and a client that builds the envelope by hand is refused by the publisher, before any request.
    const order = anOrder(sys, { items });
    const oversized = { ...order, data: { ...order.data, paymentToken: hugeToken } };
    const bytes = eventEntryBytes(oversized);
    // "Before any request" is observed, not assumed: the same publisher pointed at a loopback endpoint that
    // records every request it gets (and answers PutEvents as EventBridge would) receives nothing ...
    recorder = await recordingEndpoint(() => ({ FailedEntryCount: 0, Entries: [{ EventId: 'recorded' }] }));
    const recorded = connect(sys.outputs, { ...inject('awsEnv'), AWS_ENDPOINT_URL: recorder.url });
    const published = await refusalOf(() => recorded.placeOrder(oversized));
    expect(published.reason).toBe('OVERSIZED');
    expect(published.message).toContain(
      `OrderPlaced event ${oversized.id} is ${bytes} bytes as a PutEvents entry; the limit is ${MAX_EVENT_BYTES} bytes`,
    );
    expect(published.message).toContain(`EventBridge's ${PUT_EVENTS_LIMIT_BYTES}`);
    expect(recorder.requests).toEqual([]);
    // ... while a normal order through the same publisher does reach it, as one PutEvents: the recorder can see one.
    await recorded.placeOrder(anOrder(sys, { items }));
    expect(recorder.requests.map((r) => r.target)).toEqual(['AWSEvents.PutEvents']);
    // And against the engine the refusal is the same.
    expect((await refusalOf(() => sys.placeOrder(oversized))).reason).toBe('OVERSIZED');

    // A barrier: a normal order placed after the refused one runs to its end, so had the
    // oversized one reached the bus, its saga and fan-out would have started by now.
    const barrier = anOrder(sys, { items });
    await sys.placeOrder(barrier);
    expect(await finalStatusOf(sys, barrier.data.orderId)).toBe('CONFIRMED');

    const orderId = oversized.data.orderId;
    expect(await sys.executionsOf(orderId)).toEqual([]);
    expect(await sys.storedEvents(orderId)).toEqual([]);
    expect(await sys.serviceRecord(keys.order(orderId))).toBeUndefined();
    expect(await sys.readModel(orderId)).toBeUndefined();
    // Every event of an order reaches the timeline FIFO queue and every outcome the
    // e-mail queue; their consumers record each one (or park it): nothing for this order.
    expect(await sys.consumerRecord(keys.timeline(orderId))).toBeUndefined();
    expect(await sys.consumerRecord(keys.email(orderId, 'OrderConfirmed'))).toBeUndefined();
    expect(await sys.consumerRecord(keys.email(orderId, 'OrderCancelled'))).toBeUndefined();
    // The stock the refused order would have reserved is untouched (the barrier took 1).
    expect(await sys.stockOf(sku)).toBe(9);
  });

  it('refuses an event store append that the relay could not publish, writing nothing', async () => {
    const store: EventStoreTables = {
      eventTable: sys.outputs.EventStoreTableName,
      snapshotTable: sys.outputs.SnapshotTableName,
      snapshotEvery: 4,
    };
    const aggregateId = sys.uniqueId('oversized');
    // A source the relay never publishes, so the first event's own trip is not part of this test.
    const first = newEvent({
      type: 'InventoryReleased',
      source: 'test.oversized',
      data: { orderId: aggregateId, items: [{ sku: 'a', quantity: 1, unitPrice: 0 }] },
    });
    // 300 KiB: under DynamoDB's 400 KB item limit (the store used to take up to 350 KiB),
    // over EventBridge's 256 KiB entry limit: it would have been written and never relayed.
    const unrelayable = { ...first, id: `${first.id}-big`, metadata: { note: 'x'.repeat(300 * 1024) } };
    expect(eventEntryBytes(unrelayable)).toBeGreaterThan(PUT_EVENTS_LIMIT_BYTES);

    // The store pointed at a loopback endpoint that records every request (and answers DynamoDB's
    // TransactWriteItems with success): the refusal sends nothing, a normal append sends its transaction.
    recorder = await recordingEndpoint(() => ({}));
    const recordedDdb = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...engineClientConfig(inject('awsEnv')), endpoint: recorder.url, maxAttempts: 1 }),
    );
    const refusedUnsent = await refusalOf(() =>
      appendEvents(recordedDdb, store, { aggregateId, expectedVersion: 0, events: [first, unrelayable] }),
    );
    expect(refusedUnsent.reason).toBe('OVERSIZED');
    expect(recorder.requests).toEqual([]);
    await appendEvents(recordedDdb, store, {
      aggregateId: `${aggregateId}-recorded`,
      expectedVersion: 0,
      events: [first],
    });
    expect(recorder.requests.map((r) => r.target)).toEqual(['DynamoDB_20120810.TransactWriteItems']);

    const error = await refusalOf(() =>
      appendEvents(sys.ddb, store, { aggregateId, expectedVersion: 0, events: [first, unrelayable] }),
    );
    expect(error.reason).toBe('OVERSIZED');
    expect(error.message).toMatch(/is \d+ bytes as a PutEvents entry; the limit is \d+ bytes/);
    // All or nothing: not even the small event of the same append was written.
    expect(await sys.storedEvents(aggregateId)).toEqual([]);

    // The same stream takes a normal append afterwards, at version 1.
    await appendEvents(sys.ddb, store, { aggregateId, expectedVersion: 0, events: [first] });
    expect((await sys.storedEvents(aggregateId)).map((e) => e.version)).toEqual([1]);
  });
});
