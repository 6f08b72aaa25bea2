import { createHash } from 'node:crypto';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_ID_CONFLICT } from '../../lambdas/contracts/errors';
import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { keys } from '../../lambdas/contracts/keys';
import { BUSINESS_METRIC } from '../../lambdas/contracts/metrics';
import { PARK_ATTRIBUTES } from '../../lambdas/contracts/park-attributes';
import { newEvent, type TypedEnvelope } from '../../lambdas/messages/envelope';
import { contentFingerprint } from '../../lambdas/messages/fingerprint';
import { type ConsumerDriver, consumerDriver, sleep } from '../support/integration/consumer-faults';
import { eventually, type System, system } from '../support/integration/system';

const CONSUMER = 'loyalty-consumer';

/**
 * Issue 17 point 2, at a queue consumer: an event id the consumer has applied
 * before, arriving with a changed body, is a conflict, parked in the
 * consumer's DLQ with its reason (`x-error-reason: EVENT_ID_CONFLICT`) on its
 * first attempt; never applied and never skipped in silence. The same body
 * again, even with new delivery metadata, stays a silent duplicate.
 *
 * The loyalty consumer is the witness because its effect shows the content it
 * applied: `points += floor(total)` for the event's customer. Events are sent
 * straight to its queue (as bad-input.test.ts does), so each delivery is one
 * the test made. Both layers of the rule are exercised
 * (lambdas/runtime/consumer/queue-consumer.ts): Powertools payload validation
 * while the idempotency record lives, and the content fingerprint on the
 * apply-once marker once it is gone (deleted here, as its 24-hour TTL would).
 * (docs/failure-modes.md, row "A consumer receives a known event id with a changed body".)
 */
