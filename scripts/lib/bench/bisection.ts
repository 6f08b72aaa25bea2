/**
 * The search for the highest sustainable rate: a bisection between a rate known to be sustainable and
 * one to try, instead of a doubling ladder (which overshoots by up to 2× and learns nothing between
 * its rungs). Pure apart from the probe it is given, so its bounds are unit-tested.
 */

export interface BisectionOptions {
  /** A rate known (or assumed) to be sustainable, > 0: the bracket's lower end. */
  low: number;
  /** The highest rate to try, > low: probed first; if it is sustainable, the limit is not below it. */
  high: number;
  /** Probes at most this many rates (≥ 1), the first one at `high`. */
  maxSteps: number;
  /**
   * Stop once the bracket is this tight: high ÷ low ≤ 1 + tolerance. The midpoint is geometric
   * (√(low × high)), so every step halves the bracket's ratio in log space whatever the magnitude.
   *
   * @default 0.1
   */
  tolerance?: number;
  /** Rates are rounded to this many decimals (what an operator can read and repeat). @default 2 */
  decimals?: number;
  /** Called before each probe (progress). */
  onStep?: (step: { index: number; maxSteps: number; rate: number; low: number; high: number }) => void;
}

export interface BisectionStep {
  rate: number;
  sustainable: boolean;
}

export interface BisectionResult {
  /** The highest rate probed and found sustainable, or undefined when none was. */
  sustained?: number;
  /** The lowest rate probed and found not sustainable, or undefined when every probe was sustainable. */
  failed?: number;
  /** Every probe in order. */
  steps: BisectionStep[];
  /**
   * Why the search stopped: `converged` (the bracket met the tolerance), `high-sustained` (the highest
   * rate was sustainable: the limit was not found), `max-steps`, or `stopped` (the probe said stop,
   * e.g. the time or order budget ran out).
   */
  reason: 'converged' | 'high-sustained' | 'max-steps' | 'stopped';
}

/** What a probe answers: sustainable or not, or `undefined` to stop the search (budget exhausted). */
export type Probe = (rate: number) => Promise<boolean | undefined>;

/** The most probes a bracket [low, high] needs to reach `tolerance`: one at high, then one per halving. */
export function stepsNeeded(low: number, high: number, tolerance = 0.1): number {
  if (high / low <= 1 + tolerance) return 1;
  return 1 + Math.ceil(Math.log2(Math.log(high / low) / Math.log(1 + tolerance)));
}

function check(options: BisectionOptions) {
  const { low, high, maxSteps, tolerance = 0.1, decimals = 2 } = options;
  if (!(Number.isFinite(low) && low > 0)) throw new Error(`bisection: low must be a positive number, got ${low}`);
  if (!(Number.isFinite(high) && high > low))
    throw new Error(`bisection: high must be above low (${low}), got ${high}`);
  if (!(Number.isInteger(maxSteps) && maxSteps >= 1))
    throw new Error(`bisection: maxSteps must be an integer ≥ 1, got ${maxSteps}`);
  if (!(tolerance > 0)) throw new Error(`bisection: tolerance must be above 0, got ${tolerance}`);
  if (!(Number.isInteger(decimals) && decimals >= 0 && decimals <= 6))
    throw new Error(`bisection: decimals must be an integer in [0, 6], got ${decimals}`);
}

/**
 * Finds the highest sustainable rate in [low, high] with at most `maxSteps` probes: `high` first, then
 * the geometric midpoint of the bracket, raising `low` on a sustainable probe and lowering `high` on an
 * unsustainable one, until the bracket is within `tolerance`, the steps run out, or the probe stops it.
 * Assumes sustainability falls with the rate (a noisy probe can make the answer conservative, never
 * above a rate that failed).
 */
export async function bisect(probe: Probe, options: BisectionOptions): Promise<BisectionResult> {
  check(options);
  const { maxSteps, tolerance = 0.1, decimals = 2 } = options;
  const round = (rate: number) => Number(rate.toFixed(decimals));
  let low = options.low;
  let high = options.high;
  const steps: BisectionStep[] = [];
  let sustained: number | undefined;
  let failed: number | undefined;
  let rate = high;
  for (let index = 0; index < maxSteps; index++) {
    options.onStep?.({ index, maxSteps, rate, low, high });
    const answer = await probe(rate);
    if (answer === undefined) return { sustained, failed, steps, reason: 'stopped' };
    steps.push({ rate, sustainable: answer });
    if (answer) {
      sustained = Math.max(sustained ?? rate, rate);
      if (rate >= options.high) return { sustained, failed, steps, reason: 'high-sustained' };
      low = rate;
    } else {
      failed = Math.min(failed ?? rate, rate);
      high = rate;
    }
    if (high / low <= 1 + tolerance) return { sustained, failed, steps, reason: 'converged' };
    const next = round(Math.sqrt(low * high));
    // Rounding can land on an end of the bracket when it is already tight at this precision.
    if (next <= low || next >= high) return { sustained, failed, steps, reason: 'converged' };
    rate = next;
  }
  return { sustained, failed, steps, reason: 'max-steps' };
}
