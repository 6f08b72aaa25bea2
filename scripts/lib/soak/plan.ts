import { CONSUMER_FAULT_TARGETS, type FaultMode, type FaultRule } from '../../../lambdas/contracts/fault-switch';
import { LOYALTY_MIN_TOTAL } from '../../../lambdas/contracts/order-rules';
import { type FinalOrderStatus, ORDER_STATUS } from '../../../lambdas/contracts/order-status';
import { SAGA_STEPS as SAGA_STEPS_BY_NAME } from '../../../lambdas/contracts/saga';
import { ruleHits, sampled } from '../../../lambdas/platform/fault-injection';

/**
 * What a soak run mixes in, and at which rate (share of orders, or of bad
 * messages per order for the bad-input kinds). Each kind is one table row.
 */
export const FAULT_KINDS = {
  'saga-step-transient': 'a saga action throws on its first attempt (Step Functions retries it)',
  'consumer-transient': 'a consumer throws on the first delivery (SQS redelivers)',
  'consumer-crash-after-effect': 'a consumer does the work, then its process dies before recording it',
  'consumer-fail-before-ack': 'a consumer does and records the work, then fails before acknowledging',
  'consumer-timeout': 'a consumer outlives its timeout on the first delivery (killed, redelivered)',
  'consumer-poison': 'a consumer always throws for the order: parked on the last attempt',
  'fifo-poison': 'the ordered (FIFO) consumer always throws for the order: its group is parked',
  'duplicate-order-placed': 'the same OrderPlaced event is delivered twice',
  'id-conflict': 'the order id is sent again, once accepted, with other content: refused, the first stands',
  'declined-card': 'the card is declined: the saga compensates',
  'out-of-stock': 'an item is out of stock: the saga compensates',
  'compensation-failure':
    'the stock release always throws (rate: share of the orders that compensate): the order ends NEEDS_ATTENTION',
  'bad-input-malformed': 'malformed JSON sent straight to a consumer queue',
  'bad-input-unknown-type': 'an envelope of an unknown type sent straight to a consumer queue',
} as const;
export type FaultKind = keyof typeof FAULT_KINDS;

/** Default rates: every kind shows up a few times in a few hundred orders, without drowning the engine. */
export const DEFAULT_RATES: Readonly<Record<FaultKind, number>> = {
  'saga-step-transient': 0.05,
  'consumer-transient': 0.05,
  'consumer-crash-after-effect': 0.02,
  'consumer-fail-before-ack': 0.03,
  'consumer-timeout': 0.02,
  'consumer-poison': 0.02,
  'fifo-poison': 0.01,
  'duplicate-order-placed': 0.05,
  'id-conflict': 0.02,
  'declined-card': 0.05,
  'out-of-stock': 0.03,
  // A share of the orders that compensate (declined or out of stock, 8 % of orders by default): about
  // 2.4 % of all orders end NEEDS_ATTENTION. The invariants set aside exactly what each still holds
  // (heldByOrder, scripts/lib/invariants.ts).
  'compensation-failure': 0.3,
  'bad-input-malformed': 0.01,
  'bad-input-unknown-type': 0.01,
};

const SAGA_STEPS = [
  SAGA_STEPS_BY_NAME.ReserveInventory,
  SAGA_STEPS_BY_NAME.ChargePayment,
  SAGA_STEPS_BY_NAME.ArrangeShipment,
  SAGA_STEPS_BY_NAME.ConfirmOrder,
] as const;
const CONSUMERS = ['email-consumer', 'analytics-consumer', 'loyalty-consumer', 'order-timeline-consumer'] as const;
/** The queue consumers that are not FIFO: poisoning the FIFO one is its own kind. */
const FIFO_CONSUMER = 'order-timeline-consumer';
const STANDARD_CONSUMERS = CONSUMERS.filter((c) => c !== FIFO_CONSUMER);

/** The consumer fault kinds and the switch mode each injects (once, or on every attempt). */
const CONSUMER_FAULTS: { kind: FaultKind; mode: FaultMode; attempts?: number; consumers: readonly string[] }[] = [
  { kind: 'consumer-transient', mode: 'throw', attempts: 1, consumers: CONSUMERS },
  { kind: 'consumer-crash-after-effect', mode: 'crash-after-effect', attempts: 1, consumers: CONSUMERS },
  { kind: 'consumer-fail-before-ack', mode: 'fail-before-ack', attempts: 1, consumers: CONSUMERS },
  { kind: 'consumer-timeout', mode: 'timeout', attempts: 1, consumers: CONSUMERS },
  { kind: 'consumer-poison', mode: 'throw', consumers: STANDARD_CONSUMERS },
  { kind: 'fifo-poison', mode: 'throw', consumers: [FIFO_CONSUMER] },
];

