import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { ORDER_HISTORY_INDEX } from '../../lambdas/contracts/keys';
import { type Envelope, newEvent } from '../../lambdas/messages/envelope';
import { engineClientConfig } from '../../localstack/engine';
import { rebuildAndCompare } from '../../scripts/lib/rebuild-read-models/rebuild';
import { streamInsert } from '../support/events';
import { anOrder, eventually, finalStatusOf, system } from '../support/integration/system';

describe('projections (the CQRS read side) on the engine', () => {
  const sys = system();

  it('skips a duplicate stream record, and holds a record that arrives after a gap until the gap closes', async () => {
    // The deployed projector, invoked with stream batches as the DynamoDB event source would send them,
    // for an aggregate that exists only in these batches (the real stream never shows a gap).
    const env = inject('awsEnv');
    const lambda = new LambdaClient(engineClientConfig(env));
    const orderId = `probe-${randomUUID().slice(0, 8)}`;
    const placed = anOrder(sys, { items: [{ sku: 'probe', quantity: 1, unitPrice: 10 }] });
    const events: Envelope[] = [
      { ...placed, data: { ...placed.data, orderId } },
      newEvent({
        type: 'InventoryReserved',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, items: placed.data.items },
      }),
      newEvent({ type: 'PaymentCharged', source: ORDER_SERVICE_SOURCE, data: { orderId, paymentId: 'p', amount: 10 } }),
      newEvent({ type: 'ShipmentArranged', source: ORDER_SERVICE_SOURCE, data: { orderId, shipmentId: 's' } }),
    ];
    const record = (version: number, sequence: string) => {
      const envelope = { ...events[version - 1], metadata: { aggregateVersion: version } };
      return streamInsert(
        {
          aggregateId: orderId,
          version,
          eventId: envelope.id,
          type: envelope.type,
          time: envelope.time,
          envelope: JSON.stringify(envelope),
        },
        sequence,
      );
    };
    const invoke = async (records: DynamoDBStreamEvent['Records']) => {
      const result = await lambda.send(
        new InvokeCommand({
          FunctionName: sys.outputs.ProjectorFunctionName,
          Payload: Buffer.from(JSON.stringify({ Records: records })),
        }),
      );
      expect(result.FunctionError, Buffer.from(result.Payload ?? []).toString()).toBeUndefined();
      return JSON.parse(Buffer.from(result.Payload ?? []).toString()) as DynamoDBBatchResponse;
    };
    try {
      // v1, v2, v2 again (a duplicate), then v4 (a gap: v3 is missing).
      const first = await invoke([record(1, '101'), record(2, '102'), record(2, '103'), record(4, '104')]);
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: '104' }]);
      expect(await sys.readModel(orderId)).toMatchObject({
        lastVersion: 2,
        status: 'RESERVED',
        history: ['OrderPlaced', 'InventoryReserved'],
      });
      // The retry from the reported record still sees the gap and applies nothing.
      expect((await invoke([record(4, '104')])).batchItemFailures).toEqual([{ itemIdentifier: '104' }]);
      expect(await sys.readModel(orderId)).toMatchObject({ lastVersion: 2 });
      // The gap closes: v3 then v4 apply in order; a late duplicate of v1 changes nothing.
      expect((await invoke([record(3, '105'), record(4, '106'), record(1, '107')])).batchItemFailures).toEqual([]);
      expect(await sys.readModel(orderId)).toMatchObject({
        lastVersion: 4,
        status: 'SHIPPING',
        history: ['OrderPlaced', 'InventoryReserved', 'PaymentCharged', 'ShipmentArranged'],
      });
    } finally {
      // This aggregate has no events in the store: leave no read-model item a rebuild could not explain.
      await sys.ddb.send(new DeleteCommand({ TableName: sys.outputs.ReadModelTableName, Key: { orderId } }));
      await sys.ddb.send(
        new DeleteCommand({
          TableName: sys.outputs.CustomerStatsTableName,
          Key: { customerId: placed.data.customerId },
        }),
      );
    }
  });

  it("answers a customer's order history through the index, and keeps the customer's statistics", async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 5);
    const customerId = sys.uniqueId('customer');
    const first = anOrder(sys, { customerId, items: [{ sku, quantity: 1, unitPrice: 40 }] });
    await sys.placeOrder(first);
    expect(await finalStatusOf(sys, first.data.orderId)).toBe('CONFIRMED');
    // Created only now, so its placedAt (the index's sort key) is strictly later than the first's.
    const second = anOrder(sys, {
      customerId,
      items: [{ sku, quantity: 2, unitPrice: 30.25 }],
      paymentToken: 'tok_declined',
    });
    await sys.placeOrder(second);
    expect(await finalStatusOf(sys, second.data.orderId)).toBe('CANCELLED');

    const history = await eventually(
      async () =>
        (
          await sys.ddb.send(
            new QueryCommand({
              TableName: sys.outputs.ReadModelTableName,
              IndexName: ORDER_HISTORY_INDEX,
              KeyConditionExpression: 'customerId = :c',
              ExpressionAttributeValues: { ':c': customerId },
            }),
          )
        ).Items ?? [],
      (items) => items.length === 2 && items.every((i) => i.status === 'CONFIRMED' || i.status === 'CANCELLED'),
      { what: "the customer's two orders in the history index" },
    );
    expect(history.map((i) => [i.orderId, i.status])).toEqual([
      [first.data.orderId, 'CONFIRMED'],
      [second.data.orderId, 'CANCELLED'],
    ]);
    const stats = await eventually(
      async () =>
        (
          await sys.ddb.send(
            new QueryCommand({
              TableName: sys.outputs.CustomerStatsTableName,
              KeyConditionExpression: 'customerId = :c',
              ExpressionAttributeValues: { ':c': customerId },
              ConsistentRead: true,
            }),
          )
        ).Items?.[0],
      (item) => item?.ordersConfirmed === 1 && item?.ordersCancelled === 1,
      { what: "the customer's statistics" },
    );
    expect(stats).toEqual({
      customerId,
      ordersPlaced: 2,
      ordersConfirmed: 1,
      ordersCancelled: 1,
      confirmedValueCents: 4000,
    });
  });

  it('rebuilds both read models from the whole event store into fresh tables that equal the live ones', async () => {
    const lines: string[] = [];
    const report = await rebuildAndCompare(sys, { settleMs: 60_000, log: (line) => lines.push(line) });
    console.log(
      `rebuild: ${report.events} events, ${report.aggregates} orders, ${report.customers} customers in ` +
        `${report.totalSeconds.toFixed(2)} s = ${report.eventsPerSecond.toFixed(0)} events/s`,
    );
    expect(report.problems).toEqual([]);
    expect(report.events).toBeGreaterThan(0);
    for (const comparison of report.comparisons) {
      expect(comparison, lines.join('\n')).toMatchObject({ different: [], missingFromLive: [], extraInLive: [] });
      expect(comparison.equal).toBe(comparison.items);
    }
    expect(report.equal).toBe(true);
    expect(lines.some((l) => l.startsWith('rebuild: scanned'))).toBe(true);
  });
});
