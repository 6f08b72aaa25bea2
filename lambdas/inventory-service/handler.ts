import { SAGA_STEPS } from '../shared/saga-contract';
import { bootstrapSagaService } from '../shared/saga-service';
import { releaseInventory, reserveInventory } from './stock';

/** Stock per SKU: reserve (undo: release). */
export const handler = bootstrapSagaService('inventory-service', {
  [SAGA_STEPS.ReserveInventory]: { action: reserveInventory, compensation: releaseInventory },
});