/** The kinds injected through the fault switch: a function logs each time one fires, and the soak counts those lines. */
const SWITCH_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  'saga-step-transient',
  ...CONSUMER_FAULTS.map((f) => f.kind),
  'compensation-failure',
]);

/** Whether `kind` is a fault-switch kind (fired by a function) rather than one the driver does itself. */
export function isSwitchKind(kind: FaultKind): boolean {
  return SWITCH_KINDS.has(kind);
}

/** A rule and the table row it counts for. */
export interface PlannedRule {
  kind: FaultKind;
  rule: FaultRule;
}

/**
 * The fault-switch rules of a run: one rule per kind and target, each with
 * its share of the kind's rate, scoped to the run's orders by prefix. Which
 * orders a rule hits is decided by the switch's own hash (`ruleHits`), so the
 * driver knows without asking the system.
 */
export function planRules(run: string, rates: Readonly<Record<FaultKind, number>>): PlannedRule[] {
  const prefix = `soak-${run}-`;
  const rules: PlannedRule[] = [];
  const add = (kind: FaultKind, id: string, rule: Omit<FaultRule, 'id' | 'orderIdPrefix'>) => {
    if (rule.fraction === 0) return;
    rules.push({ kind, rule: { id: `soak-${run}-${id}`, orderIdPrefix: prefix, ...rule } });
  };
  for (const step of SAGA_STEPS) {
    add('saga-step-transient', `step-${step}`, {
      target: `step:${step}`,
      mode: 'throw',
      attempts: 1,
      fraction: rates['saga-step-transient'] / SAGA_STEPS.length,
    });
  }
  for (const fault of CONSUMER_FAULTS) {
    for (const consumer of fault.consumers) {
      add(fault.kind, `${fault.kind}-${consumer}`, {
        target: consumer,
        mode: fault.mode,
        fraction: rates[fault.kind] / fault.consumers.length,
        ...(fault.attempts ? { attempts: fault.attempts } : {}),
      });
    }
  }
  // The inventory step's compensation (release) runs in every compensation: a refused reservation enters the
  // compensation chain at its own step's undo (lib/constructs/saga-definition.ts), a declined card after it. A
  // compensation's target is named after its step: compensation:<step>. The switch draws `fraction` of all the
  // run's orders, but only those that compensate reach the rule, so the rate is that share of them.
  add('compensation-failure', 'compensation-ReserveInventory', {
    target: `compensation:${SAGA_STEPS_BY_NAME.ReserveInventory}`,
    mode: 'throw',
    fraction: rates['compensation-failure'],
  });
  return rules;
}

/** What happens to one order of the run, decided up front from its id. */
export interface OrderPlan {
  orderId: string;
  index: number;
  /** Kinds that hit this order (rules and business or delivery faults). */
  kinds: FaultKind[];
  declined: boolean;
  outOfStock: boolean;
  duplicate: boolean;
  /** The driver sends the order id again with other content once the first is accepted (./conflicts.ts). */
  idConflict: boolean;
  /** Mugs ordered (1 to 3, at {@link MUG_PRICE} each): every third good order earns loyalty points. */
  quantity: number;
}

/** The price of the in-stock item, and of the sold-out one an out-of-stock order adds. */
export const MUG_PRICE = 40;
export const SOLD_OUT_PRICE = 5;

/**
 * Whether the work a rule targets happens for this order at all: a step after the one that refuses the
 * order never runs, and the loyalty consumer only receives confirmed orders of LOYALTY_MIN_TOTAL or more
 * (its subscription's filter, contracts/routes.ts). A rule is only planned where it can fire, so an order
 * the switch draws but whose work never happens is not counted as injected (the soak's measured counts
 * then tell a real miss from a plan that could not happen).
 */
