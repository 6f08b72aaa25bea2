import { SAGA_STEPS } from '../shared/saga-contract';
import { whilePending } from '../shared/saga-guards';
import { bootstrapSagaService } from '../shared/saga-service';
import { acceptOrder, cancelOrder, confirmOrder } from './order-lifecycle';

/** The order's lifecycle steps of the saga: accept (undo: cancel) and confirm. */
export const handler = bootstrapSagaService('order-service', {
  [SAGA_STEPS.AcceptOrder]: { action: acceptOrder, compensation: cancelOrder },
  // AcceptOrder creates the order and CancelOrder refuses a confirmed one itself: only ConfirmOrder is guarded.
  [SAGA_STEPS.ConfirmOrder]: { action: whilePending(confirmOrder) },
});
