import { ORDER_SERVICE_SOURCE } from '../contracts/events';
import { keys } from '../contracts/keys';
import type { FinalOrderStatus, OrderStatus } from '../contracts/order-status';
import { failureReason } from '../contracts/saga';
import { type Envelope, newEvent, type TypedEnvelope } from '../messages/envelope';
import { contentFingerprint } from '../messages/fingerprint';
import type { SagaDeps, SagaOperation } from '../runtime/saga/operation';
import { getRecord, putIfAbsent, recordStep, transitionStatus } from '../runtime/saga/service-records';

/** The order's own record (its status: lambdas/contracts/order-status.ts). */
export interface OrderRecord {
  status: OrderStatus;
  sagaExecutionId: string;
  /**
   * The content fingerprint of the OrderPlaced that created the record
   * (lambdas/messages/fingerprint.ts). Absent on records written before
   * fingerprints were kept: a second start for such an order cannot be told
   * apart and is treated as a duplicate, as before.
   */
  fingerprint?: string;
  /** The id of the OrderPlaced event that created the record. */
  acceptedEventId?: string;
}

/**
 * AcceptOrder: records the order (PENDING, owned by this saga execution, with
 * the fingerprint of its content) and its OrderPlaced event as version 1 of
 * the order aggregate, in one transaction. The event keeps the id it arrived
 * with, so the event store and the bus agree on its identity.
 *
 * This is where the saga's start is deduplicated: an OrderPlaced delivered
 * twice starts two executions (EventBridge cannot name them), and the second
 * finds the order owned by the first. First accepted wins: whichever
 * execution's transaction creates the record owns the order, whatever the
 * order in which the events were sent. The second one is judged by
 * {@link judgeSecondStart}: same content → `DUPLICATE_ORDER`; other content →
 * `ORDER_ID_CONFLICT`, reported by {@link rejectConflict}. Both stop without
 * compensating, so nothing is reserved, charged or shipped for the loser.
 *
 * `detail.recorded` says whether this call wrote the order (true once per
 * order), so the runner can count each placed order exactly once.
 */
export const acceptOrder: SagaOperation = async ({ order, executionId }, deps) => {
  const { orderId } = order.data;
  const outcome = await recordStep(deps, orderId, order, [
    newOrderRecord(order, 'PENDING', 'acceptedAt', executionId, deps),
  ]);
  if (outcome.recorded) return { ok: true, detail: { recorded: true } };
  const record = await getRecord<OrderRecord>(deps, keys.order(orderId));
  const judgement = judgeSecondStart(record, order, executionId);
  switch (judgement.verdict) {
    case 'own':
      // Our own earlier attempt got this far before it failed: carry on.
      return { ok: true, detail: { recorded: false } };
    case 'duplicate':
      return {
        ok: false,
        reason: `${DUPLICATE_ORDER}: already handled by ${record?.sagaExecutionId}`,
        compensate: false,
      };
    case 'conflict':
      return rejectConflict(order, executionId, record as OrderRecord, judgement.fingerprint, deps);
  }
};

/** The reason prefix AcceptOrder answers a second saga execution for one order with. */
export const DUPLICATE_ORDER = 'DUPLICATE_ORDER';

/** The reason prefix AcceptOrder answers an OrderPlaced that reuses an accepted order's id with other content. */
export const ORDER_ID_CONFLICT = 'ORDER_ID_CONFLICT';

export type SecondStartJudgement =
  | { verdict: 'own' }
  | { verdict: 'duplicate' }
  | { verdict: 'conflict'; fingerprint: string };

/**
 * What a saga start that found the order already recorded is (pure, so the
 * rule is unit-tested apart from DynamoDB):
 * - `own`: the record is this execution's (a retry of its own AcceptOrder);
 * - `duplicate`: another execution owns it and the content is the same (same
 *   fingerprint), or the record predates fingerprints, or there is no record
 *   to compare with (as before issue 17);
 * - `conflict`: another execution owns it with different content.
 */
