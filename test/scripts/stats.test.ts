import { describe, expect, it } from 'vitest';
import { percentile } from '../../scripts/lib/stats';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99)]).toEqual([50, 95, 99]);
    expect(percentile([7], 99)).toBe(7);
  });

  it('is NaN for no samples, not zero', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});
