import { type AttributeValue, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EffectConflictError, EventIdConflictError, isPermanentError } from '../../../../lambdas/contracts/errors';
import { keys } from '../../../../lambdas/contracts/keys';
import { contentFingerprint } from '../../../../lambdas/messages/fingerprint';
import {
  applyEffectOnce,
  applyOnce,
  type EffectWrite,
  judgeKnownEvent,
} from '../../../../lambdas/runtime/consumer/apply-once';
import type { ConsumerContext } from '../../../../lambdas/runtime/consumer/context';
import { orderPlaced } from '../../../support/events';

const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const now = new Date('2026-01-01T00:00:00Z');
const effect: EffectWrite = {
  Update: { TableName: 'state', Key: { pk: 'ORDER#o-1', sk: 'ANALYTICS' }, UpdateExpression: 'ADD events :one' },
};

const fingerprint = 'sha256:first';

function cancelled(...codes: string[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

/** A cancelled transaction whose marker condition failed, returning the marker as DynamoDB does with ALL_OLD. */
function markerExists(marker: Record<string, AttributeValue> | undefined) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: 'ConditionalCheckFailed', ...(marker ? { Item: marker } : {}) }, { Code: 'None' }],
  });
}

beforeEach(() => ddbMock.reset());

describe('applyOnce', () => {
  it('writes the marker, conditional on its absence, and the effect in one transaction', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});
    const outcome = await applyOnce(ddb, {
      tableName: 'state',
      consumer: 'c',
      eventId: 'e-1',
      fingerprint,
      effect: [effect],
      now,
    });
    expect(outcome).toBe('applied');
    const [call] = ddbMock.commandCalls(TransactWriteCommand);
    expect(call.args[0].input.TransactItems).toEqual([
      {
        Put: {
          TableName: 'state',
          Item: {
            ...keys.applied('c', 'e-1'),
            consumer: 'c',
            eventId: 'e-1',
            fingerprint,
            appliedAt: now.toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          // The marker comes back with a failed condition, so its fingerprint is compared without a read.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      effect,
    ]);
  });

  it('keys the marker by consumer and event id, so two consumers of one event each apply theirs', () => {
    expect(keys.applied('email-consumer', 'e-1')).toEqual({ pk: 'APPLIED#email-consumer#e-1', sk: 'APPLIED' });
    expect(keys.applied('email-consumer', 'e-1')).not.toEqual(keys.applied('analytics-consumer', 'e-1'));
  });

  it('applies the effect once over a crash-and-retry: the second attempt finds the marker', async () => {
    // A table that honours the marker's condition: the transaction fails as a whole when it exists.
    const markers = new Set<string>();
    let effectsApplied = 0;
    ddbMock.on(TransactWriteCommand).callsFake((input) => {
      const marker = input.TransactItems[0].Put.Item.pk as string;
      if (markers.has(marker)) throw cancelled('ConditionalCheckFailed', 'None');
      markers.add(marker);
      effectsApplied++;
      return {};
    });
    const input = { tableName: 'state', consumer: 'c', eventId: 'e-1', fingerprint, effect: [effect], now };
    expect(await applyOnce(ddb, input)).toBe('applied');
    // The process died here, before the idempotency record completed; the retry runs the effect again.
    expect(await applyOnce(ddb, input)).toBe('already-applied');
    expect(await applyOnce(ddb, { ...input, eventId: 'e-2' })).toBe('applied');
    expect(effectsApplied).toBe(2);
  });

  it("reports a failed condition of the effect's own writes as a conflict to retry, naming the write", async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    const attempt = applyOnce(ddb, {
      tableName: 'state',
      consumer: 'c',
      eventId: 'e-1',
      fingerprint,
      effect: [effect],
      now,
    });
    await expect(attempt).rejects.toThrow(EffectConflictError);
    await expect(attempt).rejects.toThrow('c: the condition of effect write 0 failed for event e-1');
  });

  it('rethrows any other failure unchanged, so the record is retried', async () => {
    const throttled = cancelled('None', 'ThrottlingError');
    ddbMock.on(TransactWriteCommand).rejects(throttled);
    await expect(
      applyOnce(ddb, { tableName: 'state', consumer: 'c', eventId: 'e-1', fingerprint, effect: [effect], now }),
    ).rejects.toBe(throttled);
    const down = new Error('socket hang up');
    ddbMock.on(TransactWriteCommand).rejects(down);
    await expect(
      applyOnce(ddb, { tableName: 'state', consumer: 'c', eventId: 'e-1', fingerprint, effect: [effect], now }),
    ).rejects.toBe(down);
  });

  it('refuses an empty effect or one that leaves no transaction item for the marker', async () => {
    await expect(
      applyOnce(ddb, { tableName: 's', consumer: 'c', eventId: 'e', fingerprint, effect: [], now }),
    ).rejects.toThrow('applyOnce takes 1 to 99 effect writes, got 0 (c)');
    const tooMany = Array.from({ length: 100 }, () => effect);
    await expect(
      applyOnce(ddb, { tableName: 's', consumer: 'c', eventId: 'e', fingerprint, effect: tooMany, now }),
    ).rejects.toThrow('got 100');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers already-applied when the marker holds the same fingerprint: a duplicate, nothing written', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejects(markerExists({ pk: { S: 'APPLIED#c#e-1' }, fingerprint: { S: fingerprint } }));
    expect(
      await applyOnce(ddb, { tableName: 'state', consumer: 'c', eventId: 'e-1', fingerprint, effect: [effect], now }),
    ).toBe('already-applied');
  });

  it('refuses a known event id whose marker holds another fingerprint: a permanent EVENT_ID_CONFLICT', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejects(markerExists({ pk: { S: 'APPLIED#c#e-1' }, fingerprint: { S: 'sha256:other' } }));
    const attempt = applyOnce(ddb, {
      tableName: 'state',
      consumer: 'c',
      eventId: 'e-1',
      fingerprint,
      effect: [effect],
      now,
    });
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventIdConflictError);
    expect(isPermanentError(error)).toBe(true);
    expect(error).toMatchObject({
      reason: 'EVENT_ID_CONFLICT',
      consumer: 'c',
      eventId: 'e-1',
      stored: 'apply-once marker sha256:other',
      received: fingerprint,
    });
    expect((error as Error).message).toBe(
      'EVENT_ID_CONFLICT: c already processed event e-1 with other content (apply-once marker sha256:other); ' +
        'this delivery (sha256:first) is parked, not applied',
    );
  });

  it('treats a marker written before fingerprints were kept as a duplicate, as before', async () => {
    ddbMock.on(TransactWriteCommand).rejects(markerExists({ pk: { S: 'APPLIED#c#e-1' } }));
    expect(
      await applyOnce(ddb, { tableName: 'state', consumer: 'c', eventId: 'e-1', fingerprint, effect: [effect], now }),
    ).toBe('already-applied');
  });
});