export function judgeSecondStart(
  record: Pick<OrderRecord, 'sagaExecutionId' | 'fingerprint'> | undefined,
  order: TypedEnvelope<'OrderPlaced'>,
  executionId: string,
): SecondStartJudgement {
  if (record?.sagaExecutionId === executionId) return { verdict: 'own' };
  if (!record?.fingerprint) return { verdict: 'duplicate' };
  const fingerprint = contentFingerprint(order);
  return fingerprint === record.fingerprint ? { verdict: 'duplicate' } : { verdict: 'conflict', fingerprint };
}

/**
 * Reports an order-id conflict: the OrderConflictRejected event on the order's
 * stream (so the relay publishes it and the read model lists it) and, in the
 * same transaction, the refused payload in the order service's table
 * (keys.orderConflict), where an operator can read it: an Express execution's
 * history is kept only in the CloudWatch Logs of its logging configuration, if
 * any (https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html,
 * as cited in localstack/README.md), and the payment token must not travel on the bus.
 *
 * Once per refused event: a second execution for the same refused event (its
 * own duplicate delivery) finds the item and records nothing more
 * (`detail.recorded: false`, counted as a suppressed duplicate), but ends with
 * the same reason.
 */
async function rejectConflict(
  order: TypedEnvelope<'OrderPlaced'>,
  executionId: string,
  record: OrderRecord,
  rejectedFingerprint: string,
  deps: SagaDeps,
) {
  const { orderId, customerId, total } = order.data;
  const acceptedFingerprint = record.fingerprint as string;
  const event = newEvent({
    type: 'OrderConflictRejected',
    source: ORDER_SERVICE_SOURCE,
    data: {
      orderId,
      acceptedFingerprint,
      rejectedFingerprint,
      ...(record.acceptedEventId ? { acceptedEventId: record.acceptedEventId } : {}),
      acceptedExecutionId: record.sagaExecutionId,
      rejectedEventId: order.id,
      rejectedExecutionId: executionId,
      customerId,
      total,
    },
    causedBy: order,
    now: deps.now(),
  });
  const outcome = await recordStep(deps, orderId, event, [
    putIfAbsent(deps.orderServiceTable, {
      ...keys.orderConflict(orderId, order.id),
      rejectedEventId: order.id,
      rejectedExecutionId: executionId,
      rejectedFingerprint,
      acceptedFingerprint,
      acceptedExecutionId: record.sagaExecutionId,
      conflictEventId: event.id,
      // The refused OrderPlaced as validated, whole (JSON, so it reads back exactly as it arrived).
      rejectedEnvelope: JSON.stringify(order),
      rejectedAt: deps.now().toISOString(),
    }),
  ]);
  return {
    ok: false as const,
    reason:
      `${ORDER_ID_CONFLICT}: order ${orderId} was accepted by ${record.sagaExecutionId} with other content ` +
      `(${acceptedFingerprint}); OrderPlaced ${order.id} (${rejectedFingerprint}) is refused`,
    compensate: false as const,
    detail: { recorded: outcome.recorded, conflictEventId: event.id },
  };
}

/**
 * ConfirmOrder: PENDING → CONFIRMED plus the OrderConfirmed event, which fans
 * out to the consumers. `detail.recorded` says whether this call made the move.
 */
export const confirmOrder: SagaOperation = async ({ order }, deps) => {
  const { orderId, customerId, total } = order.data;
  const event = newEvent({
    type: 'OrderConfirmed',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId, customerId, total },
    causedBy: order,
    now: deps.now(),
  });
  const { status, recorded } = await finish(orderId, 'CONFIRMED', event, deps);
  return status === 'CONFIRMED' ? { ok: true, detail: { recorded } } : { ok: false, reason: `ORDER_ALREADY_${status}` };
};

/**
 * CancelOrder (the compensation of AcceptOrder): PENDING → CANCELLED plus the
 * OrderCancelled event with the saga's failure reason. An order whose
 * acceptance never landed (AcceptOrder failed technically) is recorded as
 * CANCELLED all the same, so every order that entered the saga ends in exactly
 * one final state; an already cancelled order needs nothing. An order owned by
 * another execution is left as it is ({@link leaveAnotherExecutionsOrder}).
 * `detail.recorded` says whether this call cancelled it.
 */
