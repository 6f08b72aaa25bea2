import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../../../lambdas/contracts/keys';
import { unlessConfirmed, whilePending } from '../../../../lambdas/runtime/saga/guards';
import type { SagaDeps, SagaOperationInput } from '../../../../lambdas/runtime/saga/operation';
import { orderPlaced } from '../../../support/events';

const ddbMock = mockClient(DynamoDBDocumentClient);
const deps: SagaDeps = {
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  eventStore: { eventTable: 'events' },
  orderServiceTable: 'state',
  now: () => new Date(0),
};
const input: SagaOperationInput = { order: orderPlaced({ orderId: 'o-1' }), executionId: 'exec-1' };

/** The order record as the order service would have it (`undefined`: never accepted). */
function orderIs(status: string | undefined) {
  ddbMock
    .on(GetCommand, { TableName: 'state', Key: keys.order('o-1') })
    .resolves({ Item: status ? { ...keys.order('o-1'), status, sagaExecutionId: 'exec-1' } : undefined });
}

describe('saga guards (a re-run of the same execution meets a finished order)', () => {
  beforeEach(() => {
    ddbMock.reset();
  });

  it('runs an action while the order is PENDING', async () => {
    orderIs('PENDING');
    const action = vi.fn(async () => ({ ok: true as const }));
    await expect(whilePending(action)(input, deps)).resolves.toEqual({ ok: true });
    expect(action).toHaveBeenCalledOnce();
  });

  it('stops a run without compensating when the order is already confirmed', async () => {
    orderIs('CONFIRMED');
    const action = vi.fn(async () => ({ ok: true as const }));
    await expect(whilePending(action)(input, deps)).resolves.toEqual({
      ok: false,
      reason: 'ORDER_ALREADY_CONFIRMED',
      compensate: false,
    });
    expect(action).not.toHaveBeenCalled();
  });

  it('refuses to act on a cancelled or never accepted order, so the run compensates its own late effects', async () => {
    const action = vi.fn(async () => ({ ok: true as const }));
    orderIs('CANCELLED');
    await expect(whilePending(action)(input, deps)).resolves.toEqual({ ok: false, reason: 'ORDER_ALREADY_CANCELLED' });
    orderIs(undefined);
    await expect(whilePending(action)(input, deps)).resolves.toEqual({ ok: false, reason: 'ORDER_NOT_ACCEPTED' });
    expect(action).not.toHaveBeenCalled();
  });

  it('runs a compensation on a pending or cancelled order, every time it is asked', async () => {
    const compensation = vi.fn(async () => ({ ok: true as const, detail: { released: true } }));
    orderIs('PENDING');
    await unlessConfirmed(compensation)(input, deps);
    orderIs('CANCELLED');
    await unlessConfirmed(compensation)(input, deps);
    expect(compensation).toHaveBeenCalledTimes(2);
  });

  it('refuses to undo a step of a confirmed order (the execution fails and is alarmed)', async () => {
    orderIs('CONFIRMED');
    const compensation = vi.fn(async () => ({ ok: true as const }));
    await expect(unlessConfirmed(compensation)(input, deps)).rejects.toThrow(
      'Order o-1 is already confirmed; its steps are not undone by compensation',
    );
    expect(compensation).not.toHaveBeenCalled();
  });
});
