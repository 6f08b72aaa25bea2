import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { CHECKOUT_SOURCE, ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { keys } from '../../lambdas/contracts/keys';
import {
  appendEvents,
  type EventStoreTables,
  loadAggregate,
  readStream,
  type StoredEvent,
  storedEnvelope,
} from '../../lambdas/event-store/event-store';
import { orderAggregate } from '../../lambdas/event-store/order-aggregate';
import { newEvent } from '../../lambdas/messages/envelope';
import { SCHEMA_VERSIONS } from '../../lambdas/messages/schemas';
import { eventually, system } from '../support/integration/system';

const ROOT = resolve(__dirname, '..', '..');

/**
 * Issue 15 point 5, "upcasting is unit-tested only": a PaymentCharged stored at
 * schema v1 (integer `amountCents`, the shape before v2's decimal `amount`:
 * lambdas/messages/upcasters.ts) is written straight into the deployed event
 * store, as a writer of that time did, and read back by every reader of the
 * store the system has on the engine: the aggregate loader (`npm run aggregate`,
 * run as the CLI), the projector Lambda (the read model, fed by the table's
 * stream) and the relay Lambda with the timeline consumer behind it (the FIFO
 * queue). Each sees the v2 shape; the stored item is never rewritten.
 */
describe('a stored v1 event read through the upcaster on the engine', () => {
  const sys = system();
  const store: EventStoreTables = {
    eventTable: sys.outputs.EventStoreTableName,
    snapshotTable: sys.outputs.SnapshotTableName,
  };

  it('is folded, projected, relayed and shown as v2 by every reader, and stays v1 in the table', async () => {
    expect(SCHEMA_VERSIONS.PaymentCharged, 'the worked example upcasts PaymentCharged from v1').toBe(2);
    const orderId = sys.uniqueId('upcast-order');
    const customerId = sys.uniqueId('upcast-customer');
    const paymentId = sys.uniqueId('upcast-payment');

    // Version 1: an OrderPlaced as checkout sends it (today's shape), appended the way AcceptOrder does.
    const placed = newEvent({
      type: 'OrderPlaced',
      source: CHECKOUT_SOURCE,
      data: {
        orderId,
        customerId,
        items: [{ sku: 'upcast-sku', quantity: 1, unitPrice: 19.99 }],
        total: 19.99,
        currency: 'EUR',
        paymentToken: 'tok_visa',
        shipToCountry: 'DE',
      },
    });
    await appendEvents(sys.ddb, store, { aggregateId: orderId, expectedVersion: 0, events: [placed] });

    // Version 2: a PaymentCharged as the payment service wrote it at schema v1, put straight into the
    // table in the item shape of the store (StoredEvent), with no code of today's writers on the way.
    const oldEnvelope = {
      id: sys.uniqueId('upcast-event'),
      type: 'PaymentCharged',
      version: 1,
      time: new Date().toISOString(),
      source: ORDER_SERVICE_SOURCE,
      correlationId: placed.correlationId,
      causationId: placed.id,
      data: { orderId, paymentId, amountCents: 1999 },
      metadata: { aggregateVersion: 2 },
    };
    const oldItem: StoredEvent = {
      aggregateId: orderId,
      version: 2,
      eventId: oldEnvelope.id,
      type: oldEnvelope.type,
      time: oldEnvelope.time,
      envelope: JSON.stringify(oldEnvelope),
    };
    await sys.ddb.send(
      new PutCommand({
        TableName: store.eventTable,
        Item: oldItem,
        ConditionExpression: 'attribute_not_exists(version)',
      }),
    );

    // The aggregate loader (the fold behind `npm run aggregate`, snapshots and audits): amount in euros.
    const loaded = await loadAggregate(sys.ddb, store, orderAggregate, orderId, { useSnapshots: false });
    expect(loaded).toMatchObject({ version: 2, eventsRead: 2 });
    expect(loaded.state).toMatchObject({
      orderId,
      customerId,
      status: 'OPEN',
      payment: { status: 'CHARGED', paymentId, amount: 19.99 },
    });
    const read = [];
    for await (const page of readStream(sys.ddb, store.eventTable, orderId)) read.push(...page.map(storedEnvelope));
    expect(read.map((e) => [e.type, e.version])).toEqual([
      ['OrderPlaced', SCHEMA_VERSIONS.OrderPlaced],
      ['PaymentCharged', 2],
    ]);
    expect(read[1].data).toEqual({ orderId, paymentId, amount: 19.99 });
    expect(read[1]).toMatchObject({ id: oldEnvelope.id, correlationId: placed.correlationId });

    // The operator's command, run as a person runs it, against this engine and deployment.
    const cli = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['scripts/show-aggregate.ts', orderId, '--events'],
      {
        cwd: ROOT,
        env: { ...process.env, ...inject('awsEnv') },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`aggregate: order ${orderId} at version 2`);
    expect(cli.stdout).toMatch(/"amount": 19\.99/);
    expect(cli.stdout).not.toContain('amountCents');
    expect(cli.stdout).toContain(`PaymentCharged (schema v2)  ${oldEnvelope.id}`);

    // The projector Lambda read the stream record through the same parse: a v1 body it could not upcast
    // would have failed validation (no `amount`) and stopped the projection at version 1.
    const summary = await eventually(
      () => sys.readModel(orderId),
      (item) => item?.lastVersion === 2,
      { timeoutMs: 60_000, what: 'the projector to apply the v1 PaymentCharged' },
    );
    expect(summary).toMatchObject({ status: 'PAID', history: ['OrderPlaced', 'PaymentCharged'], customerId });

    // The relay sent both stored events to the timeline's FIFO queue; the timeline consumer parses each
    // body with parseEnvelope (upcasting) before it appends it, so v2 arrives as the order's second entry.
    const timeline = await eventually(
      () => sys.consumerRecord(keys.timeline(orderId)),
      (item) => (item?.entries as string[] | undefined)?.length === 2,
      { timeoutMs: 60_000, what: 'the timeline consumer to append both events' },
    );
    expect(timeline?.entries).toEqual(['1:OrderPlaced', '2:PaymentCharged']);
    expect(timeline?.missingSequences).toBeUndefined();

    // Stored events are never rewritten: the table still holds the v1 body as it was written.
    const stored = await sys.storedEvents(orderId);
    expect(stored.map((item) => item.version)).toEqual([1, 2]);
    expect(JSON.parse(stored[1].envelope)).toEqual(oldEnvelope);
  });
});
