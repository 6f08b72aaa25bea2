import { SAGA_STEPS } from '../shared/saga-contract';
import { unlessConfirmed, whilePending } from '../shared/saga-guards';
import { bootstrapSagaService } from '../shared/saga-service';
import { arrangeShipment, cancelShipment } from './shipments';

/** Shipping: arrange (undo: cancel). */
export const handler = bootstrapSagaService('shipping-service', {
  [SAGA_STEPS.ArrangeShipment]: {
    action: whilePending(arrangeShipment),
    compensation: unlessConfirmed(cancelShipment),
  },
});
