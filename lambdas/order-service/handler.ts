import { SAGA_STEPS } from '../shared/saga-contract';
import { whilePending } from '../shared/saga-guards';
import { bootstrapSagaService } from '../shared/saga-service';
import { acceptOrder, cancelOrder, confirmOrder } from './order-lifecycle';
import { orderOutcomeMetrics } from './order-metrics';

/**
 * The order's lifecycle steps of the saga: accept (undo: cancel) and confirm.
 * Their outcomes are the business figures placed, completed, compensated and
 * duplicate saga starts (see order-metrics.ts).
 */
export const handler = bootstrapSagaService(
  'order-service',
  {
    [SAGA_STEPS.AcceptOrder]: { action: acceptOrder, compensation: cancelOrder },
    // AcceptOrder creates the order and CancelOrder refuses a confirmed one itself: only ConfirmOrder is guarded.
    [SAGA_STEPS.ConfirmOrder]: { action: whilePending(confirmOrder) },
  },
  { outcomeMetrics: orderOutcomeMetrics },
);
