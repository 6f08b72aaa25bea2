/**
 * The routing table: which events go where. The stack adds one EventBridge
 * rule per {@link RULE_ROUTES} entry (lib/stacks/order-flow-stack.ts), and the
 * invariant checks (scripts/lib/invariants.ts) read the same table to know
 * which consumers a stored event should have reached and which consumers a
 * message in the rule-target DLQ stood for, instead of re-encoding the routing.
 *
 * Dependency-free on purpose (it imports only the contracts' own events.ts): the stack,
 * the scripts and the tests import it without loading any runtime code.
 */

import { CHECKOUT_SOURCE, ORDER_OUTCOME_TYPES, ORDER_SERVICE_SOURCE } from './events';

/** Who acts on a routed event; `saga` is the order saga's state machine. */
export type RouteConsumer = 'saga' | 'email' | 'analytics' | 'loyalty' | 'timeline';

/**
 * An EventBridge event pattern on the envelope's `source` and `detail-type`
 * (the envelope's `type`): an event matches when its source is listed and,
 * if `detailType` is given, its type is listed too.
 */
export interface RoutePattern {
  readonly source: readonly string[];
  /** @default - any type */
  readonly detailType?: readonly string[];
}

/** One route: a pattern and the target the matching events are sent to. */
export interface Route {
  /** The rule's construct id (its name contains it) and its stack output `<id>RuleArn`. */
  readonly id: string;
  /** The rule's description. */
  readonly description: string;
  readonly pattern: RoutePattern;
  /** The stack's target: the saga, the SNS fan-out, or the order timeline's FIFO queue. */
  readonly target: 'saga' | 'fanout' | 'timeline';
  /**
   * The consumers behind the target. The fan-out's loyalty subscription filters further on the body
   * (confirmed orders of `LOYALTY_MIN_TOTAL` or more), so loyalty is a possible, not a certain, receiver.
   */
  readonly consumers: readonly RouteConsumer[];
}

/** The EventBridge rules, in the order the stack adds them. Every target retries, then dead-letters. */
export const RULE_ROUTES = [
  {
    id: 'OrderPlacedToSaga',
    description: 'OrderPlaced starts the order saga',
    pattern: { source: [CHECKOUT_SOURCE], detailType: ['OrderPlaced'] },
    target: 'saga',
    consumers: ['saga'],
  },
  {
    id: 'OrderOutcomesToFanout',
    description: 'Order outcomes fan out to e-mail, analytics and loyalty',
    pattern: { source: [ORDER_SERVICE_SOURCE], detailType: ORDER_OUTCOME_TYPES },
    target: 'fanout',
    consumers: ['email', 'analytics', 'loyalty'],
  },
] as const satisfies readonly Route[];

/** The id of a rule route. */
export type RuleRouteId = (typeof RULE_ROUTES)[number]['id'];

/**
 * The route that is not a rule: the event relay (lambdas/event-relay/relay.ts) reads this table and
 * sends every stored event that matches it to the order timeline's FIFO queue, in its order's message
 * group (a rule target's message group is one fixed string for every event). The store holds the
 * order service's events and the OrderPlaced that started the order, as checkout sent it.
 */
export const RELAY_ROUTES = [
  {
    id: 'StoredEventsToTimeline',
    description: 'The relay sends every stored event to the order timeline, grouped by order',
    pattern: { source: [CHECKOUT_SOURCE, ORDER_SERVICE_SOURCE] },
    target: 'timeline',
    consumers: ['timeline'],
  },
] as const satisfies readonly Route[];

/** Whether the relay sends this stored event to the order timeline. */
export function relaysToTimeline(event: { source: string; type: string }): boolean {
  return RELAY_ROUTES.some((route) => route.target === 'timeline' && matchesPattern(route.pattern, event));
}

/** Every route, rules first. */
export const ROUTES: readonly Route[] = [...RULE_ROUTES, ...RELAY_ROUTES];

/** Whether an event with this `source` and `type` matches the pattern. */
export function matchesPattern(pattern: RoutePattern, event: { source: string; type: string }): boolean {
  return pattern.source.includes(event.source) && (pattern.detailType?.includes(event.type) ?? true);
}

/** The routes an event takes (rules and relay). */
export function routesOf(event: { source: string; type: string }): Route[] {
  return ROUTES.filter((route) => matchesPattern(route.pattern, event));
}

/**
 * The rule route whose rule this is, by rule name (an ARN's last path segment): `ruleArns` holds each
 * route's deployed rule ARN (the stack outputs `<id>RuleArn`). Undefined for a rule not in the table.
 */
export function ruleRouteOf(
  ruleArn: string | undefined,
  ruleArns: Readonly<Record<RuleRouteId, string>>,
): (typeof RULE_ROUTES)[number] | undefined {
  if (!ruleArn) return undefined;
  const nameOf = (arn: string) => arn.split('/').pop();
  return RULE_ROUTES.find((route) => nameOf(ruleArns[route.id]) === nameOf(ruleArn));
}