export const cancelOrder: SagaOperation = async ({ order, executionId, failure }, deps) => {
  const { orderId, customerId, total } = order.data;
  const event = newEvent({
    type: 'OrderCancelled',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId, customerId, total, reason: failureReason(failure) },
    causedBy: order,
    now: deps.now(),
  });
  let record = await getRecord<OrderRecord>(deps, keys.order(orderId));
  if (!record) {
    const outcome = await recordStep(deps, orderId, event, [
      newOrderRecord(order, 'CANCELLED', 'cancelledAt', executionId, deps),
    ]);
    if (outcome.recorded) return { ok: true, detail: { status: 'CANCELLED', accepted: false, recorded: true } };
    // Another execution recorded the order meanwhile: judged below like any record.
    record = await getRecord<OrderRecord>(deps, keys.order(orderId));
  }
  if (record && record.sagaExecutionId !== executionId)
    return leaveAnotherExecutionsOrder(order, executionId, record, deps);
  const { status, recorded } = await finish(orderId, 'CANCELLED', event, deps);
  if (status === 'CONFIRMED') {
    // Past the saga's pivot: undoing a confirmed order is a refund flow, not a compensation.
    throw new Error(`Order ${orderId} is already confirmed and cannot be cancelled by compensation`);
  }
  return { ok: true, detail: { status, recorded } };
};

/**
 * The saga's `onCompensationFailure` for the compensation of `step`, which
 * failed after all its retries: PENDING → NEEDS_ATTENTION plus the
 * OrderNeedsAttention event (the step, the compensation's error and why the
 * saga compensated) in one transaction. The relay publishes the event like any
 * other (the timeline and the read model see it; it does not fan out to the
 * customer-facing consumers), and the metric OrdersNeedingAttention, alarmed
 * above 0, tells an operator (docs/failure-modes.md).
 *
 * Once per order: a second failed compensation of the same run, or a retry,
 * finds the order already NEEDS_ATTENTION and records nothing more (what is
 * still undone is read from the stream, not from this event). The saga then
 * runs the remaining compensations, and CancelOrder, which moves only a
 * PENDING order, leaves a NEEDS_ATTENTION order as it is.
 *
 * From the other final states it moves nothing and records nothing:
 * - CONFIRMED: the compensations refuse a confirmed order on purpose
 *   (`unlessConfirmed`, CancelOrder), so nothing was half undone, and the
 *   confirmation was already published to the customer; the failed execution
 *   is still alarmed;
 * - CANCELLED: only a re-run of an execution whose compensations all
 *   succeeded before CancelOrder can find it so; nothing is outstanding.
 * An order without a record (AcceptOrder never landed and CancelOrder failed
 * too) is recorded as NEEDS_ATTENTION, so it still ends in one final state.
 * An order owned by another execution is left as it is
 * ({@link leaveAnotherExecutionsOrder}): this execution's failure is not its.
 */
export const markNeedsAttention =
  (step: string): SagaOperation =>
  async ({ order, executionId, failure, compensationFailure }, deps) => {
    const { orderId, customerId, total } = order.data;
    const event = newEvent({
      type: 'OrderNeedsAttention',
      source: ORDER_SERVICE_SOURCE,
      data: {
        orderId,
        customerId,
        total,
        step,
        reason: failureReason(compensationFailure),
        sagaFailure: failureReason(failure),
      },
      causedBy: order,
      now: deps.now(),
    });
    let record = await getRecord<OrderRecord>(deps, keys.order(orderId));
    if (!record) {
      const outcome = await recordStep(deps, orderId, event, [
        newOrderRecord(order, 'NEEDS_ATTENTION', 'needs_attentionAt', executionId, deps),
      ]);
      if (outcome.recorded) return { ok: true, detail: { step, status: 'NEEDS_ATTENTION', recorded: true } };
      record = await getRecord<OrderRecord>(deps, keys.order(orderId));
    }
    if (record && record.sagaExecutionId !== executionId) {
      const left = await leaveAnotherExecutionsOrder(order, executionId, record, deps);
      return { ...left, detail: { step, ...left.detail } };
    }
    const { status, recorded } = await finish(orderId, 'NEEDS_ATTENTION', event, deps);
    return { ok: true, detail: { step, status, recorded } };
  };

