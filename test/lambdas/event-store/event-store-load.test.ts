import { beforeEach, describe, expect, it } from 'vitest';
import { CHECKOUT_SOURCE } from '../../../lambdas/contracts/events';
import {
  appendEvents,
  type EventStoreTables,
  foldEvents,
  loadAggregate,
  readStream,
  recordFact,
  type StoredEvent,
  storedEnvelope,
} from '../../../lambdas/event-store/event-store';
import { orderAggregate } from '../../../lambdas/event-store/order-aggregate';
import { parseEnvelope } from '../../../lambdas/messages/envelope';
import { SCHEMA_VERSIONS } from '../../../lambdas/messages/schemas';
import { upcastData } from '../../../lambdas/messages/upcasters';
import { inMemoryEventStore } from '../../support/in-memory-event-store';
import { refundedOrderEvents } from '../../support/order-events';

let db: ReturnType<typeof inMemoryEventStore>;
const events = refundedOrderEvents();

beforeEach(() => {
  db = inMemoryEventStore();
});

/** Appends the events one transaction each, as the saga's services do. */
async function appendOneByOne(store: EventStoreTables, aggregateId = 'order-1', list = events) {
  for (const event of list) await recordFact(db.ddb, store, { aggregateId, event, aggregate: orderAggregate });
}

describe('the order aggregate fold', () => {
  it('folds a refunded order to its final state', () => {
    const state = foldEvents(orderAggregate, storedItems());
    expect(state).toMatchObject({
      orderId: 'order-1',
      customerId: 'customer-1',
      status: 'CANCELLED',
      stock: 'RELEASED',
      payment: { status: 'REFUNDED', paymentId: 'pay-1', amount: 60 },
      shipment: { status: 'REJECTED' },
      cancelReason: 'SHIPMENT_REJECTED',
      placedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:06:00.000Z',
      version: 7,
    });
  });
});

describe('readStream', () => {
  it('reads an aggregate in version order, page by page, from a version', async () => {
    await appendEvents(db.ddb, { eventTable: 'events' }, { aggregateId: 'order-1', expectedVersion: 0, events });
    const pages: number[][] = [];
    for await (const page of readStream(db.ddb, 'events', 'order-1', { fromVersion: 2, pageSize: 2 })) {
      pages.push(page.map((e) => e.version));
    }
    expect(pages).toEqual([
      [2, 3],
      [4, 5],
      [6, 7],
    ]);
  });
});

describe('loadAggregate', () => {
  const store: EventStoreTables = { eventTable: 'events', snapshotTable: 'snapshots', snapshotEvery: 3 };

  it('writes a snapshot whenever an append crosses a multiple of snapshotEvery', async () => {
    await appendOneByOne(store);
    expect(db.items('snapshots').map((s) => s.version)).toEqual([3, 6]);
    // A multi-event append that jumps over a multiple snapshots its last version.
    await appendEvents(db.ddb, store, {
      aggregateId: 'order-2',
      expectedVersion: 0,
      events: refundedOrderEvents('order-2').slice(0, 4),
      aggregate: orderAggregate,
    });
    expect(
      db
        .items('snapshots')
        .filter((s) => s.aggregateId === 'order-2')
        .map((s) => s.version),
    ).toEqual([4]);
  });

  it('gives the same state from the latest snapshot as from a full fold, reading only the events after it', async () => {
    await appendOneByOne(store);
    const fromSnapshot = await loadAggregate(db.ddb, store, orderAggregate, 'order-1');
    const full = await loadAggregate(db.ddb, store, orderAggregate, 'order-1', { useSnapshots: false });
    expect(fromSnapshot).toMatchObject({ version: 7, snapshotVersion: 6, eventsRead: 1 });
    expect(full).toMatchObject({ version: 7, eventsRead: 7 });
    expect(full.snapshotVersion).toBeUndefined();
    expect(fromSnapshot.state).toEqual(full.state);
    expect(fromSnapshot.state).toEqual(foldEvents(orderAggregate, storedItems()));
  });

  it('travels to a past version, from the snapshot at or before it', async () => {
    await appendOneByOne(store);
    const v5 = await loadAggregate(db.ddb, store, orderAggregate, 'order-1', { asOfVersion: 5 });
    expect(v5).toMatchObject({ version: 5, snapshotVersion: 3, eventsRead: 2 });
    expect(v5.state).toEqual(foldEvents(orderAggregate, storedItems().slice(0, 5)));
    expect(v5.state).toMatchObject({
      status: 'OPEN',
      payment: { status: 'REFUNDED' },
      shipment: { status: 'REJECTED' },
    });
  });

  it('travels to a past instant: every event at or before it', async () => {
    await appendOneByOne(store);
    const at = await loadAggregate(db.ddb, store, orderAggregate, 'order-1', {
      asOfTime: new Date('2026-01-01T00:02:30.000Z'),
    });
    expect(at.version).toBe(3);
    expect(at.state).toMatchObject({ stock: 'RESERVED', payment: { status: 'CHARGED' } });
    expect(at.state?.shipment).toBeUndefined();
    const before = await loadAggregate(db.ddb, store, orderAggregate, 'order-1', {
      asOfTime: new Date('2025-12-31T23:59:59.000Z'),
    });
    expect(before).toMatchObject({ state: undefined, version: 0 });
  });

  it('ignores snapshots of an older state shape', async () => {
    await appendOneByOne(store);
    const reshaped = { ...orderAggregate, snapshotSchemaVersion: orderAggregate.snapshotSchemaVersion + 1 };
    const loaded = await loadAggregate(db.ddb, store, reshaped, 'order-1');
    expect(loaded).toMatchObject({ version: 7, eventsRead: 7 });
    expect(loaded.snapshotVersion).toBeUndefined();
  });

  it('writes no snapshot when snapshotEvery is 0', async () => {
    await appendOneByOne({ ...store, snapshotEvery: 0 });
    expect(db.items('snapshots')).toEqual([]);
  });
});

