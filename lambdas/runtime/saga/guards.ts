import { keys } from '../../contracts/keys';
import type { OrderStatus } from '../../contracts/order-status';
import type { SagaOperation } from './operation';
import { getRecord } from './service-records';

/**
 * Guards for the saga's operations against a whole execution running again.
 *
 * Express workflows run at least once: the same execution (same id) can run a
 * second time, concurrently or after the first finished. The re-run replays the
 * first run's cached action results (Powertools idempotency, keyed by order,
 * step, phase and execution), but an action that failed the first time runs
 * afresh, possibly after the first run already compensated and cancelled the
 * order. These guards keep such a run from acting on a finished order, and
 * keep any run from undoing a confirmed one. The order's own record (written
 * by AcceptOrder, moved to CONFIRMED or CANCELLED once) is the judge.
 *
 * Why the steps they guard need no content check of their own (issue 17): each
 * step's anchor (RESERVATION, PAYMENT, SHIPMENT) is keyed by the order id, and
 * only the execution that owns the order reaches it. AcceptOrder fingerprints
 * the order's content and answers every other execution for that id
 * `DUPLICATE_ORDER` or `ORDER_ID_CONFLICT` with `compensate: false`, so the
 * saga stops before any step, compensating nothing. Should that AcceptOrder
 * fail technically instead, the only compensation that runs is AcceptOrder's
 * own, which leaves another execution's order alone (order-service
 * `leaveAnotherExecutionsOrder`). A key reused with other content is thus
 * judged at the saga's start, once.
 */

/**
 * Runs `action` only while the order is PENDING. On a confirmed order the run
 * stops without undoing anything (`compensate: false`: the order is done and
 * nothing of this run can be outstanding, as every effect is anchored on the
 * order id); on a cancelled or never accepted order it answers no, so this
 * run compensates whatever it may itself have done since.
 */
export function whilePending(action: SagaOperation): SagaOperation {
  return async (input, deps) => {
    const status = await orderStatus(input.order.data.orderId, deps);
    if (status === 'PENDING') return action(input, deps);
    if (status === 'CONFIRMED') return { ok: false, reason: 'ORDER_ALREADY_CONFIRMED', compensate: false };
    return { ok: false, reason: status ? `ORDER_ALREADY_${status}` : 'ORDER_NOT_ACCEPTED' };
  };
}

/**
 * Runs `compensation` unless the order is CONFIRMED: past that pivot, undoing
 * a step would break a confirmed order, so the compensation throws and the
 * execution ends in CompensationFailed, which is alarmed.
 */
export function unlessConfirmed(compensation: SagaOperation): SagaOperation {
  return async (input, deps) => {
    const { orderId } = input.order.data;
    if ((await orderStatus(orderId, deps)) === 'CONFIRMED') {
      throw new Error(`Order ${orderId} is already confirmed; its steps are not undone by compensation`);
    }
    return compensation(input, deps);
  };
}

async function orderStatus(orderId: string, deps: Parameters<SagaOperation>[1]) {
  return (await getRecord<{ status: OrderStatus }>(deps, keys.order(orderId)))?.status;
}
