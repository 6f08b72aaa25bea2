import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SagaTaskInput } from '../../../../lambdas/contracts/saga';
import { bootstrapSagaService } from '../../../../lambdas/runtime/saga/bootstrap';
import { orderPlaced } from '../../../support/events';

const ENVIRONMENT = {
  EVENT_STORE_TABLE_NAME: 'events',
  SNAPSHOT_TABLE_NAME: 'snapshots',
  SNAPSHOT_EVERY: '0',
  ORDER_SERVICE_TABLE_NAME: 'state',
  IDEMPOTENCY_TABLE_NAME: 'idempotency',
};
const context = { getRemainingTimeInMillis: () => 10_000, functionName: 'svc', awsRequestId: 'r' } as Context;

describe('bootstrapSagaService result cache', () => {
  const dynamo = mockClient(DynamoDBClient);
  beforeAll(() => {
    for (const [name, value] of Object.entries(ENVIRONMENT)) vi.stubEnv(name, value);
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    dynamo.restore();
  });

  const task = (phase: 'action' | 'compensation'): SagaTaskInput<unknown> => ({
    step: 'Charge',
    phase,
    input: orderPlaced({ orderId: 'o-1' }),
    executionId: 'exec-1',
  });

  it('records an action in the idempotency table, and runs a compensation afresh every time without it', async () => {
    const action = vi.fn(async () => ({ ok: true as const }));
    const compensation = vi.fn(async () => ({ ok: true as const, detail: { refunded: false } }));
    const handler = bootstrapSagaService('test-service', { Charge: { action, compensation } });

    await handler(task('action'), context);
    expect(action).toHaveBeenCalledOnce();
    const idempotencyWrites = () =>
      dynamo.commandCalls(PutItemCommand).filter((c) => c.args[0].input.TableName === 'idempotency').length;
    expect(idempotencyWrites()).toBe(1);

    // A re-run of the same execution asks for the same compensation again: it must look at the state again,
    // not replay an earlier "nothing to undo".
    await handler(task('compensation'), context);
    await handler(task('compensation'), context);
    expect(compensation).toHaveBeenCalledTimes(2);
    expect(idempotencyWrites()).toBe(1);
  });
});
