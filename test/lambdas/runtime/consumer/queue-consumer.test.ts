import { IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventIdConflictError } from '../../../../lambdas/contracts/errors';
import type { EventType } from '../../../../lambdas/contracts/events';
import { BUSINESS_METRIC, BUSINESS_METRICS_NAMESPACE } from '../../../../lambdas/contracts/metrics';
import { PARK_ATTRIBUTES } from '../../../../lambdas/contracts/park-attributes';
import type { Envelope } from '../../../../lambdas/messages/envelope';
import { BusinessMetrics } from '../../../../lambdas/platform/metrics';
import {
  createQueueConsumer,
  EVENT_CONTENT_JMESPATH,
  unwrapBody,
} from '../../../../lambdas/runtime/consumer/queue-consumer';
import { captureJsonLines, emfTotals, logEntries } from '../../../support/capture-output';
import { orderPlaced, sqsRecord } from '../../../support/events';
import { inMemoryIdempotency } from '../../../support/in-memory-idempotency';

const context = {
  getRemainingTimeInMillis: () => 10_000,
  functionName: 'fn',
  awsRequestId: 'req',
} as unknown as Context;
const sqsMock = mockClient(SQSClient);

function consumer(
  process: (e: Envelope) => Promise<void>,
  options: {
    fifo?: boolean;
    logLevel?: 'SILENT' | 'INFO';
    accepts?: readonly EventType[];
    idempotency?: ReturnType<typeof inMemoryIdempotency>;
  } = {},
) {
  return createQueueConsumer(
    { name: 'test-consumer', process, fifo: options.fifo, accepts: options.accepts },
    {
      sqs: new SQSClient({ region: 'us-east-1' }),
      logger: new Logger({ serviceName: 'test', logLevel: options.logLevel ?? 'SILENT' }),
      metrics: new BusinessMetrics('test-consumer'),
      deadLetterQueueUrl: 'https://sqs.local/dlq',
      maxReceiveCount: 3,
      // As the bootstrap configures it: keyed by the event id, its content validated.
      idempotency: options.idempotency ?? inMemoryIdempotency('id', EVENT_CONTENT_JMESPATH),
    },
  );
}

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'parked' });
});

describe('unwrapBody', () => {
  it('returns the envelope string inside an SNS notification', () => {
    const body = JSON.stringify({ Type: 'Notification', Message: '{"a":1}' });
    expect(unwrapBody(body)).toBe('{"a":1}');
  });

  it('returns a raw envelope as parsed JSON', () => {
    expect(unwrapBody('{"a":1}')).toEqual({ a: 1 });
  });
});

