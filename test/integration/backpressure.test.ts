import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { keys } from '../../lambdas/contracts/keys';
import { newEvent } from '../../lambdas/messages/envelope';
import { consumerDriver, sleep } from '../support/integration/consumer-faults';
import { eventually, system } from '../support/integration/system';

/** Bounded, loopback only: enough to keep the capped event source busy for many rounds. */
const BURST = 300;
/** DynamoDB BatchGetItem takes at most 100 keys. */
const BATCH_GET = 100;

/**
 * Issue 6, scenario 14: backpressure. The analytics consumer's event source may
 * start at most `maxConcurrency` (5) invocations of 10 records (QueueConsumer
 * defaults); a burst 6× what those can hold at once waits in the queue and
 * drains, every message applied once, none parked. On AWS the other half of
 * this is that no consumer reserves less concurrency than its event source
 * may use (throttled batches would count as receives towards the DLQ); that
 * is asserted on the template in test/lib/stacks/consumer-concurrency.test.ts.
 */
describe('backpressure (issue 6, scenario 14)', () => {
  it('scenario 14: a burst far above the consumer’s maximum concurrency is absorbed by the queue and drained, each message applied once, none in the DLQ', async () => {
    const sys = system();
    const driver = consumerDriver(sys);
    const since = Date.now();
    const prefix = sys.uniqueId('s14');
    const events = Array.from({ length: BURST }, (_, n) =>
      newEvent({
        type: 'OrderConfirmed',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId: `${prefix}-${n}`, customerId: `${prefix}-customer`, total: 1 },
      }),
    );
    await driver.send(
      'analytics-consumer',
      events.map((event) => ({ body: JSON.stringify(event) })),
    );
    const sent = Date.now();

    const counts = await eventually(
      () => analyticsCounts(events.map((e) => e.data.orderId)),
      (found) => found.size === BURST,
      { timeoutMs: 240_000, intervalMs: 3_000, what: `all ${BURST} messages of the burst to be applied` },
    );
    // A figure for the report, not a target: how long the capped consumer took to drain the burst.
    console.log(`backpressure: ${BURST} messages drained ${((Date.now() - sent) / 1000).toFixed(1)} s after sending`);

    // Give any second delivery the time to land before counting.
    await sleep(3_000);
    const settled = await analyticsCounts(events.map((e) => e.data.orderId));
    expect([...settled.values()].filter((count) => count !== 1)).toEqual([]);
    expect(settled.size).toBe(counts.size);
    expect(await driver.parked('analytics-consumer', (m) => m.Body?.includes(prefix) ?? false)).toEqual([]);
    // Nothing of the burst failed on the way (a throttled or timed-out batch would log its records as failed).
    expect(await driver.logLines('analytics-consumer', since, prefix, 'event failed')).toEqual([]);
  });

  /** The `events` counter per order id, for the orders that have one. */
  async function analyticsCounts(orderIds: string[]): Promise<Map<string, number>> {
    const sys = system();
    const found = new Map<string, number>();
    for (let i = 0; i < orderIds.length; i += BATCH_GET) {
      let pending: Record<string, unknown>[] | undefined = orderIds.slice(i, i + BATCH_GET).map(keys.analytics);
      while (pending && pending.length > 0) {
        const table = sys.outputs.ConsumerStateTableName;
        const result: BatchGetCommandOutput = await sys.ddb.send(
          new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[table] ?? []) {
          found.set(String(item.pk).slice('ORDER#'.length), item.events as number);
        }
        pending = result.UnprocessedKeys?.[table]?.Keys;
      }
    }
    return found;
  }
});
