import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ANALYTICS_CONSUMER, recordAnalytics } from '../../lambdas/analytics-consumer/record-analytics';
import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { keys } from '../../lambdas/contracts/keys';
import { EMAIL_CONSUMER, sendOutcomeEmail } from '../../lambdas/email-consumer/send-email';
import { awardPoints, LOYALTY_CONSUMER } from '../../lambdas/loyalty-consumer/award-points';
import { newEvent } from '../../lambdas/messages/envelope';
import {
  appendTimeline,
  placeInTimeline,
  TIMELINE_CONSUMER,
} from '../../lambdas/order-timeline-consumer/append-timeline';
import type { ConsumerContext } from '../../lambdas/runtime/consumer/context';
import { sqsRecord } from '../support/events';

const ddbMock = mockClient(DynamoDBDocumentClient);
const ctx: ConsumerContext = {
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  tableName: 'state',
  now: () => new Date('2026-01-01T00:00:00Z'),
};
const confirmed = () =>
  newEvent({
    type: 'OrderConfirmed',
    source: ORDER_SERVICE_SOURCE,
    data: { orderId: 'o-1', customerId: 'c-1', total: 150.7 },
  });

/** The transaction items of the one TransactWriteItems call made. */
function transaction() {
  const calls = ddbMock.commandCalls(TransactWriteCommand);
  expect(calls).toHaveLength(1);
  return calls[0].args[0].input.TransactItems ?? [];
}

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
});

describe.each([
  { consumer: EMAIL_CONSUMER, run: sendOutcomeEmail, effectKey: keys.email('o-1', 'OrderConfirmed'), counter: 'sends' },
  { consumer: ANALYTICS_CONSUMER, run: recordAnalytics, effectKey: keys.analytics('o-1'), counter: 'events' },
  { consumer: LOYALTY_CONSUMER, run: awardPoints, effectKey: keys.loyalty('c-1'), counter: 'points' },
])('$consumer', ({ consumer, run, effectKey, counter }) => {
  it('writes its counter and the marker of its own name and the event id in one transaction', async () => {
    const event = confirmed();
    await run(event, ctx, sqsRecord('{}'));
    const [marker, effect] = transaction();
    expect(marker.Put?.Item).toMatchObject(keys.applied(consumer, event.id));
    expect(marker.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(effect.Update?.Key).toEqual(effectKey);
    expect(effect.Update?.UpdateExpression).toContain(`ADD ${counter} `);
  });
});

describe('loyalty-consumer', () => {
  it('awards the whole currency units of the total', async () => {
    const event = confirmed();
    await awardPoints(event, ctx, sqsRecord('{}'));
    expect(transaction()[1].Update?.ExpressionAttributeValues).toEqual({ ':points': 150, ':one': 1 });
  });
});

describe('placeInTimeline', () => {
  it('appends an event without a store version (one sent by hand, not by the relay)', () => {
    expect(placeInTimeline(undefined, undefined)).toEqual({ kind: 'unversioned' });
    expect(placeInTimeline(3, undefined)).toEqual({ kind: 'unversioned' });
  });

  it('appends the next version, and names the versions skipped when there is a gap', () => {
    expect(placeInTimeline(undefined, 1)).toEqual({ kind: 'next', missing: [] });
    // Store versions start at 1: an order's first versioned event at 3 means 1 and 2 were parked.
    expect(placeInTimeline(undefined, 3)).toEqual({ kind: 'next', missing: [1, 2] });
    expect(placeInTimeline(2, 3)).toEqual({ kind: 'next', missing: [] });
    expect(placeInTimeline(2, 5)).toEqual({ kind: 'next', missing: [3, 4] });
  });

  it('keeps a version at or below the last apart, never among the entries', () => {
    expect(placeInTimeline(5, 3)).toEqual({ kind: 'late' });
    expect(placeInTimeline(5, 5)).toEqual({ kind: 'late' });
  });
});

describe('order-timeline-consumer', () => {
  const event = (version: number | undefined) =>
    newEvent({
      type: 'PaymentCharged',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId: 'o-1', paymentId: 'p-1', amount: 10 },
      metadata: version === undefined ? {} : { aggregateVersion: version },
    });
  const record = sqsRecord('{}', { attributes: { ...sqsRecord('{}').attributes, MessageGroupId: 'o-1' } });
  const timelineUpdate = () => {
    const [marker, effect] = transaction();
    expect(marker.Put?.Item).toMatchObject(keys.applied(TIMELINE_CONSUMER, marker.Put?.Item?.eventId as string));
    expect(effect.Update?.Key).toEqual(keys.timeline('o-1'));
    return effect.Update!;
  };

  it('appends the next version on condition that no other version was appended meanwhile', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { lastSequence: 2 } });
    await appendTimeline(event(3), ctx, record);
    const update = timelineUpdate();
    expect(update.UpdateExpression).toContain('entries = list_append(if_not_exists(entries, :empty), :entry)');
    expect(update.UpdateExpression).not.toContain('missingSequences');
    expect(update.ConditionExpression).toBe('lastSequence = :seen');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':entry': ['3:PaymentCharged'],
      ':sequence': 3,
      ':seen': 2,
    });
  });

  it('records the skipped versions of a gap while appending in order', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { lastSequence: 2 } });
    await appendTimeline(event(5), ctx, record);
    const update = timelineUpdate();
    expect(update.UpdateExpression).toContain('ADD messageGroupIds :group, missingSequences :missing');
    expect(update.ExpressionAttributeValues?.[':missing']).toEqual(new Set([3, 4]));
  });

  it('starts a timeline on condition that none has a version yet', async () => {
    ddbMock.on(GetCommand).resolves({});
    await appendTimeline(event(2), ctx, record);
    expect(timelineUpdate().ConditionExpression).toBe('attribute_not_exists(lastSequence)');
  });

  it('puts a late version in lateEntries and strikes it from the missing versions, leaving entries as they are', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { lastSequence: 5, missingSequences: new Set([3, 4]) } });
    await appendTimeline(event(3), ctx, record);
    const update = timelineUpdate();
    expect(update.UpdateExpression).not.toMatch(/(^|\s)entries =/);
    expect(update.UpdateExpression).toContain('lateEntries = list_append(if_not_exists(lateEntries, :empty), :entry)');
    expect(update.UpdateExpression).toContain('DELETE missingSequences :late');
    expect(update.ExpressionAttributeValues?.[':late']).toEqual(new Set([3]));
  });

  it('appends an unversioned event unconditionally and leaves lastSequence alone', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { lastSequence: 2 } });
    await appendTimeline(event(undefined), ctx, record);
    const update = timelineUpdate();
    expect(update.UpdateExpression).not.toContain('lastSequence');
    expect(update.ConditionExpression).toBeUndefined();
    expect(update.ExpressionAttributeValues?.[':entry']).toEqual(['-:PaymentCharged']);
  });
});