export function reaches(target: string, plan: Pick<OrderPlan, 'declined' | 'outOfStock' | 'quantity'>): boolean {
  const confirmed = !plan.declined && !plan.outOfStock;
  // Compensations run only for the orders that compensate (a declined card or a refused reservation).
  if (target.startsWith('compensation:')) return !confirmed;
  if (target === CONSUMER_FAULT_TARGETS.LoyaltyConsumer)
    return confirmed && plan.quantity * MUG_PRICE >= LOYALTY_MIN_TOTAL;
  if (target === `step:${SAGA_STEPS_BY_NAME.ChargePayment}`) return !plan.outOfStock;
  if (target === `step:${SAGA_STEPS_BY_NAME.ArrangeShipment}` || target === `step:${SAGA_STEPS_BY_NAME.ConfirmOrder}`)
    return confirmed;
  return true;
}

/**
 * Plans order `index` of run `run`: which business and delivery faults it
 * carries (a stable draw per kind and order, as the switch draws its own) and
 * which rules hit it (where their work happens: {@link reaches}; a
 * compensation failure only for an order that compensates).
 */
export function planOrder(
  run: string,
  index: number,
  rates: Readonly<Record<FaultKind, number>>,
  rules: readonly PlannedRule[],
): OrderPlan {
  const orderId = `soak-${run}-${index}`;
  const draw = (kind: FaultKind) => drawKind(run, kind, orderId, rates[kind]);
  const outOfStock = draw('out-of-stock');
  // Out of stock wins: a declined card on an order that never reserves would never be charged.
  const declined = !outOfStock && draw('declined-card');
  const duplicate = draw('duplicate-order-placed');
  const idConflict = draw('id-conflict');
  const quantity = 1 + (index % 3);
  const kinds = new Set<FaultKind>();
  if (outOfStock) kinds.add('out-of-stock');
  if (declined) kinds.add('declined-card');
  if (duplicate) kinds.add('duplicate-order-placed');
  if (idConflict) kinds.add('id-conflict');
  for (const { kind, rule } of rules) {
    if (!reaches(rule.target, { declined, outOfStock, quantity })) continue;
    // Attempt 1: every rule of the run hits then if it hits at all; on an event of a type it names, if any.
    if (ruleHits(rule, { target: rule.target, orderId, attempt: 1, eventType: rule.eventTypes?.[0] })) kinds.add(kind);
  }
  return { orderId, index, kinds: [...kinds], declined, outOfStock, duplicate, idConflict, quantity };
}

/**
 * The final state an order must reach, from what was done to it: a compensation failure that FIRED on it
 * (by the functions' logs, scripts/lib/faults/fired.ts) leaves it NEEDS_ATTENTION (docs/failure-modes.md,
 * scenario 12), whatever made it compensate; one that was planned and did not fire changes nothing. A
 * declined card or a sold-out item cancels it; anything else confirms it. A refused id conflict leaves the
 * first order as it would have been: the loser is stopped before any step.
 */
export function expectedFinalStatus(
  plan: Pick<OrderPlan, 'declined' | 'outOfStock'>,
  fired: ReadonlySet<FaultKind> | undefined,
): FinalOrderStatus {
  if (fired?.has('compensation-failure')) return ORDER_STATUS.NEEDS_ATTENTION;
  return plan.declined || plan.outOfStock ? ORDER_STATUS.CANCELLED : ORDER_STATUS.CONFIRMED;
}

/** A stable draw per (run, kind, order), the way the switch draws its rules: the same order is in or out every time. */
export function drawKind(run: string, kind: FaultKind, orderId: string, rate: number): boolean {
  return sampled(`soak-${run}-${kind}`, orderId, rate);
}

/** Parses `--rate kind=0.05,kind=0.1` overrides onto the defaults, refusing unknown kinds and values outside [0, 1]. */
export function parseRates(spec: string | undefined): Record<FaultKind, number> {
  const rates: Record<FaultKind, number> = { ...DEFAULT_RATES };
  if (!spec) return rates;
  const problems: string[] = [];
  for (const part of spec.split(',').filter(Boolean)) {
    const [kind, value] = part.split('=');
    const n = Number(value);
    if (!(kind in FAULT_KINDS)) problems.push(`unknown fault kind "${kind}"`);
    else if (!Number.isFinite(n) || n < 0 || n > 1) problems.push(`${kind}=${value}: the rate must be in [0, 1]`);
    else rates[kind as FaultKind] = n;
  }
  if (problems.length > 0) {
    throw new Error(
      `--rates: ${problems.join('; ')}. Kinds: ${Object.keys(FAULT_KINDS).join(', ')} (e.g. --rates consumer-poison=0.05,declined-card=0)`,
    );
  }
  return rates;
}