describe('judgeKnownEvent', () => {
  it('same fingerprint → duplicate; another → conflict; none stored → duplicate (cannot be compared)', () => {
    expect(judgeKnownEvent('sha256:a', 'sha256:a')).toBe('duplicate');
    expect(judgeKnownEvent('sha256:a', 'sha256:b')).toBe('conflict');
    expect(judgeKnownEvent(undefined, 'sha256:b')).toBe('duplicate');
  });
});

describe('applyEffectOnce', () => {
  /** A table that keeps markers and honours their condition, returning the old marker like DynamoDB with ALL_OLD. */
  function markerTable() {
    const markers = new Map<string, Record<string, unknown>>();
    let effects = 0;
    ddbMock.on(TransactWriteCommand).callsFake((input) => {
      const item = input.TransactItems[0].Put.Item as Record<string, string>;
      const old = markers.get(item.pk);
      if (old) {
        throw markerExists(Object.fromEntries(Object.entries(old).map(([k, v]) => [k, { S: String(v) }])));
      }
      markers.set(item.pk, item);
      effects++;
      return {};
    });
    return { markers, effects: () => effects };
  }
  const ctx: ConsumerContext = { ddb, tableName: 'state', now: () => now };
  const write = () => [effect];

  it('stores the content fingerprint of type and data on the marker', async () => {
    const table = markerTable();
    const event = orderPlaced();
    await applyEffectOnce(ctx, 'c', event, write);
    expect(table.markers.get(`APPLIED#c#${event.id}`)?.fingerprint).toBe(contentFingerprint(event));
  });

  it('same id, same body → duplicate; same id, other body → conflict, never applied', async () => {
    const table = markerTable();
    const event = orderPlaced();
    expect(await applyEffectOnce(ctx, 'c', event, write)).toBe('applied');
    expect(await applyEffectOnce(ctx, 'c', structuredClone(event), write)).toBe('already-applied');
    const changed = { ...event, data: { ...event.data, total: event.data.total + 1 } };
    await expect(applyEffectOnce(ctx, 'c', changed, write)).rejects.toThrow(EventIdConflictError);
    expect(table.effects()).toBe(1);
  });

  it('a difference in delivery metadata only (time, correlation id, source, metadata) is a duplicate', async () => {
    const table = markerTable();
    const event = orderPlaced();
    await applyEffectOnce(ctx, 'c', event, write);
    const redelivered = {
      ...event,
      time: '2027-01-01T00:00:00.000Z',
      correlationId: 'another-correlation',
      causationId: 'another-cause',
      source: 'another.source',
      metadata: { aggregateVersion: 7 },
    };
    expect(await applyEffectOnce(ctx, 'c', redelivered, write)).toBe('already-applied');
    expect(table.effects()).toBe(1);
  });
});
