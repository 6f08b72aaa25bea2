import { SAGA_STEPS } from '../contracts/saga';
import { bootstrapSagaService } from '../runtime/saga/bootstrap';
import { whilePending } from '../runtime/saga/guards';
import { acceptOrder, cancelOrder, confirmOrder, markNeedsAttention } from './order-lifecycle';
import { orderOutcomeMetrics } from './order-metrics';

/** Every step's failed compensation is reported here (the saga's onCompensationFailure): the order needs attention. */
const needsAttention = Object.fromEntries(
  Object.values(SAGA_STEPS).map((step) => [step, { compensationFailure: markNeedsAttention(step) }]),
);

/**
 * The order's lifecycle steps of the saga: accept (undo: cancel) and confirm,
 * and the report of any step's failed compensation (needs attention). Their
 * outcomes are the business figures placed, completed, compensated, needing
 * attention and duplicate saga starts (see order-metrics.ts).
 */
export const handler = bootstrapSagaService(
  'order-service',
  {
    ...needsAttention,
    [SAGA_STEPS.AcceptOrder]: {
      ...needsAttention[SAGA_STEPS.AcceptOrder],
      action: acceptOrder,
      compensation: cancelOrder,
    },
    // AcceptOrder creates the order and CancelOrder refuses a confirmed one itself: only ConfirmOrder is guarded.
    [SAGA_STEPS.ConfirmOrder]: { ...needsAttention[SAGA_STEPS.ConfirmOrder], action: whilePending(confirmOrder) },
  },
  { outcomeMetrics: orderOutcomeMetrics },
);
