/**
 * The fault-injection switch's contract: the modes and points, the shape of a
 * rule, the value that injects nothing and how long a change takes to apply.
 * The stack deploys the switch (FAULTS_OFF), the operator command
 * (scripts/faults.ts) and the tests write rules, and
 * lambdas/platform/fault-injection.ts validates and applies them (its schema
 * is checked against {@link FaultRule} at compile time), the valid targets and
 * the log line a function writes when a rule fires (which the soak counts).
 * Imports only types and the step names from the contracts beside it.
 */

import { SAGA_STEPS, type SagaStepName } from './saga';
import type { ConsumerName } from './stack-outputs';

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

/**
 * The queue consumers' names as a rule's `target` (and in their idempotency keys and parked messages), by
 * the construct id the stack and its outputs use (stack-outputs.ts `CONSUMER_NAMES`): a consumer added there
 * fails typecheck here until it has its target name.
 */
export const CONSUMER_FAULT_TARGETS: Readonly<Record<ConsumerName, string>> = {
  EmailConsumer: 'email-consumer',
  AnalyticsConsumer: 'analytics-consumer',
  LoyaltyConsumer: 'loyalty-consumer',
  OrderTimelineConsumer: 'order-timeline-consumer',
};

/**
 * The saga steps that have a compensation (lib/stacks/order-flow-stack.ts declares the saga):
 * `compensation:<step>` is a target only for these. ConfirmOrder is the last step and is never undone.
 */
export const COMPENSATED_SAGA_STEPS: readonly SagaStepName[] = [
  SAGA_STEPS.AcceptOrder,
  SAGA_STEPS.ReserveInventory,
  SAGA_STEPS.ChargePayment,
  SAGA_STEPS.ArrangeShipment,
];

/**
 * Every target a rule may name: the consumers, `step:<step>` for every saga step and
 * `compensation:<step>` for the compensated ones. Anything else could never fire, so whatever writes a
 * switch refuses it ({@link unknownFaultTargets}).
 */
export const FAULT_TARGETS: readonly string[] = [
  ...Object.values(CONSUMER_FAULT_TARGETS),
  ...Object.values(SAGA_STEPS).map((step) => `${FAULT_TARGET_PREFIX.action}:${step}`),
  ...COMPENSATED_SAGA_STEPS.map((step) => `${FAULT_TARGET_PREFIX.compensation}:${step}`),
];

/**
 * The rules of `value` whose target names nothing deployed, as one message each (rule id and target);
 * empty when every target is valid.
 */
export function unknownFaultTargets(value: FaultSwitch): string[] {
  return value.faults
    .filter((rule) => !FAULT_TARGETS.includes(rule.target))
    .map((rule) => `rule "${rule.id}": unknown target "${rule.target}"`);
}

/** Refuses a switch with a rule naming an unknown target, listing the valid targets. */
export function assertKnownFaultTargets(value: FaultSwitch): void {
  const unknown = unknownFaultTargets(value);
  if (unknown.length > 0) {
    throw new Error(
      `Invalid fault-injection switch: ${unknown.join('; ')}. Valid targets: ${FAULT_TARGETS.join(', ')}`,
    );
  }
}

/**
 * The message of the structured (Powertools, JSON) log line a function writes each time a rule fires,
 * just before the fault acts (so a crash or a timeout still leaves it). Its fields are
 * {@link FaultFiredLine}. The soak and the fault tests count these lines (scripts/lib/faults/fired.ts):
 * what fired, read back from the functions' logs, not what was planned.
 */
export const FAULT_FIRED_MESSAGE = 'fault injected';

/** The fields of a {@link FAULT_FIRED_MESSAGE} log line besides Powertools' own (level, timestamp, service). */
export interface FaultFiredLine {
  message: typeof FAULT_FIRED_MESSAGE;
  faultId: string;
  faultMode: FaultMode;
  faultPoint: FaultPoint;
  faultTarget: string;
  orderId: string;
  attempt: number;
  /** The event a consumer was handling (consumers only). */
  eventType?: string;
  eventId?: string;
}

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
