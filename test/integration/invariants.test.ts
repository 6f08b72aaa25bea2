import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/contracts/keys';
import { verifyInvariants } from '../../scripts/lib/invariants';
import { expectInvariants } from '../support/integration/invariants';
import { anOrder, eventually, finalStatusOf, type System, system } from '../support/integration/system';

/**
 * The invariant checker must catch what it exists to catch. A real order runs
 * through the system and passes; then violations are planted straight into the
 * consumer-state table (the consumers' effects) and the checker must name them:
 * an e-mail sent twice is double-applied, an analytics effect that never
 * happened and is in no DLQ is lost, and one whose message sits in a DLQ is
 * parked, not lost.
 */
describe('invariant checker', () => {
  let sys: System;
  let orderId: string;
  let customerId: string;
  let sku: string;

  beforeAll(async () => {
    sys = system();
    sku = sys.uniqueId('inv-sku');
    await sys.seedStock(sku, 10);
    const order = anOrder(sys, { items: [{ sku, quantity: 2, unitPrice: 60 }] });
    orderId = order.data.orderId;
    customerId = order.data.customerId;
    await sys.placeOrder(order);
    expect(await finalStatusOf(sys, orderId)).toBe('CONFIRMED');
  });

  it('passes an order that kept every invariant (one final state, effects once, stock arithmetic)', async () => {
    const report = await expectInvariants(sys, [orderId], { stockBefore: { [sku]: 10 } });
    expect(report.orders[0]).toMatchObject({ orderId, finalStatus: 'CONFIRMED', lost: [], doubleApplied: [] });
    expect(report.totals).toMatchObject({ orders: 1, final: 1, lost: 0, doubleApplied: 0, violations: 0 });
  });

  it('reports a stock level that does not match the confirmed quantities', async () => {
    const report = await verifyInvariants(sys, [orderId], { stockBefore: { [sku]: 11 } });
    expect(report.ok).toBe(false);
    expect(report.violations).toEqual([`stock of ${sku}: 8 after, expected 9 (11 before − 2 confirmed)`]);
  });

  it('reports an effect applied twice as double-applied, and expectInvariants fails naming it', async () => {
    const table = sys.outputs.ConsumerStateTableName;
    await eventually(
      () => sys.consumerRecord(keys.email(orderId, 'OrderConfirmed')),
      (item) => item?.sends === 1,
      { what: 'the confirmation e-mail' },
    );
    await sys.ddb.send(
      new PutCommand({ TableName: table, Item: { ...keys.email(orderId, 'OrderConfirmed'), sends: 2 } }),
    );
    try {
      const report = await verifyInvariants(sys, [orderId]);
      expect(report.totals.doubleApplied).toBe(1);
      expect(report.orders[0].doubleApplied).toEqual([
        expect.stringMatching(/^email OrderConfirmed \(event .+\) applied 2 times$/),
      ]);
      await expect(expectInvariants(sys, [orderId], { timeoutMs: 0 })).rejects.toThrow(
        new RegExp(`${orderId} \\(CONFIRMED\\): double: email OrderConfirmed .* applied 2 times`),
      );
    } finally {
      await sys.ddb.send(
        new PutCommand({ TableName: table, Item: { ...keys.email(orderId, 'OrderConfirmed'), sends: 1 } }),
      );
    }
  });

  it('reports a message neither processed nor parked as lost, and one found in a DLQ as parked', async () => {
    const table = sys.outputs.ConsumerStateTableName;
    const analytics = await eventually(
      () => sys.consumerRecord(keys.analytics(orderId)),
      (item) => item !== undefined,
      { what: 'the analytics effect' },
    );
    // As if the analytics consumer never received the outcome.
    await sys.ddb.send(new DeleteCommand({ TableName: table, Key: keys.analytics(orderId) }));
    try {
      const lost = await verifyInvariants(sys, [orderId]);
      expect(lost.totals.lost).toBe(1);
      expect(lost.orders[0].lost).toEqual([
        expect.stringMatching(/^analytics OrderConfirmed \(event .+\) neither applied nor parked$/),
      ]);

      // Now the same message is in the analytics DLQ, as a consumer parks it: accounted for.
      const confirmed = (await sys.storedEvents(orderId)).find((e) => e.type === 'OrderConfirmed');
      await sys.sqs.send(
        new SendMessageCommand({
          QueueUrl: sys.outputs.AnalyticsDlqUrl,
          MessageBody: confirmed?.envelope ?? '',
          MessageAttributes: {
            'x-error-type': { DataType: 'String', StringValue: 'PlantedError' },
            'x-error-message': { DataType: 'String', StringValue: `planted by the invariants test for ${orderId}` },
          },
        }),
      );
      const parked = await eventually(
        () => verifyInvariants(sys, [orderId]),
        (report) => report.totals.lost === 0,
        { what: 'the planted DLQ message to be found', timeoutMs: 30_000, intervalMs: 1_000 },
      );
      expect(parked.ok).toBe(true);
      expect(parked.orders[0].parked).toEqual([
        expect.stringMatching(/^analytics OrderConfirmed in AnalyticsDlq: PlantedError: planted by the invariants/),
      ]);
    } finally {
      await sys.ddb.send(new PutCommand({ TableName: table, Item: analytics ?? {} }));
    }
  });

  it('reports loyalty points awarded twice to the order’s customer', async () => {
    const table = sys.outputs.ConsumerStateTableName;
    const loyalty = await eventually(
      () => sys.consumerRecord(keys.loyalty(customerId)),
      (item) => item !== undefined,
      { what: 'the loyalty award' },
    );
    await sys.ddb.send(new PutCommand({ TableName: table, Item: { ...loyalty, points: 240, orders: 2 } }));
    try {
      const report = await verifyInvariants(sys, [orderId]);
      expect(report.orders[0].doubleApplied).toEqual([
        `loyalty for customer ${customerId}: 2 orders awarded, 1 expected`,
      ]);
    } finally {
      await sys.ddb.send(new PutCommand({ TableName: table, Item: loyalty ?? {} }));
    }
  });
});
