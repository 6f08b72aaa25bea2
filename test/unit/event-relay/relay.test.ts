import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { relay } from '../../../lambdas/event-relay/relay';
import { newEvent, ORDER_SERVICE_SOURCE } from '../../../lambdas/shared/envelope';
import { orderPlaced, storedEventRecord } from '../../support/events';

const ebMock = mockClient(EventBridgeClient);
const deps = { eventBridge: new EventBridgeClient({ region: 'us-east-1' }), eventBusName: 'orders' };

const charged = (n: number) =>
  newEvent({
    type: 'PaymentCharged',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId: 'order-1', paymentId: `p${n}`, amount: 1 },
  });

beforeEach(() => ebMock.reset());

describe('relay', () => {
  it('publishes the order service events and skips events that came from the bus', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const event = charged(1);
    const response = await relay([storedEventRecord(orderPlaced(), 1, '1'), storedEventRecord(event, 2, '2')], deps);
    expect(response.batchItemFailures).toEqual([]);
    const entries = ebMock.commandCalls(PutEventsCommand)[0].args[0].input.Entries!;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'orders',
      Source: ORDER_SERVICE_SOURCE,
      DetailType: 'PaymentCharged',
    });
    expect(JSON.parse(entries[0].Detail!).id).toBe(event.id);
  });

  it('sends in batches of 10 and retries from the first refused entry', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: Array.from({ length: 10 }, () => ({ EventId: 'x' })) })
      .resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'y' }, { ErrorCode: 'InternalFailure' }] });
    const records = Array.from({ length: 12 }, (_, i) => storedEventRecord(charged(i), i + 1, String(100 + i)));
    const response = await relay(records, deps);
    expect(ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 2]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '111' }]);
  });
});

describe('relay onRefused', () => {
  it('names the refused record, its envelope and the reason the bus gave', async () => {
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    const events = [charged(1), charged(2)];
    const refusals: { sequenceNumber?: string; eventId: string; reason: string }[] = [];
    await relay([storedEventRecord(events[0], 1, '201'), storedEventRecord(events[1], 2, '202')], {
      ...deps,
      onRefused: ({ record, envelope, reason }) =>
        refusals.push({ sequenceNumber: record.dynamodb?.SequenceNumber, eventId: envelope.id, reason }),
    });
    expect(refusals).toEqual([
      { sequenceNumber: '202', eventId: events[1].id, reason: 'ThrottlingException: slow down' },
    ]);
  });

  it('reports a failed call as a refusal of the batch head, with the error', async () => {
    ebMock.on(PutEventsCommand).rejects(new Error('network down'));
    const event = charged(1);
    const reasons: string[] = [];
    const response = await relay([storedEventRecord(event, 1, '301')], {
      ...deps,
      onRefused: ({ reason }) => reasons.push(reason),
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '301' }]);
    expect(reasons).toEqual(['Error: network down']);
  });
});