describe('a consumer receives a known event id with a changed body', () => {
  let sys: System;
  let driver: ConsumerDriver;
  let first: TypedEnvelope<'OrderConfirmed'>;
  let customerId: string;

  const confirmed = (data: { orderId: string; customerId: string; total: number }, id?: string) =>
    newEvent({ type: 'OrderConfirmed', source: ORDER_SERVICE_SOURCE, data, id });
  const loyalty = (customer: string) => sys.consumerRecord(keys.loyalty(customer));
  /** The messages parked for `eventId` in the loyalty DLQ. */
  const parkedFor = (eventId: string) => driver.parked(CONSUMER, (m) => m.Body?.includes(eventId) === true);
  /** Waits until `count` messages for `eventId` are parked. A first-attempt park takes seconds, not 3 × 30 s. */
  const waitParked = (eventId: string, count: number): Promise<Message[]> =>
    eventually(
      () => parkedFor(eventId),
      (list) => list.length >= count,
      { what: `${count} parked message(s) for event ${eventId}`, timeoutMs: 60_000, intervalMs: 1_000 },
    );
  const reason = (message: Message) => (name: string) => message.MessageAttributes?.[name]?.StringValue;

  beforeAll(async () => {
    sys = system();
    driver = consumerDriver(sys);
    customerId = sys.uniqueId('customer');
    first = confirmed({ orderId: sys.uniqueId('order'), customerId, total: 150 });
    await driver.send(CONSUMER, [{ body: JSON.stringify(first) }]);
    await eventually(
      () => loyalty(customerId),
      (item) => item?.points === 150,
      { what: 'the first delivery to be applied', timeoutMs: 60_000 },
    );
  });

  afterAll(async () => {
    // Take back the messages this test parked, so other tests and runs start from what they left.
    const queueUrl = sys.outputs.LoyaltyDlqUrl;
    for (let round = 0; round < 20; round++) {
      const { Messages = [] } = await sys.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
      );
      const ours = Messages.filter((m) => m.Body?.includes(first.id));
      if (ours.length > 0) {
        await sys.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: ours.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
          }),
        );
      }
      if (Messages.length === 0) break;
    }
  });

  it('keeps the content fingerprint on the effect marker and a payload hash on the idempotency record', async () => {
    expect(await driver.marker(CONSUMER, first.id)).toMatchObject({
      consumer: CONSUMER,
      eventId: first.id,
      fingerprint: contentFingerprint(first),
    });
    // Powertools keeps its own hash of the validated content (attribute `validation`) beside the record.
    const record = (await driver.idempotencyRecord(CONSUMER, first.id)) as Record<string, unknown> | undefined;
    expect(record).toMatchObject({ status: 'COMPLETED' });
    expect(typeof record?.validation).toBe('string');
  });

  it('parks the changed body on its first attempt with EVENT_ID_CONFLICT; a same-body redelivery and a neighbour are not parked', async () => {
    const changed = { ...first, data: { ...first.data, total: 300 } };
    // The same content with new delivery metadata: a redelivery, not a conflict.
    const redelivered = {
      ...first,
      time: new Date().toISOString(),
      correlationId: sys.uniqueId('correlation'),
      metadata: { relayedAgain: true },
    };
    const neighbourCustomer = sys.uniqueId('customer');
    const neighbour = confirmed({ orderId: sys.uniqueId('order'), customerId: neighbourCustomer, total: 120 });
    const sentAt = Date.now();
    await driver.send(CONSUMER, [
      { body: JSON.stringify(changed) },
      { body: JSON.stringify(redelivered) },
      { body: JSON.stringify(neighbour) },
    ]);

    const [parked] = await waitParked(first.id, 1);
    const parkedAfterMs = Date.now() - sentAt;
    const attribute = reason(parked);
    expect(parked.Body).toBe(JSON.stringify(changed));
    expect(attribute(PARK_ATTRIBUTES.errorType)).toBe('EventIdConflictError');
    expect(attribute(PARK_ATTRIBUTES.reason)).toBe(EVENT_ID_CONFLICT);
    expect(attribute(PARK_ATTRIBUTES.consumer)).toBe(CONSUMER);
    // Parked on the first attempt: a permanent error, no retries first.
    expect(attribute(PARK_ATTRIBUTES.attempts)).toBe('1');
    expect(attribute(PARK_ATTRIBUTES.errorMessage)).toMatch(
      new RegExp(
        `^${EVENT_ID_CONFLICT}: ${CONSUMER} already processed event ${first.id} with other content ` +
          `\\(idempotency record payload hash .+\\); this delivery \\(${contentFingerprint(changed)}\\) is parked, not applied$`,
      ),
    );
    // First-attempt parking, measured: well under one visibility timeout (30 s) of the queue.
    console.log(`consumer-conflict: the changed body was seen parked ${parkedAfterMs} ms after sending`);
    expect(parkedAfterMs).toBeLessThan(30_000);

    // The neighbour in the same send is applied; the redelivery is suppressed as a duplicate.
    await eventually(
      () => loyalty(neighbourCustomer),
      (item) => item?.points === 120,
      { what: 'the neighbour to be applied', timeoutMs: 60_000 },
    );
    await eventually(
      () => driver.logLines(CONSUMER, sentAt, 'duplicate event suppressed', first.id),
      (lines) => lines.length >= 1,
      { what: 'the same-body redelivery to be suppressed as a duplicate', timeoutMs: 60_000, intervalMs: 2_000 },
    );
    // Give a retry of anything, if there were one, the time to land before counting.
    await sleep(3_000);
    // Applied once, with the first body: 150 points, not 300 or 450.
    expect(await loyalty(customerId)).toMatchObject({ points: 150, orders: 1 });
    // Only the changed body was parked, and only once (not also moved by the redrive policy).
    expect(await parkedFor(first.id)).toHaveLength(1);
    expect(await driver.marker(CONSUMER, first.id)).toMatchObject({ fingerprint: contentFingerprint(first) });

    const counted = await eventually(
      () => driver.logLines(CONSUMER, sentAt, `"${BUSINESS_METRIC.EventConflicts}"`),
      (lines) => lines.length >= 1,
      { what: 'the EventConflicts EMF record', timeoutMs: 60_000, intervalMs: 2_000 },
    );
    expect(
      counted.map((line) => (JSON.parse(line) as Record<string, unknown>)[BUSINESS_METRIC.EventConflicts]),
    ).toEqual([1]);
  });

  it('once the idempotency record is gone, the marker judges: changed body parked, same body a duplicate', async () => {
    // As after the record's 24-hour TTL (an archive replay, a late DLQ redrive): the marker remains.
    const hash = createHash('md5').update(JSON.stringify(first.id)).digest('base64');
    await sys.ddb.send(
      new DeleteCommand({ TableName: sys.outputs.IdempotencyTableName, Key: { id: `${CONSUMER}#${hash}` } }),
    );
    expect(await driver.idempotencyRecord(CONSUMER, first.id)).toBeUndefined();

    const changedAgain = { ...first, data: { ...first.data, total: 450 } };
    const sentAt = Date.now();
    await driver.send(CONSUMER, [{ body: JSON.stringify(changedAgain) }]);
    const parked = await waitParked(first.id, 2);
    const late = parked.find((m) => m.Body === JSON.stringify(changedAgain));
    expect(late).toBeDefined();
    const attribute = reason(late as Message);
    expect(attribute(PARK_ATTRIBUTES.errorType)).toBe('EventIdConflictError');
    expect(attribute(PARK_ATTRIBUTES.reason)).toBe(EVENT_ID_CONFLICT);
    expect(attribute(PARK_ATTRIBUTES.attempts)).toBe('1');
    expect(attribute(PARK_ATTRIBUTES.errorMessage)).toContain(`(apply-once marker ${contentFingerprint(first)})`);

    // The same body again, judged by the marker alone: already applied (the effect's transaction is
    // cancelled by the marker), not parked. The runner logs it as processed: its Powertools record was gone.
    await driver.send(CONSUMER, [{ body: JSON.stringify(first) }]);
    await eventually(
      () => driver.logLines(CONSUMER, sentAt, 'event processed', first.id),
      (lines) => lines.length >= 1,
      { what: 'the same body to be handled by the marker', timeoutMs: 60_000, intervalMs: 2_000 },
    );
    await sleep(3_000);
    expect(await parkedFor(first.id)).toHaveLength(2);
    expect(await loyalty(customerId)).toMatchObject({ points: 150, orders: 1 });
  });
});
