import { ORDER_SERVICE_SOURCE } from '../../lambdas/contracts/events';
import { type Envelope, newEvent } from '../../lambdas/messages/envelope';
import { orderPlaced } from './events';

/**
 * A refunded order's life, one event per minute from `start`: placed,
 * reserved, charged, shipment rejected, refunded, released, cancelled.
 */
export function refundedOrderEvents(orderId = 'order-1', start = new Date('2026-01-01T00:00:00.000Z')): Envelope[] {
  const at = (minute: number) => new Date(start.getTime() + minute * 60_000);
  const placed = { ...orderPlaced({ orderId }), time: at(0).toISOString() };
  const items = placed.data.items;
  const next = <K extends Parameters<typeof newEvent>[0]['type']>(
    minute: number,
    type: K,
    data: Parameters<typeof newEvent<K>>[0]['data'],
  ) => newEvent({ type, source: ORDER_SERVICE_SOURCE, data, causedBy: placed, now: at(minute) });
  return [
    placed,
    next(1, 'InventoryReserved', { orderId, items }),
    next(2, 'PaymentCharged', { orderId, paymentId: 'pay-1', amount: placed.data.total }),
    next(3, 'ShipmentRejected', { orderId, reason: 'UNSERVICEABLE' }),
    next(4, 'PaymentRefunded', { orderId, paymentId: 'pay-1', amount: placed.data.total }),
    next(5, 'InventoryReleased', { orderId, items }),
    next(6, 'OrderCancelled', {
      orderId,
      customerId: placed.data.customerId,
      total: placed.data.total,
      reason: 'SHIPMENT_REJECTED',
    }),
  ];
}
