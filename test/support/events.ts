import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, SQSRecord } from 'aws-lambda';
import { CHECKOUT_SOURCE } from '../../lambdas/contracts/events';
import type { StoredEvent } from '../../lambdas/event-store/event-store';
import { type Envelope, newEvent, type TypedEnvelope } from '../../lambdas/messages/envelope';
import type { OrderPlaced } from '../../lambdas/messages/schemas';

/** Event factories shared by unit tests: valid by default, overridable per test. */
export function orderPlaced(overrides: Partial<OrderPlaced> = {}, id?: string): TypedEnvelope<'OrderPlaced'> {
  const items = overrides.items ?? [{ sku: 'SKU-1', quantity: 2, unitPrice: 30 }];
  const total = overrides.total ?? items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);
  return newEvent({
    type: 'OrderPlaced',
    source: CHECKOUT_SOURCE,
    id,
    data: {
      orderId: 'order-1',
      customerId: 'customer-1',
      currency: 'EUR',
      paymentToken: 'tok_visa',
      shipToCountry: 'DE',
      ...overrides,
      items,
      total,
    },
  });
}

export function sqsRecord(body: string, overrides: Partial<SQSRecord> = {}, receiveCount = 1): SQSRecord {
  return {
    messageId: overrides.messageId ?? `msg-${Math.random().toString(36).slice(2)}`,
    receiptHandle: 'rh',
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1700000000000',
      SenderId: 'sender',
      ApproximateFirstReceiveTimestamp: '1700000000000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:queue',
    awsRegion: 'us-east-1',
    ...overrides,
  };
}

export function streamInsert(item: StoredEvent, sequenceNumber: string): DynamoDBRecord {
  return {
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: sequenceNumber,
      NewImage: marshall(item) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
    },
  };
}

/** A stream INSERT of `envelope` stored at `version` of aggregate `order-1`. */
export function storedEventRecord(
  envelope: Envelope,
  version: number,
  sequenceNumber = String(version),
): DynamoDBRecord {
  return streamInsert(
    {
      aggregateId: 'order-1',
      version,
      eventId: envelope.id,
      type: envelope.type,
      time: envelope.time,
      envelope: JSON.stringify(envelope),
    },
    sequenceNumber,
  );
}
