import { SAGA_STEPS } from '../contracts/saga';
import { bootstrapSagaService } from '../runtime/saga/bootstrap';
import { unlessConfirmed, whilePending } from '../runtime/saga/guards';
import { arrangeShipment, cancelShipment } from './shipments';

/** Shipping: arrange (undo: cancel). */
export const handler = bootstrapSagaService('shipping-service', {
  [SAGA_STEPS.ArrangeShipment]: {
    action: whilePending(arrangeShipment),
    compensation: unlessConfirmed(cancelShipment),
  },
});