describe('upcasting on read', () => {
  const v1Charge = {
    id: 'evt-legacy-charge',
    type: 'PaymentCharged',
    version: 1,
    time: '2026-01-01T00:02:00.000Z',
    source: 'shop.orders',
    correlationId: 'corr-1',
    data: { orderId: 'order-1', paymentId: 'pay-1', amountCents: 6000 },
    metadata: {},
  };

  it('upcasts a stored PaymentCharged v1 (integer cents) to the current v2 (amount)', () => {
    expect(SCHEMA_VERSIONS.PaymentCharged).toBe(2);
    const envelope = storedEnvelope({ envelope: JSON.stringify(v1Charge) });
    expect(envelope).toMatchObject({ version: 2, data: { orderId: 'order-1', paymentId: 'pay-1', amount: 60 } });
    expect(envelope.data).not.toHaveProperty('amountCents');
  });

  it('folds a stream that mixes schema versions as if it were written today', async () => {
    const store = { eventTable: 'events' };
    await appendEvents(db.ddb, store, { aggregateId: 'order-1', expectedVersion: 0, events: events.slice(0, 2) });
    db.put('events', {
      aggregateId: 'order-1',
      version: 3,
      eventId: v1Charge.id,
      type: v1Charge.type,
      time: v1Charge.time,
      envelope: JSON.stringify(v1Charge),
    });
    const loaded = await loadAggregate(db.ddb, store, orderAggregate, 'order-1');
    expect(loaded.state?.payment).toEqual({ status: 'CHARGED', paymentId: 'pay-1', amount: 60 });
  });

  it('lets consumers read a v1 event too, and refuses a version newer than the catalogue', () => {
    expect(parseEnvelope(JSON.stringify(v1Charge)).data).toEqual({
      orderId: 'order-1',
      paymentId: 'pay-1',
      amount: 60,
    });
    expect(() => parseEnvelope({ ...v1Charge, version: 3 })).toThrow(/newer than the supported 2/);
  });

  it('has no path for a version step without an upcaster', () => {
    expect(upcastData('OrderPlaced', { orderId: 'o' }, 1, 2)).toBeUndefined();
    expect(upcastData('OrderPlaced', { orderId: 'o' }, 1, 1)).toEqual({ orderId: 'o' });
  });

  it('refuses a v1 event whose upcast data breaks the current schema', () => {
    const broken = { ...v1Charge, data: { orderId: 'order-1', paymentId: 'pay-1', amountCents: 'lots' } };
    expect(() => parseEnvelope(broken)).toThrow(/Data of PaymentCharged is invalid/);
  });

  it('stores new events at their type current schema version', () => {
    expect(events.map((e) => e.version)).toEqual(
      events.map((e) => SCHEMA_VERSIONS[e.type as keyof typeof SCHEMA_VERSIONS]),
    );
    expect(events[0].source).toBe(CHECKOUT_SOURCE);
  });
});

function storedItems(list = events): StoredEvent[] {
  return list.map((envelope, i) => ({
    aggregateId: 'order-1',
    version: i + 1,
    eventId: envelope.id,
    type: envelope.type,
    time: envelope.time,
    envelope: JSON.stringify(envelope),
  }));
}
