import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { newEvent, ORDER_SERVICE_SOURCE } from '../shared/envelope';
import { recordFact, WriteConditionFailedError } from '../shared/event-store';
import { keys } from '../shared/keys';
import type { SagaDeps, SagaOperation } from '../shared/saga-service';
import { UNSERVICEABLE_COUNTRIES } from '../shared/schemas';

type ShipmentRecord = { shipmentId?: string; status: 'ARRANGED' | 'REJECTED' | 'CANCELLED'; reason?: string };

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
    : { status: 'REJECTED', reason: quote.reason };
  const event = quote.serviceable
    ? newEvent({
        type: 'ShipmentArranged',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, shipmentId: shipment.shipmentId! },
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
  try {
    await recordFact(deps.ddb, {
      eventStoreTable: deps.eventStoreTable,
      aggregateId: orderId,
      event,
      writes: [
        {
          Put: {
            TableName: deps.orderServiceTable,
            Item: { ...keys.shipment(orderId), ...shipment, at: deps.now().toISOString() },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    });
  } catch (error) {
    if (!(error instanceof WriteConditionFailedError)) throw error;
    const winner = await getShipment(orderId, deps);
    if (winner) return resultOf(winner);
    throw error;
  }
  return resultOf(shipment);
};

/** CancelShipment (compensation): ARRANGED → CANCELLED once; a rejected or missing shipment needs nothing. */
export const cancelShipment: SagaOperation = async ({ order }, deps) => {
  const { orderId } = order.data;
  const shipment = await getShipment(orderId, deps);
  if (shipment?.status !== 'ARRANGED') return { ok: true, detail: { cancelled: false } };
  try {
    await recordFact(deps.ddb, {
      eventStoreTable: deps.eventStoreTable,
      aggregateId: orderId,
      event: newEvent({
        type: 'ShipmentCancelled',
        source: ORDER_SERVICE_SOURCE,
        data: { orderId, shipmentId: shipment.shipmentId! },
        causedBy: order,
        now: deps.now(),
      }),
      writes: [
        {
          Update: {
            TableName: deps.orderServiceTable,
            Key: keys.shipment(orderId),
            UpdateExpression: 'SET #status = :cancelled, cancelledAt = :now',
            ConditionExpression: '#status = :arranged',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':cancelled': 'CANCELLED',
              ':arranged': 'ARRANGED',
              ':now': deps.now().toISOString(),
            },
          },
        },
      ],
    });
  } catch (error) {
    if (!(error instanceof WriteConditionFailedError)) throw error;
  }
  return { ok: true, detail: { cancelled: true } };
};

function resultOf(shipment: ShipmentRecord) {
  return shipment.status === 'REJECTED'
    ? { ok: false as const, reason: shipment.reason ?? 'SHIPMENT_REJECTED' }
    : { ok: true as const, detail: { shipmentId: shipment.shipmentId } };
}

async function getShipment(orderId: string, deps: SagaDeps): Promise<ShipmentRecord | undefined> {
  const result = await deps.ddb.send(
    new GetCommand({ TableName: deps.orderServiceTable, Key: keys.shipment(orderId), ConsistentRead: true }),
  );
  return result.Item as ShipmentRecord | undefined;
}
