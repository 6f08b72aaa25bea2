import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { ENV } from '../contracts/env';
import { FaultInjectedError } from '../contracts/errors';
import {
  FAULT_FIRED_MESSAGE,
  FAULT_MODES,
  FAULT_SWITCH_MAX_AGE_SECONDS,
  type FaultFiredLine,
  type FaultMode,
  type FaultPoint,
  type FaultRule,
  type FaultSwitch,
} from '../contracts/fault-switch';

/**
 * Fault injection: a testing aid the deployed system supports, switched at run
 * time through SSM parameters (no redeploy) and off by default. Every
 * parameter directly under the switch's path (`/<stack>/fault-injection/…`)
 * holds a JSON switch `{"faults": [rules]}`; the stack deploys one, `default`,
 * holding none. Operators edit it; tests add their own parameter beside it and
 * delete it afterwards, so tests running in parallel never overwrite each
 * other's rules. Every consumer and saga service reads the path with a short
 * cache and, where a rule matches, throws, times out or crashes at a named
 * point. docs/operations.md "Fault injection" documents it.
 *
 * A rule names its target (a consumer such as `analytics-consumer`, or a saga
 * step's action `step:ChargePayment` or compensation `compensation:ChargePayment`),
 * a mode, and which work it hits: given order ids, or a fraction of orders
 * (chosen by a hash of rule id and order id, so the same orders are hit on
 * every attempt and a soak run can tell which ones were), optionally only
 * orders whose id starts with `orderIdPrefix` (a test's or a soak run's own
 * orders), only events of the given `eventTypes` (one event of an order on a
 * consumer, e.g. to leave a single gap in an ordered stream) and only the
 * first `attempts` attempts (a transient fault that a retry recovers from).
 *
 * Never a source of failure itself: an unreadable path or an invalid switch is
 * logged as an error and injects nothing (the other switches still apply).
 */

const RULE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const TARGET = /^((step|compensation):)?[A-Za-z0-9_-]{1,64}$/;

const faultRuleSchema = z.strictObject({
  id: z.string().check(z.regex(RULE_ID, 'must be 1 to 64 letters, digits, _ . or -')),
  target: z.string().check(z.regex(TARGET, 'must be a consumer name, step:<StepName> or compensation:<StepName>')),
  mode: z.enum(Object.keys(FAULT_MODES) as [FaultMode, ...FaultMode[]]),
  orderIds: z.optional(z.array(z.string()).check(z.minLength(1))),
  orderIdPrefix: z.optional(z.string().check(z.minLength(1))),
  fraction: z.optional(z.number().check(z.gte(0), z.lte(1))),
  attempts: z.optional(z.int().check(z.gte(1))),
  eventTypes: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
});

export const faultSwitchSchema = z.strictObject({ faults: z.array(faultRuleSchema) });

// The schema must parse exactly the contract's rule (lambdas/contracts/fault-switch.ts): a field
// more or less on either side fails to compile here.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesContract: Exactly<z.infer<typeof faultSwitchSchema>, FaultSwitch> = true;
void schemaMatchesContract;

/**
 * Validates a switch value, throwing one error that lists every problem; also
 * used by whatever writes the switch, so a bad value is refused before it is
 * stored. Rule ids must be unique: they name the fault in logs and reports.
 */
export function parseFaultSwitch(value: unknown): FaultSwitch {
  const result = faultSwitchSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid fault-injection switch: ${problems.join('; ')}`);
  }
  const ids = result.data.faults.map((f) => f.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`Invalid fault-injection switch: rule id "${duplicate}" is used twice`);
  return result.data;
}

/** The unit of work a fault point is asked about. */
export interface FaultSubject {
  /** The consumer's name, or `step:<name>` / `compensation:<name>` for a saga task. */
  target: string;
  /** The order the work belongs to; work without one is never hit. */
  orderId?: string;
  /** 1 for the first attempt (SQS receive count, Step Functions retry count + 1). */
  attempt: number;
  /** The event a consumer is handling; saga tasks have none, so a rule with `eventTypes` never hits them. */
  eventType?: string;
  /** That event's id, for the fired-fault log line (which event of the order was hit). */
  eventId?: string;
}

/**
 * Whether `rule` hits `subject`. Pure and shared with the soak run, which uses
 * it to know which orders it made fail.
 */
export function ruleHits(rule: FaultRule, subject: FaultSubject): boolean {
  if (rule.target !== subject.target || subject.orderId === undefined) return false;
  if (rule.attempts !== undefined && subject.attempt > rule.attempts) return false;
  if (rule.orderIdPrefix !== undefined && !subject.orderId.startsWith(rule.orderIdPrefix)) return false;
  if (rule.eventTypes && (subject.eventType === undefined || !rule.eventTypes.includes(subject.eventType)))
    return false;
  if (rule.orderIds) return rule.orderIds.includes(subject.orderId);
  return sampled(rule.id, subject.orderId, rule.fraction ?? 1);
}

/**
 * The rule that fires at `point` for `subject`: the first in the switch's order that acts there and hits.
 * One rule at most per point: the injector throws, sleeps or exits on it (the soak's plan picks the same way).
 */
export function ruleAt(rules: readonly FaultRule[], point: FaultPoint, subject: FaultSubject): FaultRule | undefined {
  return rules.find((r) => FAULT_MODES[r.mode] === point && ruleHits(r, subject));
}

/** A stable draw in [0, 1) per (rule, order): the same order is in or out on every attempt and every function. */
export function sampled(ruleId: string, orderId: string, fraction: number): boolean {
  if (fraction >= 1) return true;
  const digest = createHash('sha256').update(`${ruleId}:${orderId}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < fraction;
}

