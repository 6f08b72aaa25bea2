import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyEvent } from '../../../lambdas/projector/order-summary';
import { ProjectionGapError, projectBatch, projectRecord } from '../../../lambdas/projector/project';
import { newEvent, ORDER_SERVICE_SOURCE } from '../../../lambdas/shared/envelope';
import { orderPlaced, storedEventRecord } from '../../support/events';

const ddbMock = mockClient(DynamoDBDocumentClient);
const deps = {
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  readModelTable: 'orders',
};
const confirmed = newEvent({
  type: 'OrderConfirmed',
  source: ORDER_SERVICE_SOURCE,
  data: { orderId: 'order-1', customerId: 'c', total: 60 },
});

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(PutCommand).resolves({});
});

describe('applyEvent', () => {
  it('folds an order from placed to confirmed', () => {
    const placed = applyEvent(undefined, orderPlaced(), 1);
    const done = applyEvent(placed, confirmed, 2);
    expect(done).toMatchObject({
      orderId: 'order-1',
      status: 'CONFIRMED',
      total: 60,
      lastVersion: 2,
      history: ['OrderPlaced', 'OrderConfirmed'],
    });
  });
});

describe('projectRecord', () => {
  it('applies the next version with a write conditional on the last one', async () => {
    ddbMock.on(GetCommand).resolves({ Item: applyEvent(undefined, orderPlaced(), 1) });
    await expect(projectRecord(storedEventRecord(confirmed, 2), deps)).resolves.toBe('applied');
    const put = ddbMock.commandCalls(PutCommand)[0].args[0].input;
    expect(put.ConditionExpression).toBe('lastVersion = :last');
    expect(put.ExpressionAttributeValues).toEqual({ ':last': 1 });
  });

  it('skips a version it has already applied', async () => {
    ddbMock.on(GetCommand).resolves({ Item: applyEvent(undefined, orderPlaced(), 1) });
    await expect(projectRecord(storedEventRecord(orderPlaced(), 1), deps)).resolves.toBe('duplicate');
    expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('refuses to apply across a gap', async () => {
    ddbMock.on(GetCommand).resolves({});
    await expect(projectRecord(storedEventRecord(confirmed, 3), deps)).rejects.toBeInstanceOf(ProjectionGapError);
  });

  it('reports the record at the gap so the batch is retried from there', async () => {
    ddbMock.on(GetCommand).resolves({});
    const { response, error } = await projectBatch([storedEventRecord(confirmed, 3)], deps);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '3' }]);
    expect(error).toBeInstanceOf(ProjectionGapError);
  });
});
