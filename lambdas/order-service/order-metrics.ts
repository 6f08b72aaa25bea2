import { BUSINESS_METRIC, type BusinessMetricName } from '../contracts/metrics';
import { SAGA_STEPS, type SagaTaskInput, type StepResult } from '../contracts/saga';
import { DUPLICATE_ORDER, ORDER_ID_CONFLICT } from './order-lifecycle';

/**
 * The business figures an order-service outcome counts. Only called for an
 * operation that actually ran (not an idempotent replay), and each figure
 * requires `detail.recorded`, i.e. that this call wrote the change, so a
 * technical retry that finds its own earlier write does not count it twice.
 *
 * - AcceptOrder that recorded a new order → OrdersPlaced;
 * - AcceptOrder that found the order owned by another execution with the same content → DuplicatesSuppressed;
 * - AcceptOrder that found it owned with other content and reported the conflict → OrderConflicts (a repeat of
 *   an already reported conflict → DuplicatesSuppressed);
 * - ConfirmOrder that confirmed the order → OrdersCompleted;
 * - CancelOrder (AcceptOrder's compensation) that cancelled it → OrdersCompensated;
 * - a failed compensation's report that moved the order to NEEDS_ATTENTION → OrdersNeedingAttention;
 * - either of the last two, run by an execution that does not own the order, that reported an order-id
 *   conflict its failed AcceptOrder had not (order-lifecycle.ts `leaveAnotherExecutionsOrder`) → OrderConflicts.
 */
export function orderOutcomeMetrics(
  task: Pick<SagaTaskInput<unknown>, 'step' | 'phase'>,
  result: StepResult,
): BusinessMetricName[] {
  const recorded = result.ok && result.detail?.recorded === true;
  if (task.step === SAGA_STEPS.AcceptOrder && task.phase === 'action') {
    if (recorded) return [BUSINESS_METRIC.OrdersPlaced];
    if (!result.ok && result.compensate === false && result.reason.startsWith(DUPLICATE_ORDER)) {
      return [BUSINESS_METRIC.DuplicatesSuppressed];
    }
    if (!result.ok && result.compensate === false && result.reason.startsWith(ORDER_ID_CONFLICT)) {
      // Once per refused event; a repeat of an already reported conflict is a duplicate delivery.
      return [result.detail?.recorded === true ? BUSINESS_METRIC.OrderConflicts : BUSINESS_METRIC.DuplicatesSuppressed];
    }
    return [];
  }
  if (task.step === SAGA_STEPS.ConfirmOrder && task.phase === 'action') {
    return recorded ? [BUSINESS_METRIC.OrdersCompleted] : [];
  }
  // A compensation of an execution that never owned the order, which reported its conflict.
  const conflictReported = result.ok && result.detail?.conflictRecorded === true;
  if (task.step === SAGA_STEPS.AcceptOrder && task.phase === 'compensation') {
    if (conflictReported) return [BUSINESS_METRIC.OrderConflicts];
    return recorded ? [BUSINESS_METRIC.OrdersCompensated] : [];
  }
  if (task.phase === 'compensationFailure') {
    if (conflictReported) return [BUSINESS_METRIC.OrderConflicts];
    return recorded ? [BUSINESS_METRIC.OrdersNeedingAttention] : [];
  }
  return [];
}
