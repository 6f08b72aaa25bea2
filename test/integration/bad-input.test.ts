import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { newEvent, ORDER_SERVICE_SOURCE } from '../../lambdas/shared/envelope';
import { keys } from '../../lambdas/shared/keys';
import { PARK_ATTRIBUTES } from '../../lambdas/shared/queue-consumer';
import { eventually, system } from './support/system';

/**
 * Bad input never blocks good input: a malformed body and a schema-violating
 * event share a batch with good events on the e-mail queue. The good ones are
 * processed at once; the bad ones are retried up to maxReceiveCount and then
 * end in the DLQ with their reason as message attributes (parked by the
 * consumer on the last attempt — see lambdas/shared/queue-consumer.ts).
 */
describe('bad input on a consumer queue', () => {
  it('processes the good messages of a batch and parks the bad ones in the DLQ with their reason', async () => {
    const sys = system();
    const good = [0, 1].map(() =>
      newEvent({
        type: 'OrderConfirmed',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId: sys.uniqueId('order'), customerId: 'c-1', total: 10 },
      }),
    );
    const marker = sys.uniqueId('poison');
    const malformed = `{"id": "${marker}", "type": `;
    const schemaViolation = JSON.stringify({ ...good[0], id: `${marker}-schema`, data: { orderId: 'has spaces!' } });
    await sys.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: sys.output('EmailQueueUrl'),
        Entries: [
          { Id: 'good0', MessageBody: JSON.stringify(good[0]) },
          { Id: 'malformed', MessageBody: malformed },
          { Id: 'schema', MessageBody: schemaViolation },
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
            QueueUrl: sys.output('EmailDlqUrl'),
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            VisibilityTimeout: 0,
            WaitTimeSeconds: 1,
          }),
        );
        for (const message of received.Messages ?? []) {
          if (message.Body?.includes(marker) && !parked.some((p) => p.Body === message.Body)) parked.push(message);
        }
        return parked.length;
      },
      (count) => count === 2,
      { what: 'both bad messages in the DLQ', timeoutMs: 180_000, intervalMs: 2_000 },
    );

    const byBody = new Map(parked.map((m) => [m.Body, m.MessageAttributes ?? {}]));
    const malformedReason = byBody.get(malformed)!;
    expect(malformedReason[PARK_ATTRIBUTES.errorType]?.StringValue).toBe('InvalidEventError');
    expect(malformedReason[PARK_ATTRIBUTES.errorMessage]?.StringValue).toMatch(/not valid JSON/);
    const { Attributes } = await sys.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: sys.output('EmailQueueUrl'), AttributeNames: ['RedrivePolicy'] }),
    );
    const { maxReceiveCount } = JSON.parse(Attributes?.RedrivePolicy ?? '{}') as { maxReceiveCount?: number | string };
    // Parked by the consumer on its last allowed attempt, not moved by the redrive policy one receive later.
    expect(Number(malformedReason[PARK_ATTRIBUTES.attempts]?.StringValue)).toBe(Number(maxReceiveCount));
    const schemaReason = byBody.get(schemaViolation)!;
    expect(schemaReason[PARK_ATTRIBUTES.errorMessage]?.StringValue).toMatch(/orderId/);
    expect(schemaReason[PARK_ATTRIBUTES.consumer]?.StringValue).toBe('email-consumer');
  });
});
