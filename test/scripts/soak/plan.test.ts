import { describe, expect, it } from 'vitest';
import type { FaultRule } from '../../../lambdas/contracts/fault-switch';
import { ruleHits } from '../../../lambdas/platform/fault-injection';
import {
  chooseRun,
  DEFAULT_RATES,
  expectedFinalStatus,
  type FaultKind,
  firingRules,
  parseRates,
  planOrder,
  planRules,
  reaches,
  unplannedKinds,
} from '../../../scripts/lib/soak/plan';
import { formatSoakTable, markdownSoakTable } from '../../../scripts/lib/soak/run';

describe('soak plan', () => {
  it('scopes every rule to the run’s order ids and splits a kind’s rate over its targets', () => {
    const rules = planRules('r1', DEFAULT_RATES);
    expect(rules.every((r) => r.rule.orderIdPrefix === 'soak-r1-' && r.rule.id.startsWith('soak-r1-'))).toBe(true);
    const transient = rules.filter((r) => r.kind === 'consumer-transient');
    expect(transient.map((r) => r.rule.target)).toEqual([
      'email-consumer',
      'analytics-consumer',
      'loyalty-consumer',
      'order-timeline-consumer',
    ]);
    expect(
      transient.every((r) => r.rule.attempts === 1 && r.rule.fraction === DEFAULT_RATES['consumer-transient'] / 4),
    ).toBe(true);
    // Poison is permanent (no attempts limit) and, for the standard queues, not on the FIFO consumer.
    const poison = rules.filter((r) => r.kind === 'consumer-poison');
    expect(poison.every((r) => r.rule.attempts === undefined && r.rule.target !== 'order-timeline-consumer')).toBe(
      true,
    );
    // On by default: it targets the inventory step's compensation, on every attempt; off at rate 0.
    expect(rules.filter((r) => r.kind === 'compensation-failure').map((r) => r.rule)).toEqual([
      expect.objectContaining({
        target: 'compensation:ReserveInventory',
        mode: 'throw',
        fraction: DEFAULT_RATES['compensation-failure'],
      }),
    ]);
    expect(rules.find((r) => r.kind === 'compensation-failure')?.rule.attempts).toBeUndefined();
    const without = planRules('r1', { ...DEFAULT_RATES, 'compensation-failure': 0 });
    expect(without.some((r) => r.kind === 'compensation-failure')).toBe(false);
  });

  it('knows which orders a rule hits exactly as the switch decides it', () => {
    const rates = { ...DEFAULT_RATES, 'consumer-poison': 0.5 };
    const rules = planRules('r2', rates);
    for (let i = 0; i < 200; i++) {
      const plan = planOrder('r2', i, rates, rules);
      const hitByPoison = rules
        .filter((r) => r.kind === 'consumer-poison')
        .some(
          (r) =>
            ruleHits(r.rule, { target: r.rule.target, orderId: plan.orderId, attempt: 3 }) &&
            reaches(r.rule.target, plan),
        );
      expect(plan.kinds.includes('consumer-poison')).toBe(hitByPoison);
    }
  });

  it('plans a rule only where its work happens: loyalty for confirmed orders of 100 or more, later steps for orders that get there', () => {
    const good = { declined: false, outOfStock: false, needsAttention: false };
    expect([1, 2, 3].map((quantity) => reaches('loyalty-consumer', { ...good, quantity }))).toEqual([
      false,
      false,
      true,
    ]);
    expect(reaches('loyalty-consumer', { ...good, declined: true, quantity: 3 })).toBe(false);
    expect(reaches('step:ChargePayment', { ...good, outOfStock: true, quantity: 1 })).toBe(false);
    expect(reaches('step:ArrangeShipment', { ...good, declined: true, quantity: 1 })).toBe(false);
    expect(reaches('step:ReserveInventory', { ...good, outOfStock: true, quantity: 1 })).toBe(true);
    expect(reaches('email-consumer', { ...good, declined: true, quantity: 1 })).toBe(true);
    // An order whose compensation gives up ends with OrderNeedsAttention, which the routing table sends to no
    // outcome consumer (contracts/routes.ts); the timeline still gets every stored event.
    const stuck = { declined: true, outOfStock: false, needsAttention: true, quantity: 3 };
    expect(['email-consumer', 'analytics-consumer', 'loyalty-consumer'].map((t) => reaches(t, stuck))).toEqual([
      false,
      false,
      false,
    ]);
    expect(reaches('order-timeline-consumer', stuck)).toBe(true);
    // A compensation runs for every order that compensates: a declined card, or a refused reservation
    // (which enters the chain at its own step's undo), and for no confirmed order.
    expect(
      [{ declined: true }, { outOfStock: true }, {}].map((f) =>
        reaches('compensation:ReserveInventory', { ...good, ...f, quantity: 1 }),
      ),
    ).toEqual([true, true, false]);
  });

  it('plans one rule per point and attempt, as the switch fires them, and which rules never let the work succeed', () => {
    const rule = (id: string, mode: FaultRule['mode'], attempts?: number): FaultRule => ({
      id,
      target: 'email-consumer',
      mode,
      orderIds: ['o'],
      ...(attempts ? { attempts } : {}),
    });
    const ids = (rules: FaultRule[]) => {
      const { fired, gaveUp } = firingRules(rules, 'email-consumer', 'o');
      return { fired: fired.map((r) => r.id), gaveUp };
    };
    // Two `before` rules on attempt 1: the first in the switch's order fires, the other never gets its turn.
    expect(ids([rule('transient', 'throw', 1), rule('timeout', 'timeout', 1)])).toEqual({
      fired: ['transient'],
      gaveUp: false,
    });
    // A crash after the effect ends the attempt before the acknowledgement's fault point.
    expect(ids([rule('crash', 'crash-after-effect', 1), rule('ack', 'fail-before-ack', 1)])).toEqual({
      fired: ['crash'],
      gaveUp: false,
    });
    // A poison throws before the work on every attempt, so a fault after the work never fires (soak run b8039a).
    expect(ids([rule('ack', 'fail-before-ack', 1), rule('poison', 'throw')])).toEqual({
      fired: ['poison'],
      gaveUp: true,
    });
    // A transient fault takes attempt 1, the poison every later one: both fire.
    expect(ids([rule('transient', 'throw', 1), rule('poison', 'throw')])).toEqual({
      fired: ['transient', 'poison'],
      gaveUp: true,
    });
    expect(ids([rule('ack', 'fail-before-ack', 1)])).toEqual({ fired: ['ack'], gaveUp: false });
    expect(ids([{ ...rule('other', 'throw'), orderIds: ['p'] }])).toEqual({ fired: [], gaveUp: false });
  });

  it('plans no outcome consumer’s fault on an order whose compensation gives up (it gets no outcome event)', () => {
    const zero = Object.fromEntries(Object.keys(DEFAULT_RATES).map((k) => [k, 0])) as Record<FaultKind, number>;
    const rates = { ...zero, 'declined-card': 1, 'compensation-failure': 1, 'consumer-crash-after-effect': 1 };
    const outcomeConsumerTargets = (r: typeof rates) => {
      const rules = planRules('r6', r);
      const plans = Array.from({ length: 40 }, (_, i) => planOrder('r6', i, r, rules));
      const targets = plans.flatMap((p) => p.firing.map((id) => rules.find((x) => x.rule.id === id)?.rule.target));
      return { plans, targets: new Set(targets) };
    };
    const stuck = outcomeConsumerTargets(rates);
    expect(stuck.plans.every((p) => p.needsAttention)).toBe(true);
    expect([...stuck.targets].sort()).toEqual(['compensation:ReserveInventory', 'order-timeline-consumer']);
    // The same orders, cancelled cleanly: e-mail and analytics get OrderCancelled, so their crashes are planned.
    const cancelled = outcomeConsumerTargets({ ...rates, 'compensation-failure': 0 });
    expect(cancelled.plans.some((p) => p.needsAttention)).toBe(false);
    expect([...cancelled.targets].sort()).toEqual(['analytics-consumer', 'email-consumer', 'order-timeline-consumer']);
  });

  it('plans a compensation failure on exactly the compensating orders the switch draws, out of stock included', () => {
    const rates = { ...DEFAULT_RATES, 'declined-card': 0.3, 'out-of-stock': 0.3, 'compensation-failure': 0.5 };
    const rules = planRules('r4', rates);
    const rule = rules.find((r) => r.kind === 'compensation-failure')!.rule;
    const plans = Array.from({ length: 300 }, (_, i) => planOrder('r4', i, rates, rules));
    for (const plan of plans) {
      const drawn = ruleHits(rule, { target: rule.target, orderId: plan.orderId, attempt: 1 });
      expect(plan.kinds.includes('compensation-failure')).toBe(drawn && (plan.declined || plan.outOfStock));
    }
    const planned = plans.filter((p) => p.kinds.includes('compensation-failure'));
    expect(planned.some((p) => p.declined)).toBe(true);
    expect(planned.some((p) => p.outOfStock)).toBe(true);
  });

  it('draws the id conflicts stably, as a kind of the order', () => {
    const rates = { ...DEFAULT_RATES, 'id-conflict': 0.2 };
    const plans = Array.from({ length: 200 }, (_, i) => planOrder('r5', i, rates, []));
    const conflicted = plans.filter((p) => p.idConflict);
    expect(conflicted.length).toBeGreaterThan(0);
    expect(conflicted.length).toBeLessThan(plans.length);
    expect(plans.every((p) => p.kinds.includes('id-conflict') === p.idConflict)).toBe(true);
    expect(planOrder('r5', 11, rates, [])).toEqual(plans[11]);
    expect(plans.some((p) => planOrder('r5', p.index, { ...rates, 'id-conflict': 0 }, []).idConflict)).toBe(false);
  });

  it('expects each order’s final state from what fired on it, not from the plan', () => {
    const fired = (...kinds: FaultKind[]) => new Set<FaultKind>(kinds);
    const good = { declined: false, outOfStock: false };
    // A compensation failure that fired leaves the order for an operator, whatever made it compensate.
    expect(expectedFinalStatus({ ...good, declined: true }, fired('compensation-failure'))).toBe('NEEDS_ATTENTION');
    expect(expectedFinalStatus({ ...good, outOfStock: true }, fired('compensation-failure'))).toBe('NEEDS_ATTENTION');
    // One planned that did not fire changes nothing: the ordinary outcome.
    expect(expectedFinalStatus({ ...good, declined: true }, fired('consumer-transient'))).toBe('CANCELLED');
    expect(expectedFinalStatus({ ...good, outOfStock: true }, undefined)).toBe('CANCELLED');
    expect(expectedFinalStatus(good, undefined)).toBe('CONFIRMED');
    expect(expectedFinalStatus(good, fired('saga-step-transient', 'consumer-poison'))).toBe('CONFIRMED');
  });

  it('draws business faults stably and never declines an order that is out of stock', () => {
    const rates = { ...DEFAULT_RATES, 'out-of-stock': 0.5, 'declined-card': 0.5 };
    const plans = Array.from({ length: 400 }, (_, i) => planOrder('r3', i, rates, []));
    expect(plans.some((p) => p.outOfStock)).toBe(true);
    expect(plans.some((p) => p.declined)).toBe(true);
    expect(plans.some((p) => p.outOfStock && p.declined)).toBe(false);
    expect(planOrder('r3', 7, rates, [])).toEqual(plans[7]);
  });

  it('parses rate overrides and refuses unknown kinds and rates outside [0, 1], naming each', () => {
    expect(parseRates('consumer-poison=0.1,declined-card=0')).toMatchObject({
      'consumer-poison': 0.1,
      'declined-card': 0,
      'out-of-stock': DEFAULT_RATES['out-of-stock'],
    });
    expect(() => parseRates('poison=0.1,declined-card=2')).toThrow(
      /--rates: unknown fault kind "poison"; declined-card=2: the rate must be in \[0, 1\]\. Kinds: saga-step-transient,/,
    );
  });
});

