import { type Message, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { keys } from '../../lambdas/contracts/keys';
import { PARK_ATTRIBUTES } from '../../lambdas/contracts/park-attributes';
import { newEvent } from '../../lambdas/messages/envelope';
import { SCHEMA_VERSIONS } from '../../lambdas/messages/schemas';
import { consumerDriver } from '../support/integration/consumer-faults';
import { anOrder, eventually, system } from '../support/integration/system';

/**
 * Scenario 7: bad input never crash-loops a consumer and never blocks good input.
 * Four kinds of bad message share a batch with good events on the e-mail queue.
 * The good ones are processed at once. Policy per kind: every one is *parked*
 * in the queue's DLQ with its reason (PARK_ATTRIBUTES), none is acknowledged
 * and dropped, because each is a permanent error (`InvalidEventError` from
 * `parseEnvelope`) that no retry can fix, so it is parked on its first attempt
 * (see lambdas/runtime/consumer/queue-consumer.ts):
 *
 * | kind                  | reason (`InvalidEventError.reason`) | end state        |
 * | malformed JSON        | MALFORMED_JSON                      | parked, 1 attempt |
 * | schema violation      | SCHEMA_VIOLATION                    | parked, 1 attempt |
 * | unknown event type    | UNKNOWN_TYPE                        | parked, 1 attempt |
 * | future schema version | UNSUPPORTED_VERSION                 | parked, 1 attempt |
 */
describe('bad input on a consumer queue', () => {
  it('parks each kind of bad input on its first attempt with its reason, and processes the good messages of its batch', async () => {
    const sys = system();
    const good = [0, 1].map(() =>
      newEvent({
        type: 'OrderConfirmed',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId: sys.uniqueId('order'), customerId: 'c-1', total: 10 },
      }),
    );
    const marker = sys.uniqueId('poison');
    const bad = {
      malformed: `{"id": "${marker}", "type": `,
      schemaViolation: JSON.stringify({ ...good[0], id: `${marker}-schema`, data: { orderId: 'has spaces!' } }),
      unknownType: JSON.stringify({ ...good[0], id: `${marker}-unknown`, type: 'OrderTeleported' }),
      futureVersion: JSON.stringify({
        ...good[0],
        id: `${marker}-future`,
        version: SCHEMA_VERSIONS.OrderConfirmed + 1,
      }),
    };
    await sys.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: sys.outputs.EmailQueueUrl,
        Entries: [
          { Id: 'good0', MessageBody: JSON.stringify(good[0]) },
          ...Object.entries(bad).map(([kind, body]) => ({ Id: kind, MessageBody: body })),
          { Id: 'good1', MessageBody: JSON.stringify(good[1]) },
        ],
      }),
    );

    for (const event of good) {
      const email = await eventually(
        () => sys.consumerRecord(keys.email(event.data.orderId, 'OrderConfirmed')),
        (item) => item !== undefined,
        { what: 'a good message of the batch to be processed', timeoutMs: 30_000 },
      );
      expect(email?.sends).toBe(1);
    }

    const parked: Message[] = [];
    await eventually(
      async () => {
        const received = await sys.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: sys.outputs.EmailDlqUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            // The DLQ keeps other runs' messages and a receive returns at most 10: hide what was
            // read for a while, so the next receives walk on through the queue (integration
            // files run one at a time, so no other test reads this DLQ meanwhile).
            VisibilityTimeout: 20,
            WaitTimeSeconds: 1,
          }),
        );
        for (const message of received.Messages ?? []) {
          if (message.Body?.includes(marker) && !parked.some((p) => p.MessageId === message.MessageId))
            parked.push(message);
        }
        return parked.length;
      },
      (count) => count >= Object.keys(bad).length,
      { what: 'every bad message in the DLQ', timeoutMs: 180_000, intervalMs: 2_000 },
    );

    // Each bad message is in the DLQ exactly once: parked by the consumer, not also moved by the redrive policy.
    expect(parked.map((m) => m.Body).sort()).toEqual(Object.values(bad).sort());
    const reasonOf = (body: string) => {
      const attributes = parked.find((m) => m.Body === body)?.MessageAttributes ?? {};
      return (name: string) => attributes[name]?.StringValue;
    };
    const expectedMessage: Record<keyof typeof bad, RegExp> = {
      malformed: /not valid JSON/,
      schemaViolation: /Data of OrderConfirmed is invalid[\s\S]*orderId/,
      unknownType: /Unknown event type "OrderTeleported"/,
      futureVersion: new RegExp(
        `OrderConfirmed version ${SCHEMA_VERSIONS.OrderConfirmed + 1} is newer than the supported ${SCHEMA_VERSIONS.OrderConfirmed}`,
      ),
    };
    for (const [kind, body] of Object.entries(bad) as [keyof typeof bad, string][]) {
      const reason = reasonOf(body);
      expect(reason(PARK_ATTRIBUTES.errorType), kind).toBe('InvalidEventError');
      expect(reason(PARK_ATTRIBUTES.errorMessage), kind).toMatch(expectedMessage[kind]);
      expect(reason(PARK_ATTRIBUTES.consumer), kind).toBe('email-consumer');
      // A permanent error is parked on its first attempt: no retry can fix it (no crash loop either).
      expect(reason(PARK_ATTRIBUTES.attempts), kind).toBe('1');
    }
  });
});

