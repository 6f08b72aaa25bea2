import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from './clients';
import { ENV, readEnv } from './env';
import { type Envelope, InvalidEventError, isEventOfType, parseEnvelope, type TypedEnvelope } from './envelope';
import type { EventStoreTables } from './event-store';
import { idempotencyFor } from './idempotency';
import { createLogger, envelopeLogKeys } from './logger';
import type { SagaTaskInput, StepResult } from './saga-contract';

/** What every saga operation receives: the validated order, clients, table names and a clock. */
export interface SagaDeps {
  ddb: DynamoDBDocumentClient;
  /** The order aggregates' event store (and its snapshots). */
  eventStore: EventStoreTables;
  orderServiceTable: string;
  now: () => Date;
}

export interface SagaOperationInput {
  order: TypedEnvelope<'OrderPlaced'>;
  executionId: string;
  failure?: SagaTaskInput['failure'];
}

export type SagaOperation = (input: SagaOperationInput, deps: SagaDeps) => Promise<StepResult>;

/** The operations one service offers, per saga step: the action and its compensation. */
export type SagaOperations = Record<string, { action?: SagaOperation; compensation?: SagaOperation }>;

/**
 * Routes a saga task to its operation. An input that is not a valid OrderPlaced
 * envelope is a business rejection of the action (the saga compensates) and a
 * no-op for a compensation (nothing can have been done for it).
 */
export async function dispatchSagaTask(
  task: SagaTaskInput<unknown>,
  operations: SagaOperations,
  deps: SagaDeps,
): Promise<StepResult> {
  const operation = operations[task.step]?.[task.phase];
  if (!operation) {
    // A wiring mistake, not a business outcome: fail loudly so the saga's catch sees it.
    throw new Error(`No ${task.phase} for step "${task.step}" in this service`);
  }
  let order: Envelope;
  try {
    order = parseEnvelope(task.input);
    if (!isEventOfType(order, 'OrderPlaced')) {
      throw new InvalidEventError(`Saga input must be OrderPlaced, got ${order.type}`, 'SCHEMA_VIOLATION');
    }
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return task.phase === 'action'
      ? { ok: false, reason: `INVALID_ORDER: ${error.message.slice(0, 500)}` }
      : { ok: true, detail: { skipped: 'invalid order input' } };
  }
  return operation({ order, executionId: task.executionId, failure: task.failure }, deps);
}

/**
 * Builds a saga service's Lambda handler: env read once, clients built once,
 * and each action run at most once per (order id, step, execution) through
 * Powertools idempotency, so a retried or duplicated task returns the first
 * result; compensations run every time (they are idempotent on their own).
 */
export function bootstrapSagaService(name: string, operations: SagaOperations) {
  const env = readEnv([
    ENV.EVENT_STORE_TABLE_NAME,
    ENV.SNAPSHOT_TABLE_NAME,
    ENV.SNAPSHOT_EVERY,
    ENV.ORDER_SERVICE_TABLE_NAME,
    ENV.IDEMPOTENCY_TABLE_NAME,
  ]);
  const dynamo = new DynamoDBClient({});
  const deps: SagaDeps = {
    ddb: createDocumentClient(dynamo),
    eventStore: {
      eventTable: env.EVENT_STORE_TABLE_NAME,
      snapshotTable: env.SNAPSHOT_TABLE_NAME,
      snapshotEvery: readSnapshotEvery(env.SNAPSHOT_EVERY),
    },
    orderServiceTable: env.ORDER_SERVICE_TABLE_NAME,
    now: () => new Date(),
  };
  const logger = createLogger(name);
  const idempotency = idempotencyFor({
    tableName: env.IDEMPOTENCY_TABLE_NAME,
    // (order id, step, phase, execution): a retried task returns its first
    // result. A second execution for the same order is stopped by AcceptOrder
    // (see order-service), not here.
    eventKeyJmesPath: '[input.data.orderId, step, phase, executionId]',
    client: dynamo,
  });
  const runOnce = makeIdempotent((task: SagaTaskInput<unknown>) => dispatchSagaTask(task, operations, deps), {
    ...idempotency,
    keyPrefix: name,
  });

  return async (task: SagaTaskInput<unknown>, context: Context): Promise<StepResult> => {
    idempotency.config.registerLambdaContext(context);
    const input = task.input as Envelope;
    const logKeys = input && typeof input === 'object' ? envelopeLogKeys(input) : {};
    logger.appendKeys({ ...logKeys, step: task.step, phase: task.phase });
    try {
      // Compensations skip the result cache: each re-reads its anchor record and
      // moves it once, so running it again is safe, whereas a cached "nothing to
      // undo" would go stale if a re-run of the same execution (Express runs at
      // least once) acted after it. See README "Saga modes".
      const result =
        task.phase === 'compensation' ? await dispatchSagaTask(task, operations, deps) : await runOnce(task);
      logger.info('saga task done', { result });
      return result;
    } catch (error) {
      logger.error('saga task failed', { error: error as Error });
      throw error;
    } finally {
      logger.removeKeys([...Object.keys(logKeys), 'step', 'phase']);
    }
  };
}

/** `SNAPSHOT_EVERY` as a whole number ≥ 0 (0 = no snapshots), or a clear error naming the bad value. */
export function readSnapshotEvery(raw: string): number {
  const every = Number(raw);
  if (!Number.isInteger(every) || every < 0) {
    throw new Error(`${ENV.SNAPSHOT_EVERY} must be a whole number ≥ 0, got "${raw}"`);
  }
  return every;
}
