import { describe, expect, it } from 'vitest';
import { bisect, stepsNeeded } from '../../../scripts/lib/bench/bisection';

/** A probe for a pipeline whose true limit is `limit`: sustainable at or below it. */
const limitAt = (limit: number) => {
  const probed: number[] = [];
  const probe = async (rate: number) => {
    probed.push(rate);
    return rate <= limit;
  };
  return { probe, probed };
};

describe('bisect', () => {
  it('probes the high end first and stops there when it is sustainable (the limit was not found)', async () => {
    const { probe, probed } = limitAt(100);
    const result = await bisect(probe, { low: 0.5, high: 32, maxSteps: 6 });
    expect(probed).toEqual([32]);
    expect(result).toMatchObject({ sustained: 32, failed: undefined, reason: 'high-sustained' });
  });

  it.each([0.7, 3, 9.7, 17, 31])(
    'brackets a limit of %s within the tolerance in at most stepsNeeded steps',
    async (limit) => {
      const { probe, probed } = limitAt(limit);
      const tolerance = 0.1;
      const maxSteps = stepsNeeded(0.5, 32, tolerance);
      const result = await bisect(probe, { low: 0.5, high: 32, maxSteps, tolerance, decimals: 4 });
      expect(result.reason).toBe('converged');
      expect(probed.length).toBeLessThanOrEqual(maxSteps);
      expect(result.sustained).toBeLessThanOrEqual(limit);
      expect(result.failed).toBeGreaterThan(limit);
      expect(result.failed! / result.sustained!).toBeLessThanOrEqual(1 + tolerance);
    },
  );

  it('never probes more than maxSteps rates, and says it ran out', async () => {
    const { probe, probed } = limitAt(9.7);
    const result = await bisect(probe, { low: 0.5, high: 32, maxSteps: 3, tolerance: 0.01 });
    expect(probed).toHaveLength(3);
    expect(result.reason).toBe('max-steps');
    // 32 fails, √(0.5 × 32) = 4 holds, √(4 × 32) = 11.31 fails.
    expect(probed).toEqual([32, 4, 11.31]);
    expect(result).toMatchObject({ sustained: 4, failed: 11.31 });
  });

  it('answers nothing sustained when even the first midpoints fail', async () => {
    const { probe } = limitAt(0.1);
    const result = await bisect(probe, { low: 0.5, high: 32, maxSteps: 4 });
    expect(result.sustained).toBeUndefined();
    expect(result.steps.every((s) => !s.sustainable)).toBe(true);
  });

  it('stops when the probe says stop (a budget ran out), keeping what it learned', async () => {
    let calls = 0;
    const result = await bisect(async (rate) => (++calls > 2 ? undefined : rate < 10), {
      low: 1,
      high: 32,
      maxSteps: 6,
    });
    expect(result.reason).toBe('stopped');
    expect(result.steps).toHaveLength(2);
    expect(result).toMatchObject({ failed: 32, sustained: 5.66 });
  });

  it('reports each step before it probes it (progress)', async () => {
    const seen: string[] = [];
    await bisect(async (rate) => rate < 5, {
      low: 1,
      high: 16,
      maxSteps: 3,
      onStep: ({ index, maxSteps, rate, low, high }) => seen.push(`${index + 1}/${maxSteps} ${rate} [${low}, ${high}]`),
    });
    expect(seen).toEqual(['1/3 16 [1, 16]', '2/3 4 [1, 16]', '3/3 8 [4, 16]']);
  });

  it('refuses a bracket or a step count that cannot work', async () => {
    const probe = async () => true;
    await expect(bisect(probe, { low: 0, high: 4, maxSteps: 3 })).rejects.toThrow(/low must be a positive number/);
    await expect(bisect(probe, { low: 4, high: 4, maxSteps: 3 })).rejects.toThrow(/high must be above low/);
    await expect(bisect(probe, { low: 1, high: 4, maxSteps: 0 })).rejects.toThrow(/maxSteps must be an integer/);
    await expect(bisect(probe, { low: 1, high: 4, maxSteps: 2, tolerance: 0 })).rejects.toThrow(/tolerance/);
  });
});

describe('stepsNeeded', () => {
  it('counts the first probe plus one per halving of the bracket in log space', () => {
    // log(64)/log(1.1) = 43.6 brackets of 10 %; 6 halvings bring that under 1.
    expect(stepsNeeded(0.5, 32, 0.1)).toBe(7);
    expect(stepsNeeded(1, 1.05, 0.1)).toBe(1);
    expect(stepsNeeded(1, 2, 1)).toBe(1);
    expect(stepsNeeded(1, 4, 1)).toBe(2);
  });
});
