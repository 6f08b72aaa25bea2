import { describe, expect, it } from 'vitest';
import { blend, orderWork, utilization } from '../../../scripts/lib/bench/per-order';
import { emptyHops } from '../../../scripts/lib/cost/engine-log';
import type { CallSummary, PhaseRaw } from '../../../scripts/lib/cost/usage';

const calls = (n: number, capacityUnits = 0, callsWithCapacity = n): CallSummary => ({
  calls: n,
  bytes: 100 * n,
  chunks: n,
  capacityUnits,
  callsWithCapacity,
  failed: 0,
  targets: {},
});

/** Two confirmed orders' worth of what the measurement records. */
function phase(): PhaseRaw {
  const hops = emptyHops();
  hops.eventBridgeToStepFunctions['arn:saga'] = 2;
  hops.eventBridgeToSqs.email = 2;
  hops.eventBridgeToSns['arn:topic'] = 2;
  hops.snsToSqs.analytics = 2;
  hops.snsToSqs.loyalty = 2;
  hops.esmSqs.email = { batches: 2, messages: 2 };
  hops.esmSqs.analytics = { batches: 1, messages: 2 };
  hops.esmStreams.events = { batches: 3, records: 10 };
  return {
    kind: 'confirmed',
    orders: 2,
    wallMs: 5000,
    clientEntryBytes: [900, 950],
    calls: {
      'dynamodb:TransactWriteItems': calls(10, 40),
      'dynamodb:GetItem': calls(6, 3),
      'dynamodb:Query': calls(4, 2, 3),
      'events:PutEvents': calls(8),
      'ssm:GetParameter': calls(2),
    },
    hops,
    lambda: {
      'OrderFlow-OrderService': {
        invocations: 10,
        durationMs: 1,
        billedMs: 1,
        logBytes: 1,
        logEvents: 1,
        localMemoryMb: 128,
      },
      'OrderFlow-Email': { invocations: 2, durationMs: 1, billedMs: 1, logBytes: 1, logEvents: 1, localMemoryMb: 128 },
    },
    executions: [
      { status: 'SUCCEEDED', transitions: 12, retries: 0, durationMs: 1000, historyEvents: 40, historyLogBytes: 1 },
      { status: 'SUCCEEDED', transitions: 14, retries: 2, durationMs: 3000, historyEvents: 48, historyLogBytes: 1 },
    ],
  };
}

describe('orderWork', () => {
  it('divides what the phase recorded by its orders', () => {
    const w = orderWork(phase());
    expect(w.lambdaInvocations).toBe(6);
    expect(w.lambdaByFunction).toEqual({ 'OrderFlow-OrderService': 5, 'OrderFlow-Email': 1 });
    expect(w.stateTransitions).toBe(13);
    expect(w.dynamodb).toEqual({ readUnits: 2.5, writeUnits: 20, calls: 10, callsWithoutCapacity: 0.5 });
    // functions 30 calls, client 2 PutEvents, pollers 2 × 3 batches; over 2 orders.
    expect(w.requests).toMatchObject({ functions: 15, client: 1, pollers: 3, total: 19 });
    expect(w.requests.byOperation['dynamodb:TransactWriteItems']).toBe(5);
    expect(w.internal).toEqual({ ruleDeliveries: 3, snsDeliveries: 2, sagaStarts: 1, streamBatches: 1.5 });
  });

  it('says what it could not read back, naming the calls without a capacity figure', () => {
    const w = orderWork(phase());
    expect(w.notMeasured.join('\n')).toMatch(/empty receives are not measured/);
    expect(w.notMeasured.join('\n')).toMatch(/GetRecords requests are not measured/);
    expect(w.notMeasured.join('\n')).toMatch(/1 of 20 calls: the engine returned no ConsumedCapacity/);
    const complete = phase();
    complete.calls['dynamodb:Query'] = calls(4, 2);
    expect(orderWork(complete).notMeasured.join('\n')).not.toMatch(/ConsumedCapacity/);
  });

  it('refuses a phase without orders', () => {
    expect(() => orderWork({ ...phase(), orders: 0 })).toThrow(/no orders to divide by/);
  });
});

describe('blend and utilization', () => {
  it('weights confirmed and compensated figures by the share of confirmed orders', () => {
    expect(blend(100, 60, 0.8)).toBeCloseTo(92);
    expect(blend(100, 60, 1)).toBe(100);
    expect(blend(100, 60, 0)).toBe(60);
    expect(() => blend(1, 1, 1.2)).toThrow(/confirmed share/);
  });

  it('is orders/s × requests per order ÷ raw requests/s', () => {
    // 9.7 orders/s × 90 requests = 873 requests/s of a 1746 requests/s engine: half of it.
    expect(utilization({ ordersPerSecond: 9.7, requestsPerOrder: 90, rawRequestsPerSecond: 1746 })).toBeCloseTo(0.5);
    expect(utilization({ ordersPerSecond: 0, requestsPerOrder: 90, rawRequestsPerSecond: 100 })).toBe(0);
  });

  it('refuses a raw rate of zero or a negative figure', () => {
    expect(() => utilization({ ordersPerSecond: 1, requestsPerOrder: 1, rawRequestsPerSecond: 0 })).toThrow(/raw/);
    expect(() => utilization({ ordersPerSecond: -1, requestsPerOrder: 1, rawRequestsPerSecond: 1 })).toThrow(/orders/);
    expect(() => utilization({ ordersPerSecond: 1, requestsPerOrder: Number.NaN, rawRequestsPerSecond: 1 })).toThrow(
      /requests per order/,
    );
  });
});
