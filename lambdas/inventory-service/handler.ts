import { SAGA_STEPS } from '../contracts/saga';
import { bootstrapSagaService } from '../runtime/saga/bootstrap';
import { unlessConfirmed, whilePending } from '../runtime/saga/guards';
import { releaseInventory, reserveInventory } from './stock';

/** Stock per SKU: reserve (undo: release). */
export const handler = bootstrapSagaService('inventory-service', {
  [SAGA_STEPS.ReserveInventory]: {
    action: whilePending(reserveInventory),
    compensation: unlessConfirmed(releaseInventory),
  },
});
