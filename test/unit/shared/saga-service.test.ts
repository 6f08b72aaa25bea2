import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { failureReason } from '../../../lambdas/shared/saga-contract';
import { dispatchSagaTask, type SagaDeps } from '../../../lambdas/shared/saga-service';
import { orderPlaced } from '../../support/events';

const deps: SagaDeps = {
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  eventStore: { eventTable: 'events' },
  orderServiceTable: 'state',
  now: () => new Date(0),
};
const operations = {
  Charge: {
    action: async () => ({ ok: true as const, detail: { ran: 'action' } }),
    compensation: async () => ({ ok: true as const, detail: { ran: 'compensation' } }),
  },
};

describe('dispatchSagaTask', () => {
  it('runs the operation for the step and phase', async () => {
    await expect(
      dispatchSagaTask(
        { step: 'Charge', phase: 'compensation', input: orderPlaced(), executionId: 'exec-1' },
        operations,
        deps,
      ),
    ).resolves.toEqual({
      ok: true,
      detail: { ran: 'compensation' },
    });
  });

  it('rejects an invalid order as a business outcome, so the saga compensates instead of retrying', async () => {
    const result = await dispatchSagaTask(
      { step: 'Charge', phase: 'action', input: { id: 'x' }, executionId: 'exec-1' },
      operations,
      deps,
    );
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.reason).toMatch(/^INVALID_ORDER/);
  });

  it('treats a compensation for an invalid order as a no-op', async () => {
    await expect(
      dispatchSagaTask(
        { step: 'Charge', phase: 'compensation', input: 'garbage', executionId: 'exec-1' },
        operations,
        deps,
      ),
    ).resolves.toMatchObject({ ok: true });
  });

  it('throws for a step the service does not offer (a wiring fault, not a business outcome)', async () => {
    await expect(
      dispatchSagaTask(
        { step: 'Ship', phase: 'action', input: orderPlaced(), executionId: 'exec-1' },
        operations,
        deps,
      ),
    ).rejects.toThrow('No action for step "Ship" in this service');
  });
});

describe('failureReason', () => {
  it('names the step and reason of a business rejection', () => {
    expect(failureReason({ step: 'ChargePayment', reason: 'CARD_DECLINED' })).toBe('ChargePayment: CARD_DECLINED');
  });

  it('falls back to the Step Functions error of a technical fault', () => {
    expect(failureReason({ Error: 'States.Timeout', Cause: 'took too long' })).toBe('States.Timeout: took too long');
  });
});
