import { SAGA_STEPS } from '../contracts/saga';
import { unlessConfirmed, whilePending } from '../runtime/saga/guards';
import { bootstrapSagaService } from '../runtime/saga/saga-service';
import { arrangeShipment, cancelShipment } from './shipments';

/** Shipping: arrange (undo: cancel). */
export const handler = bootstrapSagaService('shipping-service', {
  [SAGA_STEPS.ArrangeShipment]: {
    action: whilePending(arrangeShipment),
    compensation: unlessConfirmed(cancelShipment),
  },
});
