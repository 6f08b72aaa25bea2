import { Logger } from '@aws-lambda-powertools/logger';
import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FaultRule } from '../../../lambdas/contracts/fault-switch';
import { createFaultInjector, type FaultSubject } from '../../../lambdas/platform/fault-injection';
import { firedFaultsIn } from '../../../scripts/lib/faults/fired';
import type { InvariantReport } from '../../../scripts/lib/invariants';
import { DEFAULT_RATES, type PlannedRule, planOrder } from '../../../scripts/lib/soak/plan';
import { accountFired, formatSoakTable, tally, unfiredKinds } from '../../../scripts/lib/soak/run';

const RUN = 'fx';
const PREFIX = `soak-${RUN}-`;
const NO_RATES = Object.fromEntries(Object.keys(DEFAULT_RATES).map((k) => [k, 0])) as typeof DEFAULT_RATES;

/**
 * Runs the real injector, with a real Powertools logger, over the work each order's events reach (who
 * receives what, as in the stack: e-mail and loyalty see order outcomes, never OrderPlaced), and returns what the
 * logger wrote as CloudWatch Logs events: the recorded log lines the soak reads back from the engine.
 */
async function recordFiredLines(rules: FaultRule[], orderIds: string[]): Promise<FilteredLogEvent[]> {
  const written: string[] = [];
  const collect = (chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  // Powertools writes warnings to stderr, other lines to stdout (test/support/capture-output.ts).
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(collect),
    vi.spyOn(process.stderr, 'write').mockImplementation(collect),
  ];
  try {
    const logger = new Logger({ serviceName: 'recorded', logLevel: 'INFO' });
    const faults = createFaultInjector({ loadRules: async () => rules, logger });
    const work: FaultSubject[] = orderIds.flatMap((orderId, i) => [
      { target: 'email-consumer', orderId, attempt: 1, eventType: 'OrderConfirmed', eventId: `evt-${i}-c` },
      { target: 'loyalty-consumer', orderId, attempt: 1, eventType: 'OrderConfirmed', eventId: `evt-${i}-c` },
    ]);
    for (const subject of work) await faults.at('before', subject).catch(() => {});
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return written
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.trim() !== '')
    .map((message, i) => ({ eventId: String(i), timestamp: 1_000 + i, message }));
}

function reportOf(orderIds: string[]): InvariantReport {
  return {
    orders: orderIds.map((orderId) => ({
      orderId,
      finalStatus: 'CONFIRMED',
      violations: [],
      lost: [],
      doubleApplied: [],
      parked: [],
      deadLettered: [],
    })),
    violations: [],
    other: [],
    totals: {
      orders: orderIds.length,
      final: orderIds.length,
      lost: 0,
      doubleApplied: 0,
      parked: 0,
      deadLettered: 0,
      violations: 0,
    },
    ok: true,
  };
}

describe('fired faults counted from the functions’ log lines', () => {
  afterEach(() => vi.restoreAllMocks());

  // A rule that fires (email-consumer, every order's OrderConfirmed) and one planted so it cannot: the
  // e-mail consumer never receives OrderPlaced (it gets order outcomes only, contracts/routes.ts).
  const fires: PlannedRule = {
    kind: 'consumer-transient',
    rule: { id: `${PREFIX}fires`, target: 'email-consumer', mode: 'throw', attempts: 1, orderIdPrefix: PREFIX },
  };
  const cannotFire: PlannedRule = {
    kind: 'consumer-poison',
    rule: {
      id: `${PREFIX}cannot-fire`,
      target: 'email-consumer',
      mode: 'throw',
      orderIdPrefix: PREFIX,
      eventTypes: ['OrderPlaced'],
    },
  };
  const rules = [fires, cannotFire];
  const plans = Array.from({ length: 5 }, (_, i) => planOrder(RUN, i, NO_RATES, rules));
  const orderIds = plans.map((p) => p.orderId);

  it('parses the line the injector logs: rule, mode, point, target, order, attempt and event', async () => {
    const events = await recordFiredLines([fires.rule], orderIds.slice(0, 1));
    expect(firedFaultsIn('/aws/lambda/email', events)).toEqual([
      {
        faultId: `${PREFIX}fires`,
        faultMode: 'throw',
        faultPoint: 'before',
        faultTarget: 'email-consumer',
        orderId: `${PREFIX}0`,
        attempt: 1,
        eventType: 'OrderConfirmed',
        eventId: 'evt-0-c',
        logGroup: '/aws/lambda/email',
        timestamp: 1_000,
      },
    ]);
  });

  it('shows a planted rule that cannot fire as planned but never fired, and fails the run on it', async () => {
    // The plan believes both rules hit every order: the plan alone would call both kinds "injected".
    expect(plans.every((p) => p.kinds.includes('consumer-transient') && p.kinds.includes('consumer-poison'))).toBe(
      true,
    );
    const fired = firedFaultsIn('/aws/lambda/x', await recordFiredLines([fires.rule, cannotFire.rule], orderIds));
    expect(fired.map((f) => f.faultId)).toEqual(orderIds.map(() => fires.rule.id));

    const account = accountFired(plans, rules, fired);
    expect(account.rulesNotFired).toEqual([{ ruleId: cannotFire.rule.id, kind: 'consumer-poison', planned: 5 }]);
    expect([...(account.kindsByOrder.get(`${PREFIX}3`) ?? [])]).toEqual(['consumer-transient']);

    const result = tally(plans, [], { report: reportOf(orderIds), parked: [], settled: true }, rules, fired);
    const row = (kind: string) => result.rows.find((r) => r.scenario === kind);
    expect(row('consumer-transient')).toMatchObject({ planned: 5, fired: 5, notFired: 0, recovered: 5 });
    // Outcome columns count the orders it fired on: none, so nothing "recovered" from a fault that never happened.
    expect(row('consumer-poison')).toMatchObject({ planned: 5, fired: 0, notFired: 5, recovered: 0, parked: 0 });
    // A kind the driver does itself has no fired count.
    expect(row('declined-card')).toMatchObject({ planned: 0, fired: null, notFired: null });
    expect(unfiredKinds(result)).toEqual(['consumer-poison']);
    expect(formatSoakTable(result)).toMatch(/consumer-poison\s+5\s+0\s+5\s+0/);
  });

  it('ignores fired lines of rules that are not the run’s, and passes when every planned kind fired', async () => {
    const events = await recordFiredLines(
      [fires.rule, { id: 'other-run-rule', target: 'loyalty-consumer', mode: 'throw' }],
      orderIds,
    );
    const fired = firedFaultsIn('/aws/lambda/x', events);
    expect(fired).toHaveLength(10);
    const onlyFires = orderIds.map((_, i) => planOrder(RUN, i, NO_RATES, [fires]));
    const result = tally(onlyFires, [], { report: reportOf(orderIds), parked: [], settled: true }, [fires], fired);
    expect(unfiredKinds(result)).toEqual([]);
    expect(result.rows.find((r) => r.scenario === 'consumer-transient')).toMatchObject({ planned: 5, fired: 5 });
    expect(result.rows.find((r) => r.scenario === 'consumer-poison')).toMatchObject({ planned: 0, fired: 0 });
    expect(result.rulesNotFired).toEqual([]);
  });
});
