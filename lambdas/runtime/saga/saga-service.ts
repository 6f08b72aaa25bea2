import { type IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { ENV } from '../../contracts/env';
import { BUSINESS_METRIC, type BusinessMetricName } from '../../contracts/metrics';
import type { SagaTaskInput, StepResult } from '../../contracts/saga';
import type { EventStoreTables } from '../../event-store/event-store';
import {
  type Envelope,
  InvalidEventError,
  isEventOfType,
  orderIdOf,
  parseEnvelope,
  type TypedEnvelope,
} from '../../messages/envelope';
import { createDocumentClient } from '../../platform/clients';
import { readEnv } from '../../platform/env';
import { type FaultInjector, faultInjectorFromEnv, NO_FAULTS } from '../../platform/fault-injection';
import { idempotencyFor } from '../../platform/idempotency';
import { createLogger, envelopeLogKeys, loggerFor } from '../../platform/logger';
import { BusinessMetrics } from '../../platform/metrics';

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
  compensationFailure?: SagaTaskInput['compensationFailure'];
}

export type SagaOperation = (input: SagaOperationInput, deps: SagaDeps) => Promise<StepResult>;

/** The operations one service offers, per saga step: the action and its compensation. */
export type SagaOperations = Record<string, Partial<Record<SagaTaskInput['phase'], SagaOperation>>>;

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
  const { executionId, failure, compensationFailure } = task;
  return operation({ order, executionId, failure, compensationFailure }, deps);
}

/**
 * Which business figures a step's fresh outcome counts (e.g. AcceptOrder that
 * recorded a new order → OrdersPlaced). Runs only when the operation ran, never
 * for an answer replayed from the idempotency store, so a figure is counted
 * once per fact. Keeps the services' domain functions free of telemetry.
 */
export type OutcomeMetrics = (task: SagaTaskInput<unknown>, result: StepResult) => readonly BusinessMetricName[];

export interface SagaServiceDeps {
  saga: SagaDeps;
  logger: Logger;
  metrics: BusinessMetrics;
  idempotency: { persistenceStore: BasePersistenceLayer; config: IdempotencyConfig };
  /** The fault-injection switch (testing aid); none by default. */
  faults?: FaultInjector;
}

/**
 * A saga service's Lambda handler: each action runs at most once per (order id,
 * step, execution) through Powertools idempotency, so a retried or duplicated
 * task returns the first result, and counts `DuplicatesSuppressed` when it
 * does. Compensations skip that result cache: each re-reads its anchor record
 * and moves it once, so running it again is safe, whereas a cached "nothing to
 * undo" would go stale if a re-run of the same execution (Express runs at
 * least once) acted after it. See docs/architecture.md "Saga modes".
 *
 * Telemetry: every log line of a task carries the order's envelope keys
 * (correlation id, causation id, event id and type, order id) plus step and
 * phase, through a per-task child logger; `outcomeMetrics` maps a fresh
 * outcome to business figures; figures are published when the invocation ends.
 *
 * Fault points (testing aid, `deps.faults`), with target `step:<name>` for an
 * action and `compensation:<name>` for a compensation: `before` and
 * `after-effect` around the operation (inside the idempotent section of an
 * action), `before-ack` before the result is returned.
 */
export function createSagaService(
  name: string,
  operations: SagaOperations,
  deps: SagaServiceDeps,
  options: { outcomeMetrics?: OutcomeMetrics } = {},
) {
  // Tasks whose operation ran in this invocation; a task not in here after
  // `runOnce` was answered from the idempotency store.
  const ran = new WeakSet<SagaTaskInput<unknown>>();
  const faults = deps.faults ?? NO_FAULTS;
  // The invocation's context, for a `timeout` fault's deadline; set per invocation.
  let invocation: Context | undefined;
  const runNow = async (task: SagaTaskInput<unknown>) => {
    ran.add(task);
    await faults.at('before', faultSubject(task), invocation);
    const result = await dispatchSagaTask(task, operations, deps.saga);
    await faults.at('after-effect', faultSubject(task), invocation);
    return result;
  };
  const runOnce = makeIdempotent(runNow, { ...deps.idempotency, keyPrefix: name });

  return async (task: SagaTaskInput<unknown>, context: Context): Promise<StepResult> => {
    invocation = context;
    deps.idempotency.config.registerLambdaContext(context);
    deps.logger.addContext(context);
    const input = task.input as Envelope;
    const logKeys = input && typeof input === 'object' && typeof input.id === 'string' ? envelopeLogKeys(input) : {};
    const log = loggerFor(deps.logger, { ...logKeys, step: task.step, phase: task.phase });
    try {
      const result = task.phase === 'compensation' ? await runNow(task) : await runOnce(task);
      await faults.at('before-ack', faultSubject(task), context);
      if (ran.has(task)) {
        for (const figure of options.outcomeMetrics?.(task, result) ?? []) deps.metrics.count(figure);
        log.info('saga task done', { result });
      } else {
        deps.metrics.count(BUSINESS_METRIC.DuplicatesSuppressed);
        log.info('duplicate saga task suppressed: returning its first result', { result });
      }
      return result;
    } catch (error) {
      log.error('saga task failed', { error: error as Error });
      throw error;
    } finally {
      deps.metrics.publish();
    }
  };
}

/** Fault-switch target prefix per phase; a compensation's failure report is not its compensation. */
const FAULT_TARGET_PREFIX: Record<SagaTaskInput['phase'], string> = {
  action: 'step',
  compensation: 'compensation',
  compensationFailure: 'compensation-failure',
};

/** Who a saga task is, for the fault switch: `step:<name>` or `compensation:<name>`, its order and attempt. */
function faultSubject(task: SagaTaskInput<unknown>) {
  return {
    target: `${FAULT_TARGET_PREFIX[task.phase]}:${task.step}`,
    orderId: orderIdOf(task.input),
    attempt: (task.retryCount ?? 0) + 1,
  };
}

/**
 * Builds a saga service's Lambda handler from its environment: env read once,
 * clients built once, then {@link createSagaService}.
 */
export function bootstrapSagaService(
  name: string,
  operations: SagaOperations,
  options: { outcomeMetrics?: OutcomeMetrics } = {},
) {
  const env = readEnv([
    ENV.EVENT_STORE_TABLE_NAME,
    ENV.SNAPSHOT_TABLE_NAME,
    ENV.SNAPSHOT_EVERY,
    ENV.ORDER_SERVICE_TABLE_NAME,
    ENV.IDEMPOTENCY_TABLE_NAME,
  ]);
  const dynamo = new DynamoDBClient({});
  const logger = createLogger(name);
  return createSagaService(
    name,
    operations,
    {
      saga: {
        ddb: createDocumentClient(dynamo),
        eventStore: {
          eventTable: env.EVENT_STORE_TABLE_NAME,
          snapshotTable: env.SNAPSHOT_TABLE_NAME,
          snapshotEvery: readSnapshotEvery(env.SNAPSHOT_EVERY),
        },
        orderServiceTable: env.ORDER_SERVICE_TABLE_NAME,
        now: () => new Date(),
      },
      logger,
      faults: faultInjectorFromEnv(logger),
      metrics: new BusinessMetrics(name),
      idempotency: idempotencyFor({
        tableName: env.IDEMPOTENCY_TABLE_NAME,
        // (order id, step, phase, execution): a retried task returns its first
        // result. A second execution for the same order is stopped by
        // AcceptOrder (see order-service), not here.
        eventKeyJmesPath: '[input.data.orderId, step, phase, executionId]',
        client: dynamo,
      }),
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
