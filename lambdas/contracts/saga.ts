/**
 * The saga's contract: what the `Saga` construct (lib/constructs/saga.ts) and
 * the stack send to a step's Lambda, what the step answers, and the step names
 * both sides use. It lives here, not in the saga runner, because the stack
 * (state names), the services' domain functions (dispatch), the operator tools
 * (scripts/lib/ops) and the tests all read it; it imports nothing.
 */

/** Whether a task does its step (`action`), undoes it (`compensation`) or reports a failed undo. */
export type SagaPhase = 'action' | 'compensation' | 'compensationFailure';

/**
 * What the `Saga` construct (lib/constructs/saga.ts) sends to a step's Lambda:
 * the step name, whether to do or undo it, the saga's input (here the
 * OrderPlaced envelope, validated by the runner, so `unknown` until then) and,
 * on the compensation path, why the saga failed.
 */
export interface SagaTaskInput<TInput = unknown> {
  step: string;
  /**
   * `compensationFailure`: the saga's `onCompensationFailure` report that the
   * compensation of `step` failed after all its retries (see below).
   */
  phase: SagaPhase;
  input: TInput;
  /** The Step Functions execution running this task (`$$.Execution.Id`). */
  executionId: string;
  /** Retries of this task so far (`$$.State.RetryCount`): 0 on the first attempt. */
  retryCount?: number;
  /**
   * Set on the compensation path: `{ step, reason }` for a business rejection,
   * or Step Functions' `{ Error, Cause }` for a technical fault that exhausted
   * its retries.
   */
  failure?: { step?: string; reason?: string; Error?: string; Cause?: string };
  /** Set in phase `compensationFailure`: Step Functions' `{ Error, Cause }` of the failed compensation. */
  compensationFailure?: { Error?: string; Cause?: string };
}

/**
 * What a step returns. Business outcomes travel as data (`ok: false` with a
 * reason) and are routed by a Choice state; only technical faults are thrown.
 * That keeps the saga's routing independent of how an engine names errors.
 *
 * `compensate: false` stops the saga without undoing anything: the answer for
 * a duplicate execution, which must not compensate the original's work.
 */
export type StepResult =
  | { ok: true; detail?: Record<string, unknown> }
  | { ok: false; reason: string; compensate?: false; detail?: Record<string, unknown> };

/** The saga's step names, shared by the stack (state names) and the services (dispatch). */
export const SAGA_STEPS = {
  AcceptOrder: 'AcceptOrder',
  ReserveInventory: 'ReserveInventory',
  ChargePayment: 'ChargePayment',
  ArrangeShipment: 'ArrangeShipment',
  ConfirmOrder: 'ConfirmOrder',
} as const;
export type SagaStepName = (typeof SAGA_STEPS)[keyof typeof SAGA_STEPS];

/** Derives a one-line reason from a compensation's `failure` field. */
export function failureReason(failure: SagaTaskInput['failure']): string {
  if (!failure) return 'unknown';
  if (failure.reason) return failure.step ? `${failure.step}: ${failure.reason}` : failure.reason;
  return failure.Error ? `${failure.Error}${failure.Cause ? `: ${failure.Cause.slice(0, 200)}` : ''}` : 'unknown';
}