describe('soak table', () => {
  const rows = [
    {
      scenario: 'consumer-poison',
      planned: 5,
      fired: 4,
      notFired: 1,
      recovered: 0,
      parked: 4,
      lost: 0,
      doubleApplied: 0,
    },
    {
      scenario: 'declined-card',
      planned: 3,
      fired: null,
      notFired: null,
      recovered: 3,
      parked: 0,
      lost: 0,
      doubleApplied: 0,
    },
  ];
  const total = {
    scenario: 'total',
    planned: 10,
    fired: 4,
    notFired: 1,
    recovered: 6,
    parked: 4,
    lost: 0,
    doubleApplied: 0,
  };

  it('prints aligned columns named by what they count, a dash where the driver did the fault, the total last', () => {
    expect(formatSoakTable({ rows, total }).split('\n')).toEqual([
      'scenario         planned  fired (logged)  planned, not fired  recovered  parked  lost  applied twice',
      '---------------  -------  --------------  ------------------  ---------  ------  ----  -------------',
      'consumer-poison        5               4                   1          0       4     0              0',
      'declined-card          3               -                   -          3       0     0              0',
      '---------------  -------  --------------  ------------------  ---------  ------  ----  -------------',
      'total                 10               4                   1          6       4     0              0',
    ]);
  });

  it('writes the Markdown table for BENCHMARKS.md', () => {
    expect(markdownSoakTable({ rows, total }).split('\n')).toEqual([
      '| Scenario | Planned | Fired (logged) | Planned, not fired | Recovered | Parked | Lost | Applied twice |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      '| consumer-poison | 5 | 4 | 1 | 0 | 4 | 0 | 0 |',
      '| declined-card | 3 | - | - | 3 | 0 | 0 | 0 |',
      '| **total** | 10 | 4 | 1 | 6 | 4 | **0** | **0** |',
    ]);
  });
});

