import { describe, expect, it } from 'vitest';
import {
  blend,
  CHUNK_BYTES,
  chunks64k,
  dominantLine,
  expressBilledGbSeconds,
  gbSeconds,
  lambdaBilledMs,
  monthlyUsd,
  transactionalUnits,
  usdPerMillionOrders,
  writeUnitsForItem,
} from '../../../scripts/lib/cost/arithmetic';

describe('64 KB chunking', () => {
  it('bills an empty or small payload as one chunk', () => {
    expect(chunks64k(0)).toBe(1);
    expect(chunks64k(442)).toBe(1);
  });

  it('bills exactly 64 KB as one chunk and one byte more as two', () => {
    expect(chunks64k(CHUNK_BYTES)).toBe(1);
    expect(chunks64k(CHUNK_BYTES + 1)).toBe(2);
  });

  it('bills a 256 KB payload as four chunks, as the AWS pages state', () => {
    expect(chunks64k(256 * 1024)).toBe(4);
  });

  it('refuses a negative size', () => {
    expect(() => chunks64k(-1)).toThrow('payload size must be a non-negative number of bytes, got -1');
  });
});

describe('DynamoDB units', () => {
  it('counts a transactional write at twice the standard units', () => {
    expect(transactionalUnits(3)).toBe(6);
    expect(transactionalUnits(writeUnitsForItem(2500))).toBe(6);
  });

  it('rounds a write up to the next started KB, at least one unit', () => {
    expect(writeUnitsForItem(0)).toBe(1);
    expect(writeUnitsForItem(1024)).toBe(1);
    expect(writeUnitsForItem(1025)).toBe(2);
  });
});

describe('GB-seconds', () => {
  it('multiplies memory in GB (1,024 MB) by seconds', () => {
    expect(gbSeconds(1024, 1000)).toBe(1);
    expect(gbSeconds(256, 200)).toBeCloseTo(0.05, 12);
  });

  it('rounds Lambda duration up to the next millisecond', () => {
    expect(lambdaBilledMs(12.01)).toBe(13);
    expect(lambdaBilledMs(12)).toBe(12);
  });

  it('bills Express per started 100 ms at 64 MB chunks', () => {
    // 1,234 ms → 1,300 ms at 64 MB = 0.0625 GB × 1.3 s
    expect(expressBilledGbSeconds(1234)).toBeCloseTo(0.0625 * 1.3, 12);
    expect(expressBilledGbSeconds(0)).toBeCloseTo(0.0625 * 0.1, 12);
    // 65 MB needs two chunks
    expect(expressBilledGbSeconds(1000, 65)).toBeCloseTo(0.125, 12);
  });

  it('refuses a memory size of zero', () => {
    expect(() => gbSeconds(0, 10)).toThrow('memory must be positive, got 0 MB');
  });
});

describe('scaling and totals', () => {
  it('scales a per-order quantity to a million orders', () => {
    // 12 transitions per order at $0.025 per 1,000 → $300 per million orders
    expect(usdPerMillionOrders(12, 0.025 / 1000)).toBeCloseTo(300, 9);
  });

  it('prices monthly resources by count', () => {
    expect(monthlyUsd(39, 0.1)).toBeCloseTo(3.9, 12);
    expect(() => monthlyUsd(1.5, 1)).toThrow('resource count must be a non-negative integer, got 1.5');
  });

  it('blends two kinds of order by their share', () => {
    expect(blend(10, 20, 0.75)).toBe(12.5);
    expect(() => blend(1, 2, 1.2)).toThrow('mix share must be between 0 and 1, got 1.2');
  });

  it('finds the dominant line, the first of equals', () => {
    const lines = [
      { id: 'a', usd: 2 },
      { id: 'b', usd: 5 },
      { id: 'c', usd: 5 },
    ];
    expect(dominantLine(lines).id).toBe('b');
    expect(() => dominantLine([])).toThrow('no cost lines to compare');
  });
});
