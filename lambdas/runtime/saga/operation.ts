import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BusinessMetricName } from '../../contracts/metrics';
import type { SagaPhase, SagaTaskInput, StepResult } from '../../contracts/saga';
import type { EventStoreTables } from '../../event-store/event-store';
import type { TypedEnvelope } from '../../messages/envelope';

/**
 * The contract between the saga runner (./saga-service.ts, ./bootstrap.ts)
 * and a service's domain functions: what an operation receives and returns.
 * Kept apart from the runner so the domain files (inventory-service/stock.ts,
 * payments, shipments, the order lifecycle) depend on this small file, not on
 * the runner that calls them. The wire contract with Step Functions (task
 * input, step result, step names) is lambdas/contracts/saga.ts.
 */

/** What every saga operation receives: clients, table names and a clock. */
export interface SagaDeps {
  ddb: DynamoDBDocumentClient;
  /** The order aggregates' event store (and its snapshots). */
  eventStore: EventStoreTables;
  orderServiceTable: string;
  now: () => Date;
}

/** The task as an operation sees it: the validated OrderPlaced and the saga's context. */
export interface SagaOperationInput {
  order: TypedEnvelope<'OrderPlaced'>;
  executionId: string;
  failure?: SagaTaskInput['failure'];
  compensationFailure?: SagaTaskInput['compensationFailure'];
}

export type SagaOperation = (input: SagaOperationInput, deps: SagaDeps) => Promise<StepResult>;

/** The operations one service offers, per saga step: the action and its compensation. */
export type SagaOperations = Record<string, Partial<Record<SagaPhase, SagaOperation>>>;

/**
 * Which business figures a step's fresh outcome counts (e.g. AcceptOrder that
 * recorded a new order → OrdersPlaced). Runs only when the operation ran, never
 * for an answer replayed from the idempotency store, so a figure is counted
 * once per fact. Keeps the services' domain functions free of telemetry.
 */
export type OutcomeMetrics = (task: SagaTaskInput, result: StepResult) => readonly BusinessMetricName[];