describe('choosing the run id', () => {
  const zero = Object.fromEntries(Object.keys(DEFAULT_RATES).map((k) => [k, 0])) as Record<FaultKind, number>;
  const ids = (...list: string[]) => {
    const queue = [...list];
    return () => queue.shift() ?? 'out-of-ids';
  };

  it('skips run ids whose plan leaves a kind with a positive rate on no order', () => {
    const rates = { ...zero, 'consumer-poison': 0.04, 'declined-card': 0.04 };
    // The plan is a pure function of the run id, so the unit test can find an id that misses and one that covers.
    const candidates = Array.from({ length: 400 }, (_, i) => `t${i}`);
    const missing = candidates.find((run) => unplannedKinds(run, 40, rates).length > 0);
    const covering = candidates.find((run) => unplannedKinds(run, 40, rates).length === 0);
    expect(missing, 'some id leaves a kind unplanned at 4 % over 40 orders').toBeDefined();
    expect(covering).toBeDefined();
    expect(chooseRun(40, rates, ids(missing as string, covering as string))).toBe(covering);
  });

  it('ignores the kinds at rate 0, so a run of none of them takes the first id', () => {
    expect(unplannedKinds('any', 3, zero)).toEqual([]);
    expect(chooseRun(3, zero, ids('first', 'second'))).toBe('first');
  });

  it('refuses, naming the kinds, when the orders are too few for the rates', () => {
    expect(() => chooseRun(2, DEFAULT_RATES, ids(), 5)).toThrow(
      /soak: 2 orders are too few for these rates: in 5 tries no run planned every kind \(last missing: .*fifo-poison.*\)/,
    );
  });

  it('finds a covering id at the CI soak’s size and rates within the tries', () => {
    const rates = Object.fromEntries(
      Object.entries(DEFAULT_RATES).map(([kind, rate]) => [kind, Math.max(rate, 0.04)]),
    ) as Record<FaultKind, number>;
    let n = 0;
    const run = chooseRun(200, { ...rates, 'compensation-failure': 0.5 }, () => `ci${n++}`);
    expect(unplannedKinds(run, 200, { ...rates, 'compensation-failure': 0.5 })).toEqual([]);
  });
});
