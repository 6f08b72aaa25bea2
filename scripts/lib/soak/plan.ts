import { ORDER_SERVICE_SOURCE } from '../../../lambdas/contracts/events';
import {
  CONSUMER_FAULT_TARGETS,
  FAULT_MODES,
  type FaultMode,
  type FaultPoint,
  type FaultRule,
} from '../../../lambdas/contracts/fault-switch';
import { LOYALTY_MIN_TOTAL } from '../../../lambdas/contracts/order-rules';
import { type FinalOrderStatus, ORDER_STATUS } from '../../../lambdas/contracts/order-status';
import { type RouteConsumer, routesOf } from '../../../lambdas/contracts/routes';
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
  /** A compensation of this order fails on every attempt: the order is meant to end NEEDS_ATTENTION. */
  needsAttention: boolean;
  /** The ids of the rules meant to fire on this order, each at least once ({@link firingRules}). */
  firing: string[];
}

/** The price of the in-stock item, and of the sold-out one an out-of-stock order adds. */
export const MUG_PRICE = 40;
export const SOLD_OUT_PRICE = 5;

/** The consumer each consumer fault target is, in the routing table (lambdas/contracts/routes.ts). */
const ROUTE_CONSUMER: Readonly<Record<string, RouteConsumer>> = {
  [CONSUMER_FAULT_TARGETS.EmailConsumer]: 'email',
  [CONSUMER_FAULT_TARGETS.AnalyticsConsumer]: 'analytics',
  [CONSUMER_FAULT_TARGETS.LoyaltyConsumer]: 'loyalty',
  [CONSUMER_FAULT_TARGETS.OrderTimelineConsumer]: 'timeline',
};

/** The event that ends an order, by how it ends. */
const OUTCOME_EVENT: Readonly<Record<FinalOrderStatus, string>> = {
  [ORDER_STATUS.CONFIRMED]: 'OrderConfirmed',
  [ORDER_STATUS.CANCELLED]: 'OrderCancelled',
  [ORDER_STATUS.NEEDS_ATTENTION]: 'OrderNeedsAttention',
};

/**
 * Whether the work a rule targets happens for this order at all: a step after the one that refuses the
 * order never runs; the outcome consumers (e-mail, analytics, loyalty) get only the outcome events the
 * routing table sends them (contracts/routes.ts: OrderConfirmed and OrderCancelled, so nothing for an order
 * that ends NEEDS_ATTENTION); and the loyalty consumer only confirmed orders of LOYALTY_MIN_TOTAL or more
 * (its subscription's filter). The timeline gets every stored event. A rule is only planned where it can
 * fire, so the soak's measured counts tell a real miss from a plan that could not happen.
 */
export function reaches(
  target: string,
  plan: Pick<OrderPlan, 'declined' | 'outOfStock' | 'quantity' | 'needsAttention'>,
): boolean {
  const confirmed = !plan.declined && !plan.outOfStock;
  // Compensations run only for the orders that compensate (a declined card or a refused reservation).
  if (target.startsWith('compensation:')) return !confirmed;
  if (target === `step:${SAGA_STEPS_BY_NAME.ChargePayment}`) return !plan.outOfStock;
  if (target === `step:${SAGA_STEPS_BY_NAME.ArrangeShipment}` || target === `step:${SAGA_STEPS_BY_NAME.ConfirmOrder}`)
    return confirmed;
  const consumer = ROUTE_CONSUMER[target];
  if (consumer === undefined || consumer === 'timeline') return true;
  const outcome = plan.needsAttention ? ORDER_STATUS.NEEDS_ATTENTION : expectedFinalStatus(plan, undefined);
  const routed = routesOf({ source: ORDER_SERVICE_SOURCE, type: OUTCOME_EVENT[outcome] }).some((route) =>
    route.consumers.includes(consumer),
  );
  if (consumer === 'loyalty') return routed && confirmed && plan.quantity * MUG_PRICE >= LOYALTY_MIN_TOTAL;
  return routed;
}

/** The point each rule acts at (contracts/fault-switch.ts FAULT_MODES). */
const pointOf = (rule: FaultRule): FaultPoint => FAULT_MODES[rule.mode];

/**
 * Which of `rules` fire on one unit of work (a consumer's message, a saga task) of order `orderId` at
 * `target`, attempt after attempt, the way the runner asks the switch (lambdas/runtime/core.ts): at each
 * point only the first rule that hits fires (ruleAt, as the injector picks). `before` and `after-effect`
 * sit inside the idempotent work, `before-ack` after it. So a `before` fault stops the attempt, and the
 * `after-effect` and `before-ack` rules of that attempt never fire; once `before-ack` fails, the work is
 * recorded and later attempts ask only `before-ack`. It stops when an attempt passes every point or after
 * enough attempts for every attempt-limited rule to have had its turn; `gaveUp` says the last one failed
 * too (a rule that hits every attempt: the work never succeeds, and the caller gives up).
 */
