import { randomUUID } from 'node:crypto';
import { ORDER_SERVICE_SOURCE } from '../contracts/events';
import { keys } from '../contracts/keys';
import { UNSERVICEABLE_COUNTRIES } from '../contracts/order-rules';
import { newEvent } from '../messages/envelope';
import type { SagaDeps, SagaOperation } from '../runtime/saga/operation';
import { getRecord, putIfAbsent, recordStep, transitionStatus } from '../runtime/saga/service-records';

interface ShipmentRecord {
  shipmentId: string;
  status: 'ARRANGED' | 'REJECTED' | 'CANCELLED';
  reason?: string;
}

/** The stand-in carrier's answer for a destination. */
export function quoteShipment(country: string): { serviceable: true } | { serviceable: false; reason: string } {
  return UNSERVICEABLE_COUNTRIES.includes(country)
    ? { serviceable: false, reason: `UNSERVICEABLE_DESTINATION: ${country}` }
    : { serviceable: true };
}

/**
 * ArrangeShipment: records one shipment per order (ARRANGED, or REJECTED for a
 * destination the carrier cannot serve) with its event, guarded by "no
 * shipment yet", so a retry finds the first answer instead of booking twice.
 */
export const arrangeShipment: SagaOperation = async ({ order }, deps) => {
  const { orderId, shipToCountry } = order.data;
  const existing = await getShipment(orderId, deps);
  if (existing) return resultOf(existing);

  const quote = quoteShipment(shipToCountry);
  const shipment: ShipmentRecord = quote.serviceable
    ? { shipmentId: randomUUID(), status: 'ARRANGED' }
    : { shipmentId: randomUUID(), status: 'REJECTED', reason: quote.reason };
  const event = quote.serviceable
    ? newEvent({
        type: 'ShipmentArranged',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, shipmentId: shipment.shipmentId },
        causedBy: order,
        now: deps.now(),
      })
    : newEvent({
        type: 'ShipmentRejected',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, reason: quote.reason },
        causedBy: order,
        now: deps.now(),
      });
  const outcome = await recordStep(deps, orderId, event, [
    putIfAbsent(deps.orderServiceTable, { ...keys.shipment(orderId), ...shipment, at: deps.now().toISOString() }),
  ]);
  return resultOf(outcome.recorded ? shipment : ((await getShipment(orderId, deps)) ?? shipment));
};

/** CancelShipment (compensation): ARRANGED → CANCELLED once; a rejected or missing shipment needs nothing. */
export const cancelShipment: SagaOperation = async ({ order }, deps) => {
  const { orderId } = order.data;
  const shipment = await getShipment(orderId, deps);
  if (shipment?.status !== 'ARRANGED') return { ok: true, detail: { cancelled: false } };
  await recordStep(
    deps,
    orderId,
    newEvent({
      type: 'ShipmentCancelled',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId, shipmentId: shipment.shipmentId },
      causedBy: order,
      now: deps.now(),
    }),
    [transitionStatus(deps.orderServiceTable, keys.shipment(orderId), 'ARRANGED', 'CANCELLED', deps.now())],
  );
  return { ok: true, detail: { cancelled: true } };
};

function resultOf(shipment: ShipmentRecord) {
  return shipment.status === 'REJECTED'
    ? { ok: false as const, reason: shipment.reason ?? 'SHIPMENT_REJECTED' }
    : { ok: true as const, detail: { shipmentId: shipment.shipmentId } };
}

const getShipment = (orderId: string, deps: SagaDeps) => getRecord<ShipmentRecord>(deps, keys.shipment(orderId));
