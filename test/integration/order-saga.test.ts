import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keys } from '../../lambdas/contracts/keys';
import { DECLINED_PAYMENT_TOKEN, LOYALTY_MIN_TOTAL } from '../../lambdas/contracts/order-rules';
import { SAGA_STEPS, type SagaTaskInput } from '../../lambdas/contracts/saga';
import { deployLocal, destroyLocal } from '../../localstack/deploy';
import { engineClientConfig } from '../../localstack/engine';
import { connect } from '../../scripts/lib/order-system';
import { invokeSagaService } from '../support/integration/saga-services';
import { anOrder, eventually, finalStatusOf, type System } from '../support/integration/system';
import { SAGA_EVENTS } from '../support/saga-events';

/** The Express copy of the stack, deployed beside the default (Standard) one on the same engine. */
const EXPRESS_STACK = 'OrderFlowExpress';

/**
 * One order that ends in a cancellation, and everything the saga must have
 * left behind for it. Each row is one scenario; every row runs in both modes.
 */
interface CancellationCase {
  name: string;
  stock: number;
  order: { quantity: number; unitPrice: number; paymentToken?: string; shipToCountry?: string };
  /** What the payment service holds for the order (`undefined`: it was never asked). */
  payment: Record<string, unknown> | undefined;
  /** What the inventory service holds for the reservation, where the scenario checks it. */
  reservation?: Record<string, unknown>;
  /** The order's stored event types, in version order. */
  events: readonly string[];
  /** Whether the cancellation e-mail was sent exactly once (the fan-out reached the consumers). */
  cancellationEmail: boolean;
  /** The cancel reason the read model shows, where the scenario checks it. */
  cancelReason?: (sku: string) => string;
}

const CANCELLATIONS: CancellationCase[] = [
  {
    name: 'compensates a declined card: stock restored, nothing charged, order cancelled, cancellation fanned out',
    stock: 5,
    order: { quantity: 3, unitPrice: 10, paymentToken: DECLINED_PAYMENT_TOKEN },
    payment: { status: 'DECLINED' },
    reservation: { status: 'RELEASED' },
    events: SAGA_EVENTS.paymentDeclined,
    cancellationEmail: true,
  },
  {
    name: 'refunds and releases when shipping fails after the payment',
    stock: 5,
    order: { quantity: 1, unitPrice: 40, shipToCountry: 'AQ' },
    payment: { status: 'REFUNDED', amount: 40 },
    events: SAGA_EVENTS.shipmentRejected,
    cancellationEmail: false,
  },
  {
    name: 'rejects an order for a SKU out of stock without touching stock or payment',
    stock: 1,
    order: { quantity: 2, unitPrice: 10 },
    payment: undefined,
    events: SAGA_EVENTS.outOfStock,
    cancellationEmail: false,
    cancelReason: (sku) => `ReserveInventory: OUT_OF_STOCK: ${sku}`,
  },
];

/**
 * The order saga end to end on the local engine, in both modes: EventBridge
 * starts it, each step writes real state to DynamoDB, outcomes go back to the
 * bus through the event store's stream and fan out through SNS to the
 * consumers. Outcomes are judged from the order-service table, the event store
 * and the consumers' records: on AWS, ListExecutions does not list Express
 * executions and their history exists only in CloudWatch Logs, so only the
 * Standard mode asks Step Functions how an execution went.
 */
describe.each([
  { mode: 'standard', stack: 'OrderFlow' },
  { mode: 'express', stack: EXPRESS_STACK },
])('order saga in $mode mode ($stack)', ({ mode, stack }) => {
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

  it('confirms an order: stock decremented once, one payment, every fan-out consumer ran, loyalty only for a big order', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 10);
    const big = anOrder(sys, { items: [{ sku, quantity: 2, unitPrice: 75 }] });
    const small = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 20 }] });
    expect(big.data.total).toBeGreaterThanOrEqual(LOYALTY_MIN_TOTAL);
    expect(small.data.total).toBeLessThan(LOYALTY_MIN_TOTAL);
    await Promise.all([sys.placeOrder(big), sys.placeOrder(small)]);

    expect(await finalStatusOf(sys, big.data.orderId)).toBe('CONFIRMED');
    expect(await finalStatusOf(sys, small.data.orderId)).toBe('CONFIRMED');
    expect(await sys.stockOf(sku)).toBe(10 - 2 - 1);
    expect(await sys.serviceRecord(keys.payment(big.data.orderId))).toMatchObject({ status: 'CHARGED', amount: 150 });
    expect(await sys.serviceRecord(keys.shipment(big.data.orderId))).toMatchObject({ status: 'ARRANGED' });

    for (const order of [big, small]) {
      const email = await eventually(
        () => sys.consumerRecord(keys.email(order.data.orderId, 'OrderConfirmed')),
        (item) => item !== undefined,
        { what: `the confirmation e-mail of ${order.data.orderId}` },
      );
      expect(email?.sends).toBe(1);
      const analytics = await eventually(
        () => sys.consumerRecord(keys.analytics(order.data.orderId)),
        (item) => item !== undefined,
        { what: `analytics of ${order.data.orderId}` },
      );
      expect(analytics?.events).toBe(1);
    }
    const loyalty = await eventually(
      () => sys.consumerRecord(keys.loyalty(big.data.customerId)),
      (item) => item !== undefined,
      { what: 'loyalty points for the big order' },
    );
    expect(loyalty).toMatchObject({ points: 150, orders: 1 });
    // The small order's confirmation reached the other consumers above, so the
    // loyalty queue had the same chance to receive it: the filter kept it out.
    expect(await sys.consumerRecord(keys.loyalty(small.data.customerId))).toBeUndefined();

    // Only a Standard execution can be read back from Step Functions (see above).
    if (mode === 'standard') {
      const [execution] = await sys.executionsOf(big.data.orderId);
      expect(execution.status).toBe('SUCCEEDED');
    }
  });

  // By tuple and %s: vitest shortens a `$name` title to 40 characters.
  it.each(CANCELLATIONS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, c.stock);
    const { quantity, unitPrice, ...rest } = c.order;
    const order = anOrder(sys, { items: [{ sku, quantity, unitPrice }], ...rest });
    await sys.placeOrder(order);
    const { orderId } = order.data;

    expect(await finalStatusOf(sys, orderId)).toBe('CANCELLED');
    expect(await sys.stockOf(sku)).toBe(c.stock);
    if (c.payment === undefined) expect(await sys.serviceRecord(keys.payment(orderId))).toBeUndefined();
    else expect(await sys.serviceRecord(keys.payment(orderId))).toMatchObject(c.payment);
    if (c.reservation) expect(await sys.serviceRecord(keys.reservation(orderId))).toMatchObject(c.reservation);
    if (c.cancellationEmail) {
      const email = await eventually(
        () => sys.consumerRecord(keys.email(orderId, 'OrderCancelled')),
        (item) => item !== undefined,
        { what: 'the cancellation e-mail' },
      );
      expect(email?.sends).toBe(1);
    }
    expect(await eventTypes(orderId)).toEqual(c.events);
    if (c.cancelReason) {
      const readModel = await eventually(
        () => sys.readModel(orderId),
        (item) => item?.status === 'CANCELLED',
        { what: 'the read model to show the cancellation' },
      );
      expect(readModel?.cancelReason).toBe(c.cancelReason(sku));
    }
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
    expect(await eventTypes(order.data.orderId)).toEqual(SAGA_EVENTS.confirmed);
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
    expect(await eventTypes(order.data.orderId)).toEqual(SAGA_EVENTS.paymentDeclined);
  });
});