export function firingRules(
  rules: readonly FaultRule[],
  target: string,
  orderId: string,
): { fired: FaultRule[]; gaveUp: boolean } {
  const ours = rules.filter((r) => r.target === target);
  const fired = new Set<FaultRule>();
  if (ours.length === 0) return { fired: [], gaveUp: false };
  const lastLimited = Math.max(1, ...ours.map((r) => r.attempts ?? 1));
  let recorded = false;
  for (let attempt = 1; attempt <= lastLimited + 1; attempt++) {
    const at = (point: FaultPoint) => {
      // As the injector picks (ruleAt); a rule limited to event types is taken to meet one of its first type.
      const rule = ours.find(
        (r) => pointOf(r) === point && ruleHits(r, { target, orderId, attempt, eventType: r.eventTypes?.[0] }),
      );
      if (rule) fired.add(rule);
      return rule;
    };
    const failed = (!recorded && (at('before') ?? at('after-effect'))) || at('before-ack');
    if (!failed) return { fired: [...fired], gaveUp: false };
    if (pointOf(failed) === 'before-ack') recorded = true;
  }
  return { fired: [...fired], gaveUp: true };
}

/**
 * Plans order `index` of run `run`: which business and delivery faults it
 * carries (a stable draw per kind and order, as the switch draws its own) and
 * which rules fire on it ({@link firingRules}, where their work happens:
 * {@link reaches}). A compensation rule that fails every attempt makes the
 * order end NEEDS_ATTENTION, which changes what the outcome consumers receive.
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
  const switchRules = rules.map((r) => r.rule);
  const targets = [...new Set(switchRules.map((r) => r.target))];
  const shape = { declined, outOfStock, quantity, needsAttention: false };
  const fire = (target: string) =>
    reaches(target, shape) ? firingRules(switchRules, target, orderId) : { fired: [], gaveUp: false };
  // The compensations first: whether one gives up decides what the outcome consumers receive.
  const compensations = targets.filter((t) => t.startsWith('compensation:')).map(fire);
  shape.needsAttention = compensations.some((c) => c.gaveUp);
  const fired = [...compensations, ...targets.filter((t) => !t.startsWith('compensation:')).map(fire)].flatMap(
    (f) => f.fired,
  );
  const kindOf = new Map(rules.map((r) => [r.rule, r.kind]));
  const kinds = new Set<FaultKind>();
  if (outOfStock) kinds.add('out-of-stock');
  if (declined) kinds.add('declined-card');
  if (duplicate) kinds.add('duplicate-order-placed');
  if (idConflict) kinds.add('id-conflict');
  for (const rule of fired) kinds.add(kindOf.get(rule) as FaultKind);
  return {
    orderId,
    index,
    kinds: [...kinds],
    declined,
    outOfStock,
    duplicate,
    idConflict,
    quantity,
    needsAttention: shape.needsAttention,
    firing: fired.map((r) => r.id),
  };
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

/** The kinds of input the driver sends straight to a consumer queue, drawn per order like the others. */
export const BAD_INPUT_KINDS = ['bad-input-malformed', 'bad-input-unknown-type'] as const;

/**
 * The kinds with a positive rate that the plan of run `run` puts on none of its `orders` orders (a
 * bad-input kind counts when some order draws it). Such a run could not show that kind fired.
 */
export function unplannedKinds(run: string, orders: number, rates: Readonly<Record<FaultKind, number>>): FaultKind[] {
  const rules = planRules(run, rates);
  const planned = new Set<FaultKind>();
  for (let i = 0; i < orders; i++) {
    const plan = planOrder(run, i, rates, rules);
    for (const kind of plan.kinds) planned.add(kind);
    for (const kind of BAD_INPUT_KINDS) if (drawKind(run, kind, plan.orderId, rates[kind])) planned.add(kind);
  }
  return (Object.keys(FAULT_KINDS) as FaultKind[]).filter((kind) => rates[kind] > 0 && !planned.has(kind));
}

/**
 * Picks the run id: the first of up to `tries` fresh ids under which every kind with a positive rate is
 * planned on at least one order. Which orders a kind hits is a hash of the run id (the switch's own draw),
 * so a small run can miss a kind by chance (at 4 % over 200 orders, now and then one does); trying ids
 * costs milliseconds and makes "every kind fired" a property of the run rather than of luck. Throws,
 * naming the kinds, when no id plans them all: too few orders for those rates.
 */
export function chooseRun(
  orders: number,
  rates: Readonly<Record<FaultKind, number>>,
  newRun: () => string,
  tries = 200,
): string {
  let missing: FaultKind[] = [];
  for (let t = 0; t < tries; t++) {
    const run = newRun();
    missing = unplannedKinds(run, orders, rates);
    if (missing.length === 0) return run;
  }
  throw new Error(
    `soak: ${orders} orders are too few for these rates: in ${tries} tries no run planned every kind ` +
      `(last missing: ${missing.join(', ')}). Place more orders, raise those rates, or set them to 0 with --rates.`,
  );
}