/**
 * The compensation (CancelOrder) or failure report (NEEDS_ATTENTION) of an
 * execution that does not own the order: it moves nothing. Reached when a
 * second execution for an order id (a duplicate delivery, or a reuse of the id
 * with other content) failed technically in AcceptOrder after the first one
 * had recorded the order: the saga then compensates from AcceptOrder. Keyed by
 * the order id alone, these operations would otherwise cancel, or mark for
 * attention, the order another execution owns, so a failed duplicate could
 * undo an accepted order (issue 17: a reused key must not act on another's
 * effect). Ownership is the order record's `sagaExecutionId`, set once by
 * whichever execution created it; a re-run of the same execution keeps its id
 * (Express workflows run at least once,
 * https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html).
 *
 * The same rule as at AcceptOrder ({@link judgeSecondStart}): same content is
 * a duplicate, answered with nothing done; other content is a conflict,
 * reported once with {@link rejectConflict} (the OrderConflictRejected event
 * and the refused payload), since the failed AcceptOrder may never have
 * reported it. The answer is `ok` either way: the compensation did what it
 * must (nothing), and `detail` says why, with `conflictRecorded` when this
 * call reported the conflict (counted as OrderConflicts, ./order-metrics.ts).
 */
async function leaveAnotherExecutionsOrder(
  order: TypedEnvelope<'OrderPlaced'>,
  executionId: string,
  record: OrderRecord,
  deps: SagaDeps,
) {
  const owner = { status: record.status, recorded: false, ownedBy: record.sagaExecutionId };
  const judgement = judgeSecondStart(record, order, executionId);
  if (judgement.verdict !== 'conflict') return { ok: true as const, detail: { ...owner, notOwner: DUPLICATE_ORDER } };
  const rejected = await rejectConflict(order, executionId, record, judgement.fingerprint, deps);
  return {
    ok: true as const,
    detail: { ...owner, notOwner: ORDER_ID_CONFLICT, conflictRecorded: rejected.detail.recorded },
  };
}

/** Creates the order's own record, owned by `executionId`, if the order has none yet. */
function newOrderRecord(
  order: TypedEnvelope<'OrderPlaced'>,
  status: OrderStatus,
  // transitionStatus stamps `<status in lower case>At`; a new record in a status is stamped the same way.
  stamp: 'acceptedAt' | 'cancelledAt' | 'needs_attentionAt',
  executionId: string,
  deps: SagaDeps,
) {
  const { orderId, customerId, total } = order.data;
  return putIfAbsent(deps.orderServiceTable, {
    ...keys.order(orderId),
    status,
    customerId,
    total,
    sagaExecutionId: executionId,
    fingerprint: contentFingerprint(order),
    acceptedEventId: order.id,
    [stamp]: deps.now().toISOString(),
  });
}

/**
 * Moves a PENDING order to `to` with its event; returns the status the order
 * ends in and whether this call made the move.
 */
async function finish(
  orderId: string,
  to: FinalOrderStatus,
  event: Envelope,
  deps: SagaDeps,
): Promise<{ status: OrderStatus | 'MISSING'; recorded: boolean }> {
  const outcome = await recordStep(deps, orderId, event, [
    transitionStatus(deps.orderServiceTable, keys.order(orderId), 'PENDING', to, deps.now()),
  ]);
  if (outcome.recorded) return { status: to, recorded: true };
  const status = (await getRecord<OrderRecord>(deps, keys.order(orderId)))?.status ?? 'MISSING';
  return { status, recorded: false };
}
