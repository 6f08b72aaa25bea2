import { SAGA_STEPS } from '../shared/saga-contract';
import { unlessConfirmed, whilePending } from '../shared/saga-guards';
import { bootstrapSagaService } from '../shared/saga-service';
import { releaseInventory, reserveInventory } from './stock';

/** Stock per SKU: reserve (undo: release). */
export const handler = bootstrapSagaService('inventory-service', {
  [SAGA_STEPS.ReserveInventory]: {
    action: whilePending(reserveInventory),
    compensation: unlessConfirmed(releaseInventory),
  },
});
