import { randomUUID } from 'node:crypto';
import { ORDER_SERVICE_SOURCE } from '../contracts/events';
import { keys } from '../contracts/keys';
import { DECLINED_PAYMENT_TOKEN } from '../contracts/order-rules';
import { newEvent } from '../messages/envelope';
import type { SagaDeps, SagaOperation } from '../runtime/saga/operation';
import { getRecord, putIfAbsent, recordStep, transitionStatus } from '../runtime/saga/service-records';

export type PaymentStatus = 'CHARGED' | 'DECLINED' | 'REFUNDED';
interface PaymentRecord {
  paymentId: string;
  amount: number;
  status: PaymentStatus;
  reason?: string;
}

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
  const payment: PaymentRecord = decision.approved
    ? { paymentId: randomUUID(), amount: total, status: 'CHARGED' }
    : { paymentId: randomUUID(), amount: total, status: 'DECLINED', reason: decision.reason };
  const event = decision.approved
    ? newEvent({
        type: 'PaymentCharged',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, paymentId: payment.paymentId, amount: total },
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
  const outcome = await recordStep(deps, orderId, event, [
    putIfAbsent(deps.orderServiceTable, { ...keys.payment(orderId), ...payment, at: deps.now().toISOString() }),
  ]);
  // Lost the race to a concurrent attempt: its payment stands.
  return resultOf(outcome.recorded ? payment : ((await getPayment(orderId, deps)) ?? payment));
};

/** RefundPayment (compensation): CHARGED → REFUNDED once; nothing charged, nothing to refund. */
export const refundPayment: SagaOperation = async ({ order }, deps) => {
  const { orderId } = order.data;
  const payment = await getPayment(orderId, deps);
  if (payment?.status !== 'CHARGED') return { ok: true, detail: { refunded: false } };
  await recordStep(
    deps,
    orderId,
    newEvent({
      type: 'PaymentRefunded',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId, paymentId: payment.paymentId, amount: payment.amount },
      causedBy: order,
      now: deps.now(),
    }),
    [transitionStatus(deps.orderServiceTable, keys.payment(orderId), 'CHARGED', 'REFUNDED', deps.now())],
  );
  return { ok: true, detail: { refunded: true } };
};

function resultOf(payment: PaymentRecord) {
  return payment.status === 'DECLINED'
    ? { ok: false as const, reason: payment.reason ?? 'CARD_DECLINED' }
    : { ok: true as const, detail: { paymentId: payment.paymentId } };
}

const getPayment = (orderId: string, deps: SagaDeps) => getRecord<PaymentRecord>(deps, keys.payment(orderId));
