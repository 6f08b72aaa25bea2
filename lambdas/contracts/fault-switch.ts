/**
 * The fault-injection switch's contract: the modes and points, the shape of a
 * rule, the value that injects nothing and how long a change takes to apply.
 * The stack deploys the switch (FAULTS_OFF), the operator command
 * (scripts/faults.ts) and the tests write rules, and
 * lambdas/platform/fault-injection.ts validates and applies them (its schema
 * is checked against {@link FaultRule} at compile time). Imports nothing.
 */

/** What a matching rule does, and at which fault point of the unit of work. */
export const FAULT_MODES = {
  /** Throws before the work starts (nothing done): a plain failure, retried by the caller. */
  throw: 'before',
  /** Sleeps past the function's timeout before the work starts, so the invocation is killed. */
  timeout: 'before',
  /** Does the work, then exits the process before the idempotency record completes and before acknowledging. */
  'crash-after-effect': 'after-effect',
  /** Does the work and records it, then fails before acknowledging: the caller delivers it again. */
  'fail-before-ack': 'before-ack',
} as const;
export type FaultMode = keyof typeof FAULT_MODES;
export type FaultPoint = (typeof FAULT_MODES)[FaultMode];

/** How long a function keeps the switch's value: a change takes effect within this. */
export const FAULT_SWITCH_MAX_AGE_SECONDS = 5;

/**
 * The target prefix of a saga task per phase: a rule's `target` is a
 * consumer's name, `step:<StepName>` (an action) or `compensation:<StepName>`.
 * A failed compensation's report (`compensation-failure:`) is never a target.
 */
export const FAULT_TARGET_PREFIX = {
  action: 'step',
  compensation: 'compensation',
  compensationFailure: 'compensation-failure',
} as const;

/** One rule of a switch. */
export interface FaultRule {
  /** Names the fault in logs and reports; unique within the switches. */
  id: string;
  /** A consumer's name, `step:<StepName>` or `compensation:<StepName>`. */
  target: string;
  mode: FaultMode;
  /** Hit only these orders. */
  orderIds?: string[];
  /** Hit only orders whose id starts with this (a test's or a soak run's own orders). */
  orderIdPrefix?: string;
  /** Hit this fraction of orders, chosen by a hash of rule id and order id (default all). */
  fraction?: number;
  /** Hit only the first this many attempts (a transient fault that a retry recovers from). */
  attempts?: number;
  /** Hit only events of these types (consumers only: saga tasks have no event type). */
  eventTypes?: string[];
}

/** The value of one switch parameter: `{"faults": [rules]}`. */
export interface FaultSwitch {
  faults: FaultRule[];
}

/** The switch's value when nothing is injected. */
export const FAULTS_OFF: FaultSwitch = { faults: [] };
