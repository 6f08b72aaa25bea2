import { SAGA_STEPS } from '../contracts/saga';
import { bootstrapSagaService } from '../runtime/saga/bootstrap';
import { unlessConfirmed, whilePending } from '../runtime/saga/guards';
import { chargePayment, refundPayment } from './payments';

/** Payments: charge (undo: refund). */
export const handler = bootstrapSagaService('payment-service', {
  [SAGA_STEPS.ChargePayment]: { action: whilePending(chargePayment), compensation: unlessConfirmed(refundPayment) },
});