/** Asked at each fault point of a unit of work; returns normally when no rule hits. */
export interface FaultInjector {
  at(point: FaultPoint, subject: FaultSubject, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void>;
}

/** The injector of a function deployed without the switch. */
export const NO_FAULTS: FaultInjector = { at: async () => {} };

export interface FaultInjectorDeps {
  /** The current rules (cached by the caller). */
  loadRules: () => Promise<readonly FaultRule[]>;
  logger: Logger;
  /** Ends the process (`crash-after-effect`); replaced in unit tests. */
  exit?: (code: number) => never;
  sleep?: (ms: number) => Promise<void>;
}

/** Longest a `timeout` fault waits when the invocation's deadline is unknown (Lambda's maximum timeout). */
const UNKNOWN_DEADLINE_MS = 15 * 60 * 1000;

export function createFaultInjector(deps: FaultInjectorDeps): FaultInjector {
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    async at(point, subject, context) {
      const rules = await deps.loadRules();
      const rule = ruleAt(rules, point, subject);
      if (!rule) return;
      const what = `fault "${rule.id}" injected: ${rule.mode} in ${subject.target} (order ${subject.orderId}, attempt ${subject.attempt})`;
      // The line the soak and the fault tests count (contracts/fault-switch.ts FAULT_FIRED_MESSAGE), written
      // before the fault acts so that a crash or a timeout still leaves it.
      const fired: Omit<FaultFiredLine, 'message'> = {
        faultId: rule.id,
        faultMode: rule.mode,
        faultPoint: point,
        faultTarget: subject.target,
        orderId: subject.orderId as string, // ruleHits never hits work without an order
        attempt: subject.attempt,
        ...(subject.eventType === undefined ? {} : { eventType: subject.eventType }),
        ...(subject.eventId === undefined ? {} : { eventId: subject.eventId }),
      };
      deps.logger.warn(FAULT_FIRED_MESSAGE, fired);
      switch (rule.mode) {
        case 'throw':
        case 'fail-before-ack':
          throw new FaultInjectedError(what, rule.id);
        case 'timeout': {
          const remaining = context?.getRemainingTimeInMillis() ?? UNKNOWN_DEADLINE_MS;
          await sleep(remaining + 1_000);
          // Only reached where nothing enforces a deadline (e.g. a unit test): fail as the timeout would have.
          throw new FaultInjectedError(`${what}; the invocation outlived its deadline`, rule.id);
        }
        case 'crash-after-effect':
          // Like an out-of-memory kill or a lost host: no catch block, no cleanup, no acknowledgement.
          return exit(1);
      }
    },
  };
}

/**
 * The injector a deployed function uses: reads the switches under
 * `FAULT_INJECTION_PATH` through Powertools Parameters (cached for
 * {@link FAULT_SWITCH_MAX_AGE_SECONDS}), or injects nothing when the function
 * was deployed without the switch.
 */
export function faultInjectorFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): FaultInjector {
  const path = env[ENV.FAULT_INJECTION_PATH];
  if (!path) return NO_FAULTS;
  const provider = new SSMProvider({ awsSdkV3Client: new SSMClient({}) });
  // Each distinct problem is logged once, not once per message.
  const reported = new Set<string>();
  const report = (problem: string, details: Record<string, unknown>) => {
    if (reported.has(problem)) return;
    reported.add(problem);
    logger.error(`fault-injection switch ignored: ${problem}`, details);
  };
  return createFaultInjector({
    logger,
    loadRules: async () => {
      let switches: Record<string, unknown> | undefined;
      try {
        switches = await provider.getMultiple(path, { maxAge: FAULT_SWITCH_MAX_AGE_SECONDS, recursive: false });
      } catch (error) {
        report((error as Error).message, { path, error: error as Error });
        return [];
      }
      return Object.entries(switches ?? {}).flatMap(([name, raw]) => {
        try {
          return parseFaultSwitch(JSON.parse(String(raw))).faults;
        } catch (error) {
          report(`${name}: ${(error as Error).message}`, { parameterName: name });
          return [];
        }
      });
    },
  });
}
