import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../lambdas/shared/envelope';
import {
  appendPut,
  ConcurrencyError,
  recordFact,
  WriteConditionFailedError,
} from '../../../lambdas/shared/event-store';
import { orderPlaced } from '../../support/events';

const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

function cancelled(codes: string[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

const ownWrite = {
  Put: { TableName: 'state', Item: { pk: 'x', sk: 'y' }, ConditionExpression: 'attribute_not_exists(pk)' },
};

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(QueryCommand).resolves({ Items: [{ version: 4 }] });
});

describe('appendPut', () => {
  it('guards the version with attribute_not_exists and records the version in the envelope', () => {
    const put = appendPut('events', 'order-1', 5, orderPlaced()).Put!;
    expect(put.ConditionExpression).toBe('attribute_not_exists(version)');
    expect(put.Item).toMatchObject({ aggregateId: 'order-1', version: 5, type: 'OrderPlaced' });
    expect(JSON.parse(put.Item!.envelope as string).metadata.aggregateVersion).toBe(5);
  });

  it('refuses an event too large for one item instead of writing part of it', () => {
    const huge = { ...orderPlaced(), metadata: { note: 'x'.repeat(400 * 1024) } };
    expect(() => appendPut('events', 'order-1', 1, huge)).toThrow(InvalidEventError);
  });
});

describe('recordFact', () => {
  it('appends at the version after the current one, in one transaction with the caller writes', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});
    await expect(
      recordFact(ddb, { eventStoreTable: 'events', aggregateId: 'order-1', event: orderPlaced(), writes: [ownWrite] }),
    ).resolves.toEqual({ version: 5 });
    const items = ddbMock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items).toHaveLength(2);
    expect(items[1].Put?.Item?.version).toBe(5);
  });

  it('reports a failed condition on the caller writes with its index', async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None']));
    const error = await recordFact(ddb, {
      eventStoreTable: 'events',
      aggregateId: 'order-1',
      event: orderPlaced(),
      writes: [ownWrite],
    }).catch((e) => e);
    expect(error).toBeInstanceOf(WriteConditionFailedError);
    expect(error.failedIndexes).toEqual([0]);
  });

  it('retries a lost version race, then gives up with a ConcurrencyError naming the aggregate and version', async () => {
    ddbMock.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    const error = await recordFact(ddb, {
      eventStoreTable: 'events',
      aggregateId: 'order-1',
      event: orderPlaced(),
      writes: [ownWrite],
      maxAttempts: 3,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error.message).toBe('Aggregate order-1 is no longer at version 4; another writer appended first');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('succeeds on a retry after a lost race', async () => {
    ddbMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'ConditionalCheckFailed']))
      .resolves({});
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ version: 4 }] })
      .resolves({ Items: [{ version: 5 }] });
    await expect(
      recordFact(ddb, { eventStoreTable: 'events', aggregateId: 'order-1', event: orderPlaced(), writes: [ownWrite] }),
    ).resolves.toEqual({ version: 6 });
  });
});