/**
 * A valid event of a type its consumer does not handle (here an
 * InventoryReserved on the e-mail queue, which takes order outcomes only): a
 * routing mistake no retry can fix. The consumer refuses it with a permanent
 * `WrongEventTypeError` and parks it on its first attempt with its reason,
 * like the invalid input above, instead of failing it `maxReceiveCount` times
 * first. Nothing is applied for it (no effect marker).
 */
describe('a valid event of the wrong type on a consumer queue', () => {
  it('is parked on its first attempt with WrongEventTypeError as its reason, and nothing is applied', async () => {
    const sys = system();
    const driver = consumerDriver(sys);
    const wrong = newEvent({
      type: 'InventoryReserved',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId: sys.uniqueId('order'), items: [{ sku: 'sku-1', quantity: 1, unitPrice: 10 }] },
    });
    await driver.send('email-consumer', [{ body: JSON.stringify(wrong) }]);

    const [parked] = await eventually(
      () => driver.parked('email-consumer', (m) => m.Body?.includes(wrong.id) === true),
      (messages) => messages.length > 0,
      { what: 'the wrong-type event in the e-mail DLQ', timeoutMs: 120_000, intervalMs: 2_000 },
    );
    const reason = (name: string) => parked.MessageAttributes?.[name]?.StringValue;
    expect(parked.Body).toBe(JSON.stringify(wrong));
    expect(reason(PARK_ATTRIBUTES.errorType)).toBe('WrongEventTypeError');
    expect(reason(PARK_ATTRIBUTES.errorMessage)).toBe(
      'email-consumer only handles OrderConfirmed, OrderCancelled, got InventoryReserved',
    );
    expect(reason(PARK_ATTRIBUTES.consumer)).toBe('email-consumer');
    // Parked on the first attempt: the queue allows more, so this was not its last one.
    expect(reason(PARK_ATTRIBUTES.attempts)).toBe('1');
    expect(await driver.marker('email-consumer', wrong.id)).toBeUndefined();
    // Parked once: not also moved by the redrive policy after further receives.
    expect(await driver.parked('email-consumer', (m) => m.Body?.includes(wrong.id) === true)).toHaveLength(1);
  });
});

/**
 * Bad input at the saga's entry: an OrderPlaced that breaks its schema reaches
 * the saga (EventBridge routes on source and type only). `dispatchSagaTask`
 * (lambdas/runtime/saga/saga-service.ts) answers it as a business rejection,
 * `INVALID_ORDER`, rather than an error to retry: the execution compensates
 * (compensations of an invalid order are no-ops) and ends `Compensated`, and
 * nothing is recorded, reserved or charged. (Malformed JSON cannot get this
 * far: PutEvents refuses a Detail that is not JSON.)
 */
describe('bad input at the saga entry', () => {
  it('rejects an invalid OrderPlaced as INVALID_ORDER: compensated at once, nothing stored, reserved or charged', async () => {
    const sys = system();
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 5);
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 40 }] });
    // Valid envelope, invalid data: the total is not the sum of the items.
    const invalid = { ...order, data: { ...order.data, total: order.data.total + 1 } };
    await sys.placeOrder(invalid);

    const [execution] = await eventually(
      () => sys.executionsOf(order.data.orderId),
      (executions) => executions.length > 0 && executions.every((e) => e.status !== 'RUNNING'),
      { what: 'the saga execution of the invalid order to end', timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output ?? '{}') as { failure?: { step?: string; reason?: string } };
    expect(output.failure?.step).toBe('AcceptOrder');
    expect(output.failure?.reason).toMatch(/^INVALID_ORDER: .*total/s);

    expect(await sys.storedEvents(order.data.orderId)).toEqual([]);
    expect(await sys.serviceRecord(keys.order(order.data.orderId))).toBeUndefined();
    expect(await sys.serviceRecord(keys.payment(order.data.orderId))).toBeUndefined();
    expect(await sys.stockOf(sku)).toBe(5);
  });
});
