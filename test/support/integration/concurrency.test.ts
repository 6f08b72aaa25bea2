import { describe, expect, it } from 'vitest';
import { maxConcurrency, spanOfReport } from './concurrency';

const span = (requestId: string, start: number, end: number) => ({ requestId, start, end });

describe('invocation concurrency from REPORT lines', () => {
  it('reads the span of a REPORT line: it ends at the line, Duration before', () => {
    const message = 'REPORT RequestId: r-1\tDuration: 250.5 ms\tBilled Duration: 251 ms\tMemory Size: 128 MB';
    expect(spanOfReport({ message, timestamp: 10_000 })).toEqual(span('r-1', 9_749.5, 10_000));
    expect(spanOfReport({ message: 'START RequestId: r-1 Version: $LATEST', timestamp: 1 })).toBeUndefined();
    expect(spanOfReport({ message })).toBeUndefined();
  });

  it('counts the most spans open at one instant', () => {
    const spans = [span('a', 0, 100), span('b', 10, 50), span('c', 20, 30), span('d', 60, 90)];
    expect(maxConcurrency(spans)).toBe(3);
    expect(maxConcurrency([])).toBe(0);
  });

  it('does not count back-to-back invocations of one slot as concurrent, within the millisecond rounding', () => {
    expect(maxConcurrency([span('a', 0, 100), span('b', 100, 200), span('c', 199, 300)])).toBe(1);
    // Two milliseconds of overlap are more than rounding: concurrent.
    expect(maxConcurrency([span('a', 0, 100), span('b', 98, 200)])).toBe(2);
  });
});
