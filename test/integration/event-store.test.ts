import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppendTooLargeError, ConcurrencyError } from '../../lambdas/contracts/errors';
import {
  appendEvents,
  type EventStoreTables,
  loadAggregate,
  readStream,
  storedEnvelope,
} from '../../lambdas/event-store/event-store';
import { orderAggregate } from '../../lambdas/event-store/order-aggregate';
import { type Envelope, newEvent } from '../../lambdas/messages/envelope';
import { applyEvent, type OrderSummary } from '../../lambdas/projector/order-summary';
import { anOrder, eventually, finalStatusOf, system } from '../support/integration/system';

/** Events for the race: valid catalogue events from a source the relay never publishes. */
function raceEvent(aggregateId: string, writer: number): Envelope {
  return newEvent({
    type: 'InventoryReleased',
    source: 'test.event-store-race',
    data: { orderId: aggregateId, items: [{ sku: `writer-${writer}`, quantity: 1, unitPrice: 0 }] },
  });
}

describe('event store on the engine', () => {
  const sys = system();
  const store: EventStoreTables = {
    eventTable: sys.outputs.EventStoreTableName,
    snapshotTable: sys.outputs.SnapshotTableName,
    snapshotEvery: 4,
  };

  it('lets exactly one of many concurrent writers at the same version win, every time, writing all or nothing', async () => {
    const rounds = 40;
    const writers = 5;
    const figures = { attempts: 0, winners: 0, conflicts: 0, roundsWithOneWinner: 0 };
    for (let round = 0; round < rounds; round++) {
      const aggregateId = `race-${randomUUID().slice(0, 8)}`;
      // Even rounds race to create the aggregate; odd rounds race at version 1 with two events each.
      const expectedVersion = round % 2;
      if (expectedVersion === 1) {
        await appendEvents(sys.ddb, store, { aggregateId, expectedVersion: 0, events: [raceEvent(aggregateId, -1)] });
      }
      const attempts = Array.from({ length: writers }, (_, w) => {
        const events =
          expectedVersion === 0 ? [raceEvent(aggregateId, w)] : [raceEvent(aggregateId, w), raceEvent(aggregateId, w)];
        return appendEvents(sys.ddb, store, { aggregateId, expectedVersion, events }).then(() => events);
      });
      const results = await Promise.allSettled(attempts);
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      figures.attempts += writers;
      figures.winners += won.length;
      figures.conflicts += lost.length;
      if (won.length === 1) figures.roundsWithOneWinner++;

      expect(won, `round ${round}`).toHaveLength(1);
      for (const error of lost) {
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ aggregateId, expectedVersion, actualVersion: expectedVersion + won[0].length });
      }
      // The stream holds the winner's events and nothing of the losers'.
      const stored = [];
      for await (const page of readStream(sys.ddb, store.eventTable, aggregateId)) stored.push(...page);
      expect(stored.slice(expectedVersion).map((e) => e.eventId)).toEqual(won[0].map((e) => e.id));
      expect(stored.map((e) => e.version)).toEqual(stored.map((_, i) => i + 1));
    }
    console.log(`event-store race: ${JSON.stringify({ rounds, writers, ...figures })}`);
    expect(figures).toEqual({
      attempts: rounds * writers,
      winners: rounds,
      conflicts: rounds * (writers - 1),
      roundsWithOneWinner: rounds,
    });
  });

  it("snapshots a saga's order stream, and loading from the snapshot equals the full fold, at any version or time", async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 2);
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 12.5 }] });
    await sys.placeOrder(order);
    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CONFIRMED');
    const orderId = order.data.orderId;

    // The local stage snapshots every 4 events: the services wrote one at version 4.
    const fromSnapshot = await loadAggregate(sys.ddb, store, orderAggregate, orderId);
    const full = await loadAggregate(sys.ddb, store, orderAggregate, orderId, { useSnapshots: false });
    expect(fromSnapshot).toMatchObject({ version: 5, snapshotVersion: 4, eventsRead: 1 });
    expect(full).toMatchObject({ version: 5, eventsRead: 5 });
    expect(fromSnapshot.state).toEqual(full.state);
    expect(full.state).toMatchObject({
      status: 'CONFIRMED',
      stock: 'RESERVED',
      payment: { status: 'CHARGED', amount: 12.5 },
    });

    const atTwo = await loadAggregate(sys.ddb, store, orderAggregate, orderId, { asOfVersion: 2 });
    expect(atTwo).toMatchObject({ version: 2, state: { status: 'OPEN', stock: 'RESERVED' } });
    expect(atTwo.state?.payment).toBeUndefined();
    const stored = await sys.storedEvents(orderId);
    const thirdEventTime = new Date(storedEnvelope(stored[2]).time);
    const atTime = await loadAggregate(sys.ddb, store, orderAggregate, orderId, { asOfTime: thirdEventTime });
    expect(atTime.version).toBeGreaterThanOrEqual(3);
    expect(atTime.state).toMatchObject({ payment: { status: 'CHARGED' } });

    // And the live read model is the projection's fold of the same events.
    const folded = stored.reduce<OrderSummary | undefined>(
      (state, item) => applyEvent(state, storedEnvelope(item), item.version),
      undefined,
    );
    const readModel = await eventually(
      () => sys.readModel(orderId),
      (item) => item?.lastVersion === 5,
      { what: 'the projector to apply all five events' },
    );
    expect(readModel).toEqual(folded);
  });

  it('refuses an append too big for one transaction with a clear error, writing nothing', async () => {
    const aggregateId = `too-big-${randomUUID().slice(0, 8)}`;
    // Each event within the size rule (MAX_EVENT_BYTES), together over DynamoDB's 4 MB per transaction.
    const big = { ...raceEvent(aggregateId, 0), metadata: { padding: 'x'.repeat(235 * 1024) } };
    const error = await appendEvents(sys.ddb, store, {
      aggregateId,
      expectedVersion: 0,
      events: Array.from({ length: 18 }, () => big),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(AppendTooLargeError);
    expect(error.message).toMatch(/exceeds DynamoDB's 4194304 bytes per transaction/);
    expect(await sys.storedEvents(aggregateId)).toEqual([]);
  });
});
