import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keys } from '../../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN } from '../../lambdas/contracts/order-rules';
import { SAGA_STEPS, type SagaTaskInput } from '../../lambdas/contracts/saga';
import { deployLocal, destroyLocal } from '../../localstack/deploy';
import { engineClientConfig } from '../../localstack/engine';
import { connect } from '../../scripts/lib/order-system';
import { invokeSagaService } from './support/saga-services';
import { anOrder, finalStatusOf, type System } from './support/system';

/** The Express copy of the stack, deployed beside the default (Standard) one on the same engine. */
const EXPRESS_STACK = 'OrderFlowExpress';

/**
 * The saga's compensation and duplicate scenarios in both modes. Outcomes are
 * judged from the order-service table and the event store only: on AWS,
 * ListExecutions does not list Express executions and their history exists only
 * in CloudWatch Logs, so nothing here asks Step Functions how an execution went.
 */
describe.each([
  { mode: 'standard', stack: 'OrderFlow' },
  { mode: 'express', stack: EXPRESS_STACK },
])('saga in $mode mode ($stack)', ({ mode, stack }) => {
  let sys: System;
  let lambda: LambdaClient;

  beforeAll(async () => {
    const env = inject('awsEnv');
    // The global setup deployed the default stack; the Express copy is deployed here, so only this file pays for it.
    const outputs =
      mode === 'standard'
        ? inject('outputs')
        : await deployLocal({ stackName: stack, context: { sagaMode: 'express' }, quiet: true });
    sys = connect(outputs, env);
    lambda = new LambdaClient(engineClientConfig(env));
  });

  afterAll(async () => {
    // The copy's pollers (stream relay, projector, four queue consumers) would load the engine for the
    // files that run after this one; removing it takes a few seconds.
    if (mode === 'express') await destroyLocal({ stackName: stack, quiet: true });
  });

  const eventTypes = async (orderId: string) => (await sys.storedEvents(orderId)).map((e) => e.type);

  it('compensates a declined card: stock restored, nothing charged, order cancelled', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 5);
    const order = anOrder(sys, { items: [{ sku, quantity: 3, unitPrice: 10 }], paymentToken: DECLINED_PAYMENT_TOKEN });
    await sys.placeOrder(order);

    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CANCELLED');
    expect(await sys.stockOf(sku)).toBe(5);
    expect(await sys.serviceRecord(keys.payment(order.data.orderId))).toMatchObject({ status: 'DECLINED' });
    expect(await sys.serviceRecord(keys.reservation(order.data.orderId))).toMatchObject({ status: 'RELEASED' });
    expect(await eventTypes(order.data.orderId)).toEqual([
      'OrderPlaced',
      'InventoryReserved',
      'PaymentDeclined',
      'InventoryReleased',
      'OrderCancelled',
    ]);
  });

  it('refunds and releases when shipping fails after the payment', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 5);
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 40 }], shipToCountry: 'AQ' });
    await sys.placeOrder(order);

    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CANCELLED');
    expect(await sys.stockOf(sku)).toBe(5);
    expect(await sys.serviceRecord(keys.payment(order.data.orderId))).toMatchObject({ status: 'REFUNDED', amount: 40 });
    expect(await eventTypes(order.data.orderId)).toEqual([
      'OrderPlaced',
      'InventoryReserved',
      'PaymentCharged',
      'ShipmentRejected',
      'PaymentRefunded',
      'InventoryReleased',
      'OrderCancelled',
    ]);
  });

  it('applies a duplicated OrderPlaced delivery once: one owner execution, every effect once', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 10);
    const order = anOrder(sys, { items: [{ sku, quantity: 4, unitPrice: 50 }] });
    // Two deliveries of one event, concurrently: two executions with different ids (Express does not deduplicate).
    await Promise.all([sys.placeOrder(order), sys.placeOrder(order)]);

    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CONFIRMED');
    // No execution list to wait on (Express): give the second execution time to act, if it were going to.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await sys.stockOf(sku)).toBe(6);
    expect(await eventTypes(order.data.orderId)).toEqual([
      'OrderPlaced',
      'InventoryReserved',
      'PaymentCharged',
      'ShipmentArranged',
      'OrderConfirmed',
    ]);
    const owner = await sys.serviceRecord(keys.order(order.data.orderId));
    expect(owner?.sagaExecutionId).toMatch(/^arn:aws:states:/);
  });

  it('stays consistent when the same execution runs again after it compensated (at-least-once)', async () => {
    // A re-run of an execution (same id) replays its first run's cached actions, but runs afresh any step the
    // first run never finished. Simulated here by invoking the deployed services as that re-run would, with the
    // owning execution's id, after the order was cancelled.
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 5);
    const order = anOrder(sys, { items: [{ sku, quantity: 2, unitPrice: 10 }], paymentToken: DECLINED_PAYMENT_TOKEN });
    await sys.placeOrder(order);
    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CANCELLED');
    const executionId = (await sys.serviceRecord(keys.order(order.data.orderId)))?.sagaExecutionId as string;

    const rerun = (service: string, step: string, phase: SagaTaskInput['phase']) =>
      invokeSagaService(lambda, stack, service, { step, phase, input: order, executionId });
    // ArrangeShipment never ran in the first run (the card was declined before it).
    expect(await rerun('ShippingService', SAGA_STEPS.ArrangeShipment, 'action')).toEqual({
      ok: false,
      reason: 'ORDER_ALREADY_CANCELLED',
    });
    // The re-run then compensates: the undo runs again (no stale cached answer) and finds nothing left to undo.
    expect(await rerun('InventoryService', SAGA_STEPS.ReserveInventory, 'compensation')).toMatchObject({
      ok: true,
      detail: { released: false },
    });
    expect(await sys.serviceRecord(keys.shipment(order.data.orderId))).toBeUndefined();
    expect(await sys.stockOf(sku)).toBe(5);
    expect(await eventTypes(order.data.orderId)).toEqual([
      'OrderPlaced',
      'InventoryReserved',
      'PaymentDeclined',
      'InventoryReleased',
      'OrderCancelled',
    ]);
  });
});
