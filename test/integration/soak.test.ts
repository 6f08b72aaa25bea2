import { describe, expect, it } from 'vitest';
import { formatViolations } from '../../scripts/lib/invariants';
import { DEFAULT_RATES } from '../../scripts/lib/soak/plan';
import { formatSoakTable, runSoak } from '../../scripts/lib/soak/run';
import { system } from '../support/integration/system';

/**
 * The CI soak (issue 6): a short run of the `npm run soak` library against the
 * stack the global setup deployed, every fault kind mixed in at the default
 * rates. Modest on purpose (about 1.5 orders/s, under half the engine's
 * sustainable rate in BENCHMARKS.md), and every fault rule is scoped to this
 * run's own order-id prefix, so the other integration files never see its faults.
 * The longer run is `npm run soak -- --orders 2000 --duration 1200` (docs/failure-modes.md, BENCHMARKS.md).
 */
describe('soak (CI size)', () => {
  it('loses nothing and applies nothing twice across 200 orders with every fault kind mixed in', async () => {
    // Every kind, the ordered consumer's faults included: each order's timeline is its own FIFO group (the relay
    // sets it), so a poisoned order holds only its own timeline, on the engine as on AWS.
    const result = await runSoak(system(), {
      orders: 200,
      durationSeconds: 130,
      drainSeconds: 300,
      // At least 4 % per kind: with 200 orders a kind then misses the run with odds of 0.96^200 ≈ 0.03 %.
      rates: {
        ...(Object.fromEntries(
          Object.entries(DEFAULT_RATES).map(([kind, rate]) => [kind, Math.max(rate, 0.04)]),
        ) as typeof DEFAULT_RATES),
        // Not here yet: the invariants count the stock a NEEDS_ATTENTION order still holds as a violation
        // (BENCHMARKS.md); scenario 12 has its own test, test/integration/saga-faults.test.ts.
        'compensation-failure': 0,
      },
      log: () => {},
    });
    console.log(`soak run ${result.run}:\n${formatSoakTable(result)}`);
    // Every kind was exercised: a run where the faults never fired proves nothing.
    const notInjected = ['(no fault)', 'compensation-failure'];
    for (const row of result.rows.filter((r) => !notInjected.includes(r.scenario))) {
      expect(row.injected, `${row.scenario} never injected`).toBeGreaterThan(0);
    }
    expect({ lost: result.total.lost, doubleApplied: result.total.doubleApplied }).toEqual({
      lost: 0,
      doubleApplied: 0,
    });
    expect(formatViolations(result.report)).toEqual([]);
  }, 900_000);
});
