import { ENV } from '../../contracts/env';
import { bootstrapRunner } from '../core';
import type { OutcomeMetrics, SagaOperations } from './operation';
import { createSagaService } from './saga-service';

/**
 * Builds a saga service's Lambda handler from its environment: env read once,
 * clients built once (../core.ts), then {@link createSagaService}.
 */
export function bootstrapSagaService(
  name: string,
  operations: SagaOperations,
  options: { outcomeMetrics?: OutcomeMetrics } = {},
) {
  const { env, ddb, deps } = bootstrapRunner(
    name,
    [ENV.EVENT_STORE_TABLE_NAME, ENV.SNAPSHOT_TABLE_NAME, ENV.SNAPSHOT_EVERY, ENV.ORDER_SERVICE_TABLE_NAME],
    // (order id, step, phase, execution): a retried task returns its first
    // result. A second execution for the same order is stopped by
    // AcceptOrder (see order-service), not here. No payload validation
    // (issue 17): within one execution the input is the OrderPlaced it was
    // started with, so this key never meets other content; see
    // docs/failure-modes.md, row 17.
    '[input.data.orderId, step, phase, executionId]',
  );
  return createSagaService(
    name,
    operations,
    {
      ...deps,
      saga: {
        ddb,
        eventStore: {
          eventTable: env.EVENT_STORE_TABLE_NAME,
          snapshotTable: env.SNAPSHOT_TABLE_NAME,
          snapshotEvery: readSnapshotEvery(env.SNAPSHOT_EVERY),
        },
        orderServiceTable: env.ORDER_SERVICE_TABLE_NAME,
        now: () => new Date(),
      },
    },
    options,
  );
}

/** `SNAPSHOT_EVERY` as a whole number ≥ 0 (0 = no snapshots), or a clear error naming the bad value. */
export function readSnapshotEvery(raw: string): number {
  const every = Number(raw);
  if (!Number.isInteger(every) || every < 0) {
    throw new Error(`${ENV.SNAPSHOT_EVERY} must be a whole number ≥ 0, got "${raw}"`);
  }
  return every;
}
