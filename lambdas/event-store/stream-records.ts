import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { Envelope } from '../messages/envelope';
import { type StoredEvent, storedEnvelope } from './event-store';

/**
 * The event-store item a stream record carries, or undefined for records that
 * are not new events (MODIFY/REMOVE: the store is append-only, so those are
 * administrative and ignored).
 */
export function storedEventOf(record: DynamoDBRecord): StoredEvent | undefined {
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return undefined;
  return unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>) as StoredEvent;
}

/** The envelope of a newly stored event, or undefined for any other stream record. */
export function storedEnvelopeOf(record: DynamoDBRecord): Envelope | undefined {
  const item = storedEventOf(record);
  return item ? storedEnvelope(item) : undefined;
}
