import type { Context } from 'aws-lambda';
import { isPermanentError, WrongEventTypeError } from '../../contracts/errors';
import { FAULT_TARGET_PREFIX } from '../../contracts/fault-switch';
import type { SagaTaskInput, StepResult } from '../../contracts/saga';
import { type Envelope, isEventOfType, orderIdOf, parseEnvelope } from '../../messages/envelope';
import { envelopeLogKeys, loggerFor } from '../../platform/logger';
import { createRunnerCore, type RunnerDeps } from '../core';
import type { OutcomeMetrics, SagaDeps, SagaOperations } from './operation';

/**
 * The saga runner: turns a service's operations into the Lambda handler the
 * saga's Step Functions tasks call, with validation of the order, at most once
 * per (order, step, phase, execution) for actions, and telemetry (built on the
 * shared runner core, ../core.ts). Its bootstrap from the environment is
 * ./bootstrap.ts; what an operation is, ./operation.ts.
 */

/**
 * Routes a saga task to its operation. An input that is not a valid OrderPlaced
 * envelope is a business rejection of the action (the saga compensates) and a
 * no-op for a compensation (nothing can have been done for it).
 */
export async function dispatchSagaTask(
  task: SagaTaskInput,
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
      throw new WrongEventTypeError('saga input', ['OrderPlaced'], order.type);
    }
  } catch (error) {
    // Invalid or of the wrong type: permanent, so a business answer, never a retry.
    if (!isPermanentError(error)) throw error;
    return task.phase === 'action'
      ? { ok: false, reason: `INVALID_ORDER: ${error.message.slice(0, 500)}` }
      : { ok: true, detail: { skipped: 'invalid order input' } };
  }
  const { executionId, failure, compensationFailure } = task;
  return operation({ order, executionId, failure, compensationFailure }, deps);
}

export interface SagaServiceDeps extends RunnerDeps {
  saga: SagaDeps;
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
  const core = createRunnerCore(deps, {
    name,
    run: (task: SagaTaskInput) => dispatchSagaTask(task, operations, deps.saga),
    subject: faultSubject,
  });

  return (task: SagaTaskInput, context: Context): Promise<StepResult> =>
    core.invoke(context, async () => {
      const input = task.input as Envelope;
      const logKeys = input && typeof input === 'object' && typeof input.id === 'string' ? envelopeLogKeys(input) : {};
      const log = loggerFor(deps.logger, { ...logKeys, step: task.step, phase: task.phase });
      try {
        const { result, fresh } = await core.run(task, undefined, { cache: task.phase !== 'compensation' });
        if (fresh) {
          for (const figure of options.outcomeMetrics?.(task, result) ?? []) deps.metrics.count(figure);
          log.info('saga task done', { result });
        } else {
          log.info('duplicate saga task suppressed: returning its first result', { result });
        }
        return result;
      } catch (error) {
        log.error('saga task failed', { error: error as Error });
        throw error;
      }
    });
}

/** Who a saga task is, for the fault switch: `step:<name>` or `compensation:<name>`, its order and attempt. */
function faultSubject(task: SagaTaskInput) {
  return {
    target: `${FAULT_TARGET_PREFIX[task.phase]}:${task.step}`,
    orderId: orderIdOf(task.input),
    attempt: (task.retryCount ?? 0) + 1,
  };
}