describe('createQueueConsumer', () => {
  it('reports only the failed records of a batch and processes the good ones', async () => {
    const seen: string[] = [];
    const failing = orderPlaced();
    const handler = consumer(async (e) => {
      if (e.id === failing.id) throw new Error('transient');
      seen.push(e.id);
    });
    const good = [orderPlaced(), orderPlaced()];
    const records = [
      sqsRecord(JSON.stringify(good[0]), { messageId: 'good-0' }),
      sqsRecord(JSON.stringify(failing), { messageId: 'failing' }),
      sqsRecord(JSON.stringify(good[1]), { messageId: 'good-1' }),
    ];
    const response = await handler({ Records: records } as SQSEvent, context);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['failing']);
    expect(seen).toEqual(good.map((e) => e.id));
  });

  it('parks a record that can never be processed at once, on its first attempt, with its reason', async () => {
    const seen: string[] = [];
    const handler = consumer(async (e) => {
      seen.push(e.id);
    });
    const good = orderPlaced();
    const records = [
      sqsRecord('not json', { messageId: 'malformed' }),
      sqsRecord(JSON.stringify({ ...orderPlaced(), data: { orderId: 'x' } }), { messageId: 'invalid' }),
      sqsRecord(JSON.stringify({ ...orderPlaced(), type: 'OrderTeleported' }), { messageId: 'unknown-type' }),
      sqsRecord(JSON.stringify(good), { messageId: 'good' }),
    ];
    const response = await handler({ Records: records } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toEqual([good.id]);
    const parked = sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(parked.map((p) => p.MessageAttributes?.[PARK_ATTRIBUTES.sourceMessageId]?.StringValue).sort()).toEqual([
      'invalid',
      'malformed',
      'unknown-type',
    ]);
    for (const p of parked) {
      expect(p.MessageAttributes?.[PARK_ATTRIBUTES.errorType]?.StringValue).toBe('InvalidEventError');
      expect(p.MessageAttributes?.[PARK_ATTRIBUTES.attempts]?.StringValue).toBe('1');
    }
  });

  it('parks a valid event of a type the consumer does not accept on its first attempt, with its reason', async () => {
    const seen: string[] = [];
    const handler = consumer(
      async (e) => {
        seen.push(e.id);
      },
      { accepts: ['OrderConfirmed'] },
    );
    const wrong = orderPlaced();
    const response = await handler(
      { Records: [sqsRecord(JSON.stringify(wrong), { messageId: 'wrong-type' })] } as SQSEvent,
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toEqual([]);
    const parked = sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(parked).toHaveLength(1);
    const reason = (name: string) => parked[0].MessageAttributes?.[name]?.StringValue;
    expect(reason(PARK_ATTRIBUTES.errorType)).toBe('WrongEventTypeError');
    expect(reason(PARK_ATTRIBUTES.errorMessage)).toBe('test-consumer only handles OrderConfirmed, got OrderPlaced');
    expect(reason(PARK_ATTRIBUTES.attempts)).toBe('1');
    expect(reason(PARK_ATTRIBUTES.sourceMessageId)).toBe('wrong-type');
    expect(parked[0].MessageBody).toBe(JSON.stringify(wrong));
  });

  it('retries a plain failure of an accepted type instead of parking it on its first attempt', async () => {
    const handler = consumer(
      async () => {
        throw new Error('transient');
      },
      { accepts: ['OrderPlaced'] },
    );
    const response = await handler(
      { Records: [sqsRecord(JSON.stringify(orderPlaced()), { messageId: 'retry-me' })] } as SQSEvent,
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'retry-me' }]);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('processes an event id once, even when it arrives as two different SQS messages', async () => {
    let calls = 0;
    const handler = consumer(async () => {
      calls++;
    });
    const body = JSON.stringify(orderPlaced());
    await handler({ Records: [sqsRecord(body, { messageId: 'a' })] } as SQSEvent, context);
    const second = await handler({ Records: [sqsRecord(body, { messageId: 'b' })] } as SQSEvent, context);
    expect(calls).toBe(1);
    expect(second.batchItemFailures).toEqual([]);
  });

  it('retries a failed event: the failure leaves no idempotency record behind', async () => {
    let calls = 0;
    const handler = consumer(async () => {
      calls++;
      if (calls === 1) throw new Error('transient');
    });
    const body = JSON.stringify(orderPlaced());
    const first = await handler({ Records: [sqsRecord(body, { messageId: 'a' })] } as SQSEvent, context);
    const second = await handler({ Records: [sqsRecord(body, { messageId: 'a' }, 2)] } as SQSEvent, context);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
    expect(second.batchItemFailures).toEqual([]);
    expect(calls).toBe(2);
  });

  it('parks a record in the DLQ with its reason on the last allowed attempt, and acknowledges it', async () => {
    const handler = consumer(async () => undefined);
    const response = await handler({ Records: [sqsRecord('{oops', { messageId: 'poison' }, 3)] } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([]);
    const sent = sqsMock.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(sent.QueueUrl).toBe('https://sqs.local/dlq');
    expect(sent.MessageBody).toBe('{oops');
    expect(sent.MessageAttributes?.[PARK_ATTRIBUTES.errorType]?.StringValue).toBe('InvalidEventError');
    expect(sent.MessageAttributes?.[PARK_ATTRIBUTES.errorMessage]?.StringValue).toMatch(/not valid JSON/);
    expect(sent.MessageAttributes?.[PARK_ATTRIBUTES.attempts]?.StringValue).toBe('3');
    expect(sent.MessageAttributes?.[PARK_ATTRIBUTES.sourceMessageId]?.StringValue).toBe('poison');
  });

  it('parks a redriven record with the new reason, not the park attributes it came back with', async () => {
    const handler = consumer(async () => undefined);
    const old = (value: string) => ({ dataType: 'String', stringValue: value });
    const record = sqsRecord('{oops', { messageId: 'again' }, 3);
    record.messageAttributes = {
      [PARK_ATTRIBUTES.errorType]: old('OldError'),
      [PARK_ATTRIBUTES.sourceMessageId]: old('first-time'),
      'x-redrive-count': { dataType: 'Number', stringValue: '1' },
    };
    await handler({ Records: [record] } as SQSEvent, context);
    const sent = sqsMock.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(sent.MessageAttributes?.[PARK_ATTRIBUTES.errorType]?.StringValue).toBe('InvalidEventError');
    expect(sent.MessageAttributes?.[PARK_ATTRIBUTES.sourceMessageId]?.StringValue).toBe('again');
    expect(sent.MessageAttributes?.['x-redrive-count']?.StringValue).toBe('1');
  });

  it('leaves the record to the redrive policy when parking itself fails', async () => {
    sqsMock.on(SendMessageCommand).rejects(new Error('DLQ unavailable'));
    const handler = consumer(async () => undefined);
    const response = await handler({ Records: [sqsRecord('{oops', { messageId: 'poison' }, 3)] } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison' }]);
  });

  it('on a FIFO queue, holds back only the failed message group and keeps the group id when parking', async () => {
    const seen: string[] = [];
    const failingEvent = orderPlaced({ orderId: 'A' });
    const handler = consumer(
      async (e) => {
        if (e.id === failingEvent.id) throw new Error('transient');
        seen.push((e.data as { orderId: string }).orderId);
      },
      { fifo: true },
    );
    const fifo = (body: string, id: string, group: string, receiveCount = 1) =>
      sqsRecord(body, {
        messageId: id,
        attributes: {
          ...sqsRecord('').attributes,
          MessageGroupId: group,
          ApproximateReceiveCount: String(receiveCount),
        },
      });
    const records = [
      fifo(JSON.stringify(failingEvent), 'a1', 'A'),
      fifo(JSON.stringify(orderPlaced({ orderId: 'A' })), 'a2', 'A'),
      fifo(JSON.stringify(orderPlaced({ orderId: 'B' })), 'b1', 'B'),
    ];
    const response = await handler({ Records: records } as SQSEvent, context);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a1', 'a2']);
    expect(seen).toEqual(['B']);

    await handler({ Records: [fifo(JSON.stringify(failingEvent), 'a1', 'A', 3)] } as SQSEvent, context);
    const parked = sqsMock.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(parked.MessageGroupId).toBe('A');
    expect(parked.MessageDeduplicationId).toBe('a1');
  });

  it('counts a suppressed duplicate in the invocation EMF record, and nothing for a first delivery', async () => {
    const handler = consumer(async () => undefined);
    const body = JSON.stringify(orderPlaced());
    const first = await captureJsonLines(() =>
      handler({ Records: [sqsRecord(body, { messageId: 'a' })] } as SQSEvent, context),
    );
    const second = await captureJsonLines(() =>
      handler(
        { Records: [sqsRecord(body, { messageId: 'b' }), sqsRecord(body, { messageId: 'c' })] } as SQSEvent,
        context,
      ),
    );
    expect(emfTotals(first.lines, BUSINESS_METRICS_NAMESPACE)).toEqual({});
    expect(emfTotals(second.lines, BUSINESS_METRICS_NAMESPACE)).toEqual({ [BUSINESS_METRIC.DuplicatesSuppressed]: 2 });
  });

  it('logs each record with its own envelope keys, even when records run in parallel, and leaks none to the next', async () => {
    // The first record's work outlasts the second's, so their log lines interleave.
    const handler = consumer(
      async (e) => {
        if ((e.data as { orderId: string }).orderId === 'slow') await new Promise((r) => setTimeout(r, 20));
      },
      { logLevel: 'INFO' },
    );
    const slow = orderPlaced({ orderId: 'slow' });
    const fast = orderPlaced({ orderId: 'fast' });
    const { lines } = await captureJsonLines(async () => {
      await handler(
        {
          Records: [
            sqsRecord(JSON.stringify(slow), { messageId: 'm-slow' }),
            sqsRecord(JSON.stringify(fast), { messageId: 'm-fast' }),
          ],
        } as SQSEvent,
        context,
      );
      await handler({ Records: [sqsRecord('not json', { messageId: 'm-bad' })] } as SQSEvent, context);
    });
    const processed = logEntries(lines, 'event processed');
    expect(processed.map((l) => [l.messageId, l.orderId, l.eventId, l.correlationId, l.eventType])).toEqual([
      ['m-fast', 'fast', fast.id, fast.correlationId, 'OrderPlaced'],
      ['m-slow', 'slow', slow.id, slow.correlationId, 'OrderPlaced'],
    ]);
    const [failed] = logEntries(lines, 'event can never be processed');
    expect(failed.messageId).toBe('m-bad');
    for (const key of ['orderId', 'eventId', 'correlationId', 'eventType']) expect(failed).not.toHaveProperty(key);
  });
});

describe('createQueueConsumer: a known event id with changed content (issue 17)', () => {
  const parkedMessages = () => sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
  const attribute = (message: { MessageAttributes?: Record<string, { StringValue?: string }> }, name: string) =>
    message.MessageAttributes?.[name]?.StringValue;

  it('same id, same body → a silent duplicate: processed once, nothing parked', async () => {
    const seen: string[] = [];
    const handler = consumer(async (e) => {
      seen.push((e.data as { customerId: string }).customerId);
    });
    const event = orderPlaced();
    await handler({ Records: [sqsRecord(JSON.stringify(event), { messageId: 'a' })] } as SQSEvent, context);
    const again = await handler(
      { Records: [sqsRecord(JSON.stringify(event), { messageId: 'b' })] } as SQSEvent,
      context,
    );
    expect(again.batchItemFailures).toEqual([]);
    expect(seen).toEqual([event.data.customerId]);
    expect(parkedMessages()).toEqual([]);
  });

  it('same id, other body → parked on its first attempt with EVENT_ID_CONFLICT, never applied, other records unharmed', async () => {
    const seen: string[] = [];
    const handler = consumer(async (e) => {
      seen.push(`${e.id}:${(e.data as { customerId: string }).customerId}`);
    });
    const event = orderPlaced();
    await handler({ Records: [sqsRecord(JSON.stringify(event), { messageId: 'first' })] } as SQSEvent, context);
    const changed = { ...event, data: { ...event.data, customerId: 'customer-other' } };
    const neighbour = orderPlaced({ orderId: 'order-2' });
    const { lines, result } = await captureJsonLines(() =>
      handler(
        {
          Records: [
            sqsRecord(JSON.stringify(changed), { messageId: 'changed' }),
            sqsRecord(JSON.stringify(neighbour), { messageId: 'neighbour' }),
          ],
        } as SQSEvent,
        context,
      ),
    );
    // Acknowledged (parked), not failed: the batch is not retried, the neighbour is processed.
    expect(result.batchItemFailures).toEqual([]);
    expect(seen).toEqual([`${event.id}:${event.data.customerId}`, `${neighbour.id}:${neighbour.data.customerId}`]);
    const parked = parkedMessages();
    expect(parked).toHaveLength(1);
    expect(parked[0].MessageBody).toBe(JSON.stringify(changed));
    expect(attribute(parked[0], PARK_ATTRIBUTES.errorType)).toBe('EventIdConflictError');
    expect(attribute(parked[0], PARK_ATTRIBUTES.reason)).toBe('EVENT_ID_CONFLICT');
    expect(attribute(parked[0], PARK_ATTRIBUTES.attempts)).toBe('1');
    expect(attribute(parked[0], PARK_ATTRIBUTES.sourceMessageId)).toBe('changed');
    expect(attribute(parked[0], PARK_ATTRIBUTES.errorMessage)).toMatch(
      new RegExp(
        `^EVENT_ID_CONFLICT: test-consumer already processed event ${event.id} with other content ` +
          `\\(idempotency record payload hash .+\\); this delivery \\(sha256:[0-9a-f]{64}\\) is parked, not applied$`,
      ),
    );
    expect(emfTotals(lines, BUSINESS_METRICS_NAMESPACE)).toEqual({ [BUSINESS_METRIC.EventConflicts]: 1 });
  });

  it('same id, same content, other delivery metadata (time, correlation id, metadata) → a duplicate', async () => {
    let calls = 0;
    const handler = consumer(async () => {
      calls++;
    });
    const event = orderPlaced();
    await handler({ Records: [sqsRecord(JSON.stringify(event), { messageId: 'a' })] } as SQSEvent, context);
    // The same content with its keys in another order, too: key order is not content.
    const { orderId, ...rest } = event.data;
    const redelivered = {
      ...event,
      time: '2027-01-01T00:00:00.000Z',
      correlationId: 'another-correlation',
      causationId: 'another-cause',
      metadata: { aggregateVersion: 3 },
      data: { ...rest, orderId },
    };
    const { lines, result } = await captureJsonLines(() =>
      handler({ Records: [sqsRecord(JSON.stringify(redelivered), { messageId: 'b' })] } as SQSEvent, context),
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(calls).toBe(1);
    expect(parkedMessages()).toEqual([]);
    expect(emfTotals(lines, BUSINESS_METRICS_NAMESPACE)).toEqual({ [BUSINESS_METRIC.DuplicatesSuppressed]: 1 });
  });

  it('two deliveries of one id with different bodies in one batch: one applied, the other parked', async () => {
    const seen: string[] = [];
    const handler = consumer(async (e) => {
      await new Promise((r) => setTimeout(r, 10));
      seen.push((e.data as { customerId: string }).customerId);
    });
    const event = orderPlaced();
    const changed = { ...event, data: { ...event.data, customerId: 'customer-other' } };
    const response = await handler(
      {
        Records: [
          sqsRecord(JSON.stringify(event), { messageId: 'one' }),
          sqsRecord(JSON.stringify(changed), { messageId: 'two' }),
        ],
      } as SQSEvent,
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toHaveLength(1);
    const parked = parkedMessages();
    expect(parked).toHaveLength(1);
    expect(attribute(parked[0], PARK_ATTRIBUTES.reason)).toBe('EVENT_ID_CONFLICT');
    // The parked one is the one not applied.
    const parkedCustomer = (JSON.parse(parked[0].MessageBody ?? '{}') as { data: { customerId: string } }).data
      .customerId;
    expect([parkedCustomer, ...seen].sort()).toEqual([event.data.customerId, changed.data.customerId].sort());
  });

  it('a conflict found by the apply-once marker (idempotency record expired) is parked the same way', async () => {
    const handler = consumer(async (e) => {
      throw new EventIdConflictError('test-consumer', e.id, 'apply-once marker sha256:old', 'sha256:new');
    });
    const { lines, result } = await captureJsonLines(() =>
      handler({ Records: [sqsRecord(JSON.stringify(orderPlaced()), { messageId: 'late' })] } as SQSEvent, context),
    );
    expect(result.batchItemFailures).toEqual([]);
    const [parked] = parkedMessages();
    expect(attribute(parked, PARK_ATTRIBUTES.reason)).toBe('EVENT_ID_CONFLICT');
    expect(attribute(parked, PARK_ATTRIBUTES.attempts)).toBe('1');
    expect(emfTotals(lines, BUSINESS_METRICS_NAMESPACE)).toEqual({ [BUSINESS_METRIC.EventConflicts]: 1 });
  });

  it('an idempotency record written before payload validation has no hash to compare: a duplicate, as before', async () => {
    let calls = 0;
    const process = async () => {
      calls++;
    };
    const before = inMemoryIdempotency('id');
    const event = orderPlaced();
    await consumer(process, { idempotency: before })(
      { Records: [sqsRecord(JSON.stringify(event), { messageId: 'a' })] } as SQSEvent,
      context,
    );
    const after = inMemoryIdempotency('id', EVENT_CONTENT_JMESPATH);
    for (const [key, record] of before.persistenceStore.records) after.persistenceStore.records.set(key, record);
    const changed = { ...event, data: { ...event.data, customerId: 'customer-other' } };
    const response = await consumer(process, { idempotency: after })(
      { Records: [sqsRecord(JSON.stringify(changed), { messageId: 'b' })] } as SQSEvent,
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(calls).toBe(1);
    expect(parkedMessages()).toEqual([]);
  });

  it('an in-progress record written before payload validation is retried, never taken for a finished duplicate', async () => {
    let calls = 0;
    const process = async () => {
      calls++;
    };
    const event = orderPlaced();
    // The key of this event, as a delivery without payload validation writes it.
    const before = inMemoryIdempotency('id');
    await consumer(process, { idempotency: before })(
      { Records: [sqsRecord(JSON.stringify(event), { messageId: 'a' })] } as SQSEvent,
      context,
    );
    const [key] = [...before.persistenceStore.records.keys()];
    // What a worker that died mid-way leaves: in progress, no payload hash.
    const after = inMemoryIdempotency('id', EVENT_CONTENT_JMESPATH);
    after.persistenceStore.records.set(
      key,
      new IdempotencyRecord({
        idempotencyKey: key,
        status: IdempotencyRecordStatus.INPROGRESS,
        expiryTimestamp: Math.floor(Date.now() / 1000) + 3600,
        inProgressExpiryTimestamp: Date.now() + 600_000,
      }),
    );
    calls = 0;
    const response = await consumer(process, { idempotency: after })(
      { Records: [sqsRecord(JSON.stringify(event), { messageId: 'b' })] } as SQSEvent,
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'b' }]);
    expect(calls).toBe(0);
    expect(parkedMessages()).toEqual([]);
  });

  it('puts an InvalidEventError reason on the parked message too', async () => {
    await consumer(async () => undefined)(
      { Records: [sqsRecord('not json', { messageId: 'bad' })] } as SQSEvent,
      context,
    );
    expect(attribute(parkedMessages()[0], PARK_ATTRIBUTES.reason)).toBe('MALFORMED_JSON');
  });
});
