import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ProjectionGapError } from '../../../lambdas/contracts/errors';
import { ORDER_SERVICE_SOURCE } from '../../../lambdas/contracts/events';
import { newEvent } from '../../../lambdas/messages/envelope';
import { applyEvent } from '../../../lambdas/projector/order-summary';
import { projectBatch, projectRecord } from '../../../lambdas/projector/project';
import { orderPlaced, storedEventRecord } from '../../support/events';

const ddbMock = mockClient(DynamoDBDocumentClient);
const deps = {
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  readModelTable: 'orders',
  customerStatsTable: 'customers',
};
const confirmed = newEvent({
  type: 'OrderConfirmed',
  source: ORDER_SERVICE_SOURCE,
  data: { orderId: 'order-1', customerId: 'c', total: 60 },
});

beforeEach(() => {
  ddbMock.reset();
  ddbMock.on(TransactWriteCommand).resolves({});
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

  it('keeps an order NEEDS_ATTENTION while the compensations after the failed one still arrive', () => {
    const needsAttention = newEvent({
      type: 'OrderNeedsAttention',
      source: ORDER_SERVICE_SOURCE,
      data: {
        orderId: 'order-1',
        customerId: 'c',
        total: 60,
        step: 'ChargePayment',
        reason: 'Error: refund provider down',
        sagaFailure: 'ArrangeShipment: UNSERVICEABLE_DESTINATION: AQ',
      },
    });
    const released = newEvent({
      type: 'InventoryReleased',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId: 'order-1', items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 30 }] },
    });
    const summary = applyEvent(applyEvent(applyEvent(undefined, orderPlaced(), 1), needsAttention, 2), released, 3);
    expect(summary).toMatchObject({
      status: 'NEEDS_ATTENTION',
      attentionReason: 'ChargePayment: Error: refund provider down',
      lastVersion: 3,
      history: ['OrderPlaced', 'OrderNeedsAttention', 'InventoryReleased'],
    });
  });
});

describe('applyEvent: order-id conflicts', () => {
  it('lists each refused OrderPlaced beside the accepted order, whose status and total stay as they were', () => {
    const conflict = (rejectedEventId: string, total: number) =>
      newEvent({
        type: 'OrderConflictRejected',
        source: ORDER_SERVICE_SOURCE,
        data: {
          orderId: 'order-1',
          acceptedFingerprint: 'sha256:aaa',
          rejectedFingerprint: `sha256:${rejectedEventId}`,
          rejectedEventId,
          rejectedExecutionId: `exec-${rejectedEventId}`,
          customerId: 'customer-1',
          total,
        },
        now: new Date('2030-01-01T00:00:00.000Z'),
      });
    const accepted = applyEvent(applyEvent(undefined, orderPlaced(), 1), confirmed, 2);
    const summary = applyEvent(applyEvent(accepted, conflict('e-2', 20), 3), conflict('e-3', 30), 4);
    expect(summary).toMatchObject({ status: 'CONFIRMED', total: 60, lastVersion: 4 });
    expect(summary.conflicts).toEqual([
      {
        rejectedEventId: 'e-2',
        rejectedFingerprint: 'sha256:e-2',
        acceptedFingerprint: 'sha256:aaa',
        customerId: 'customer-1',
        total: 20,
        rejectedAt: '2030-01-01T00:00:00.000Z',
      },
      expect.objectContaining({ rejectedEventId: 'e-3', total: 30 }),
    ]);
  });
});

describe('projectRecord', () => {
  it('applies the next version with a write conditional on the last one', async () => {
    ddbMock.on(GetCommand).resolves({ Item: applyEvent(undefined, orderPlaced(), 1) });
    await expect(projectRecord(storedEventRecord(confirmed, 2), deps)).resolves.toBe('applied');
    const [put, stats] = ddbMock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(put.Put?.ConditionExpression).toBe('lastVersion = :last');
    expect(put.Put?.ExpressionAttributeValues).toEqual({ ':last': 1 });
    // The customer's statistics move in the same transaction: counted in both read models or in neither.
    expect(stats.Update).toMatchObject({
      TableName: 'customers',
      Key: { customerId: 'customer-1' },
      ExpressionAttributeValues: {
        ':ordersPlaced': 0,
        ':ordersConfirmed': 1,
        ':ordersCancelled': 0,
        ':confirmedValueCents': 6000,
      },
    });
    expect(stats.Update?.UpdateExpression).toMatch(/^ADD /);
  });

  it('creates the summary of a new order and counts it as placed for its customer', async () => {
    ddbMock.on(GetCommand).resolves({});
    await expect(projectRecord(storedEventRecord(orderPlaced(), 1), deps)).resolves.toBe('applied');
    const [put, stats] = ddbMock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(put.Put?.ConditionExpression).toBe('attribute_not_exists(orderId)');
    expect(put.Put?.Item).toMatchObject({ orderId: 'order-1', customerId: 'customer-1', lastVersion: 1 });
    expect(put.Put?.Item?.placedAt).toEqual(expect.any(String));
    expect(stats.Update?.ExpressionAttributeValues).toMatchObject({ ':ordersPlaced': 1, ':ordersConfirmed': 0 });
  });

  it('leaves the customer statistics alone for an event that changes no counter', async () => {
    ddbMock.on(GetCommand).resolves({ Item: applyEvent(undefined, orderPlaced(), 1) });
    const reserved = newEvent({
      type: 'InventoryReserved',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId: 'order-1', items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 30 }] },
    });
    await projectRecord(storedEventRecord(reserved, 2), deps);
    expect(ddbMock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems).toHaveLength(1);
  });

  it('skips a version it has already applied', async () => {
    ddbMock.on(GetCommand).resolves({ Item: applyEvent(undefined, orderPlaced(), 1) });
    await expect(projectRecord(storedEventRecord(orderPlaced(), 1), deps)).resolves.toBe('duplicate');
    expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('refuses to apply across a gap', async () => {
    ddbMock.on(GetCommand).resolves({});
    await expect(projectRecord(storedEventRecord(confirmed, 3), deps)).rejects.toBeInstanceOf(ProjectionGapError);
  });

  it('reports the record at the gap so the batch is retried from there', async () => {
    ddbMock.on(GetCommand).resolves({});
    const { response, failure, counts } = await projectBatch(
      [storedEventRecord(orderPlaced(), 1, '1'), storedEventRecord(confirmed, 3, '3')],
      deps,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '3' }]);
    expect(failure?.error).toBeInstanceOf(ProjectionGapError);
    expect(counts).toEqual({ applied: 1, duplicate: 0, ignored: 0 });
  });
});
