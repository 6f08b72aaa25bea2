import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EffectConflictError } from '../../../../lambdas/contracts/errors';
import { keys } from '../../../../lambdas/contracts/keys';
import { applyOnce, type EffectWrite } from '../../../../lambdas/runtime/consumer/apply-once';

const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const now = new Date('2026-01-01T00:00:00Z');
const effect: EffectWrite = {
  Update: { TableName: 'state', Key: { pk: 'ORDER#o-1', sk: 'ANALYTICS' }, UpdateExpression: 'ADD events :one' },
};

function cancelled(...codes: string[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

beforeEach(() => ddbMock.reset());

describe('applyOnce', () => {
  it('writes the marker, conditional on its absence, and the effect in one transaction', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});
    const outcome = await applyOnce(ddb, { tableName: 'state', consumer: 'c', eventId: 'e-1', effect: [effect], now });
    expect(outcome).toBe('applied');
    const [call] = ddbMock.commandCalls(TransactWriteCommand);
    expect(call.args[0].input.TransactItems).toEqual([
      {
        Put: {
          TableName: 'state',
          Item: { ...keys.applied('c', 'e-1'), consumer: 'c', eventId: 'e-1', appliedAt: now.toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
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
    const input = { tableName: 'state', consumer: 'c', eventId: 'e-1', effect: [effect], now };
    expect(await applyOnce(ddb, input)).toBe('applied');
    // The process died here, before the idempotency record completed; the retry runs the effect again.
    expect(await applyOnce(ddb, input)).toBe('already-applied');
    expect(await applyOnce(ddb, { ...input, eventId: 'e-2' })).toBe('applied');
    expect(effectsApplied).toBe(2);
  });

  it("reports a failed condition of the effect's own writes as a conflict to retry, naming the write", async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    const attempt = applyOnce(ddb, { tableName: 'state', consumer: 'c', eventId: 'e-1', effect: [effect], now });
    await expect(attempt).rejects.toThrow(EffectConflictError);
    await expect(attempt).rejects.toThrow('c: the condition of effect write 0 failed for event e-1');
  });

  it('rethrows any other failure unchanged, so the record is retried', async () => {
    const throttled = cancelled('None', 'ThrottlingError');
    ddbMock.on(TransactWriteCommand).rejects(throttled);
    await expect(
      applyOnce(ddb, { tableName: 'state', consumer: 'c', eventId: 'e-1', effect: [effect], now }),
    ).rejects.toBe(throttled);
    const down = new Error('socket hang up');
    ddbMock.on(TransactWriteCommand).rejects(down);
    await expect(
      applyOnce(ddb, { tableName: 'state', consumer: 'c', eventId: 'e-1', effect: [effect], now }),
    ).rejects.toBe(down);
  });

  it('refuses an empty effect or one that leaves no transaction item for the marker', async () => {
    await expect(applyOnce(ddb, { tableName: 's', consumer: 'c', eventId: 'e', effect: [], now })).rejects.toThrow(
      'applyOnce takes 1 to 99 effect writes, got 0 (c)',
    );
    const tooMany = Array.from({ length: 100 }, () => effect);
    await expect(applyOnce(ddb, { tableName: 's', consumer: 'c', eventId: 'e', effect: tooMany, now })).rejects.toThrow(
      'got 100',
    );
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
