import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { newEvent, ORDER_SERVICE_SOURCE } from '../shared/envelope';
import { recordFact, WriteConditionFailedError } from '../shared/event-store';
import { keys } from '../shared/keys';
import type { SagaDeps, SagaOperation } from '../shared/saga-service';
import { DECLINED_PAYMENT_TOKEN } from '../shared/schemas';

export type PaymentStatus = 'CHARGED' | 'DECLINED' | 'REFUNDED';

/**
 * The stand-in payment provider: deterministic so tests and the demo can reach
 * the decline path. A real integration would call the provider here with the
 * order id as its idempotency key.
 */
export function authorize(paymentToken: string): { approved: true } | { approved: false; reason: string } {
  return paymentToken === DECLINED_PAYMENT_TOKEN ? { approved: false, reason: 'CARD_DECLINED' } : { approved: true };
}

/**
 * ChargePayment: records the payment (CHARGED or DECLINED) and its event in one
 * transaction, guarded by "no payment for this order yet", so a retry never
 * charges twice and a decline stays a decline.
 */
export const chargePayment: SagaOperation = async ({ order }, deps) => {
  const { orderId, total, paymentToken } = order.data;
  const existing = await getPayment(orderId, deps);
  if (existing) return resultOf(existing);

  const decision = authorize(paymentToken);
  const paymentId = randomUUID();
  const status: PaymentStatus = decision.approved ? 'CHARGED' : 'DECLINED';
  const event = decision.approved
    ? newEvent({
        type: 'PaymentCharged',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, paymentId, amount: total },
        causedBy: order,
        now: deps.now(),
      })
    : newEvent({
        type: 'PaymentDeclined',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, reason: decision.reason },
        causedBy: order,
        now: deps.now(),
      });
  try {
    await recordFact(deps.ddb, {
      eventStoreTable: deps.eventStoreTable,
      aggregateId: orderId,
      event,
      writes: [
        {
          Put: {
            TableName: deps.orderServiceTable,
            Item: {
              ...keys.payment(orderId),
              paymentId,
              amount: total,
              status,
              ...(decision.approved ? {} : { reason: decision.reason }),
              at: deps.now().toISOString(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    });
  } catch (error) {
    if (!(error instanceof WriteConditionFailedError)) throw error;
    const winner = await getPayment(orderId, deps);
    if (winner) return resultOf(winner);
    throw error;
  }
  return decision.approved ? { ok: true, detail: { paymentId } } : { ok: false, reason: decision.reason };
};

/** RefundPayment (compensation): CHARGED → REFUNDED once; nothing charged, nothing to refund. */
export const refundPayment: SagaOperation = async ({ order }, deps) => {
  const { orderId } = order.data;
  const payment = await getPayment(orderId, deps);
  if (payment?.status !== 'CHARGED') return { ok: true, detail: { refunded: false } };
  try {
    await recordFact(deps.ddb, {
      eventStoreTable: deps.eventStoreTable,
      aggregateId: orderId,
      event: newEvent({
        type: 'PaymentRefunded',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, paymentId: payment.paymentId, amount: payment.amount },
        causedBy: order,
        now: deps.now(),
      }),
      writes: [
        {
          Update: {
            TableName: deps.orderServiceTable,
            Key: keys.payment(orderId),
            UpdateExpression: 'SET #status = :refunded, refundedAt = :now',
            ConditionExpression: '#status = :charged',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':refunded': 'REFUNDED',
              ':charged': 'CHARGED',
              ':now': deps.now().toISOString(),
            },
          },
        },
      ],
    });
  } catch (error) {
    if (!(error instanceof WriteConditionFailedError)) throw error;
  }
  return { ok: true, detail: { refunded: true } };
};

interface PaymentRecord {
  paymentId: string;
  amount: number;
  status: PaymentStatus;
  reason?: string;
}

function resultOf(payment: PaymentRecord) {
  return payment.status === 'DECLINED'
    ? { ok: false as const, reason: payment.reason ?? 'CARD_DECLINED' }
    : { ok: true as const, detail: { paymentId: payment.paymentId } };
}

async function getPayment(orderId: string, deps: SagaDeps): Promise<PaymentRecord | undefined> {
  const result = await deps.ddb.send(
    new GetCommand({ TableName: deps.orderServiceTable, Key: keys.payment(orderId), ConsistentRead: true }),
  );
  return result.Item as PaymentRecord | undefined;
}
