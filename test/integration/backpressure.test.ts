import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { keys } from '../../lambdas/contracts/keys';
import { newEvent } from '../../lambdas/messages/envelope';
import { engineClientConfig } from '../../localstack/engine';
import { invocationSpans, maxConcurrency } from '../support/integration/concurrency';
import { consumerDriver, sleep } from '../support/integration/consumer-faults';
import { eventually, system } from '../support/integration/system';

/** Bounded, loopback only: enough to keep the capped event source busy for many rounds. */
const BURST = 300;
/** DynamoDB BatchGetItem takes at most 100 keys. */
const BATCH_GET = 100;

/**
 * Issue 6, scenario 14: backpressure. The analytics consumer's event source may
 * start at most `maxConcurrency` (5) invocations of 10 records (QueueConsumer
 * defaults, deployed as the mapping's `ScalingConfig.MaximumConcurrency`; the
 * function reserves no concurrency, so that is the only cap). A burst 6× what
 * those can hold at once waits in the queue and drains, every message applied
 * once, none parked; and the invocations, read back from the REPORT line Lambda
 * writes for each (test/support/integration/concurrency.ts), never number more
 * than the cap at once, and do reach it: 30 batches were waiting, so the cap,
 * not a lack of work, is what held the count there.
 * AWS: `MaximumConcurrency` "limits the number of concurrent instances that the
 * Amazon SQS event source can invoke" (https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html;
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html). MiniStack 1.5.33 honours it
 * (`services/lambda_svc.py` `_sqs_esm_concurrency`: batches in flight per mapping ≤ MaximumConcurrency,
 * or ≤ the reserved concurrency when lower). On AWS the other half of this is that
 * no consumer reserves less concurrency than its event source may use (throttled
 * batches would count as receives towards the DLQ); that is asserted on the
 * template in test/lib/stacks/consumer-concurrency.test.ts.
 */
describe('backpressure (issue 6, scenario 14)', () => {
  it('scenario 14: a burst far above the consumer’s maximum concurrency is absorbed by the queue and drained, each message applied once, none in the DLQ, never more invocations at once than the cap, and the cap reached', async () => {
    const sys = system();
    const driver = consumerDriver(sys);
    const cap = await concurrencyCap();
    // The cap is what the stack configures (QueueConsumer's default maxConcurrency), as deployed.
    expect(cap).toBe(5);
    // Below this the burst would not be "far above" the cap: at least 3 batches waiting per slot.
    expect(BURST / 10).toBeGreaterThanOrEqual(3 * cap);
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

    // Give any second delivery the time to land before counting, and the last REPORT lines the time to be written.
    await sleep(3_000);

    // What ran at once, from the REPORT line of every invocation since the burst was sent. Every invocation of
    // the function counts (an earlier file's stragglers too): the cap is on all of them, not only ours.
    const spans = await invocationSpans(logs(), await logGroup(), since);
    // At least the burst's batches (10 records each) ran: the spans cover the load, not a sample of it.
    expect(spans.length).toBeGreaterThanOrEqual(BURST / 10);
    const peak = maxConcurrency(spans);
    console.log(`backpressure: ${spans.length} invocations, at most ${peak} at once (cap ${cap})`);
    expect(peak).toBeLessThanOrEqual(cap);
    // The cap binds: with 30 batches waiting, the invocations rose to it and no further.
    expect(peak).toBe(cap);

    const settled = await analyticsCounts(events.map((e) => e.data.orderId));
    expect([...settled.values()].filter((count) => count !== 1)).toEqual([]);
    expect(settled.size).toBe(counts.size);
    expect(await driver.parked('analytics-consumer', (m) => m.Body?.includes(prefix) ?? false)).toEqual([]);
    // Nothing of the burst failed on the way (a throttled or timed-out batch would log its records as failed).
    expect(await driver.logLines('analytics-consumer', since, prefix, 'event failed')).toEqual([]);
  });

  const lambda = () => new LambdaClient(engineClientConfig(inject('awsEnv')));
  const logs = () => new CloudWatchLogsClient(engineClientConfig(inject('awsEnv')));

  /** The analytics consumer's log group (its LoggingConfig, else the default name). */
  async function logGroup(): Promise<string> {
    const fn = await lambda().send(
      new GetFunctionConfigurationCommand({ FunctionName: system().outputs.AnalyticsConsumerFunctionName }),
    );
    return fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${fn.FunctionName}`;
  }

  /**
   * The concurrency cap of the analytics queue's event source as deployed: its
   * `ScalingConfig.MaximumConcurrency`, or the function's reserved concurrency when lower.
   */
  async function concurrencyCap(): Promise<number> {
    const sys = system();
    const client = lambda();
    const { Attributes } = await sys.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: sys.outputs.AnalyticsQueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const { EventSourceMappings = [] } = await client.send(
      new ListEventSourceMappingsCommand({ FunctionName: sys.outputs.AnalyticsConsumerFunctionName }),
    );
    const mappings = EventSourceMappings.filter((m) => m.EventSourceArn === Attributes?.QueueArn);
    expect(mappings).toHaveLength(1);
    const maximum = mappings[0].ScalingConfig?.MaximumConcurrency;
    expect(maximum, 'the analytics event source has a MaximumConcurrency').toBeTypeOf('number');
    const { ReservedConcurrentExecutions: reserved } = await client.send(
      new GetFunctionConcurrencyCommand({ FunctionName: sys.outputs.AnalyticsConsumerFunctionName }),
    );
    return Math.min(maximum as number, reserved ?? Number.POSITIVE_INFINITY);
  }

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
