import { SAGA_STEPS } from '../shared/saga-contract';
import { unlessConfirmed, whilePending } from '../shared/saga-guards';
import { bootstrapSagaService } from '../shared/saga-service';
import { chargePayment, refundPayment } from './payments';

/** Payments: charge (undo: refund). */
export const handler = bootstrapSagaService('payment-service', {
  [SAGA_STEPS.ChargePayment]: { action: whilePending(chargePayment), compensation: unlessConfirmed(refundPayment) },
});
