import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../lambdas/contracts/errors';
import { ORDER_SERVICE_SOURCE } from '../../../lambdas/contracts/events';
import { newEvent, PUT_EVENTS_LIMIT_BYTES, parseEnvelope } from '../../../lambdas/messages/envelope';
import { SCHEMA_VERSIONS } from '../../../lambdas/messages/schemas';
import { orderPlaced } from '../../support/events';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof InvalidEventError ? error.reason : `not InvalidEventError: ${String(error)}`;
  }
  return undefined;
}

describe('parseEnvelope', () => {
  it('round-trips a valid event from its JSON', () => {
    const event = orderPlaced();
    expect(parseEnvelope(JSON.stringify(event))).toEqual(event);
  });

  it('refuses malformed JSON as MALFORMED_JSON', () => {
    expect(reasonOf(() => parseEnvelope('{"id": '))).toBe('MALFORMED_JSON');
  });

  it('refuses an envelope without an id as SCHEMA_VIOLATION', () => {
    const { id: _id, ...withoutId } = orderPlaced();
    expect(reasonOf(() => parseEnvelope(withoutId))).toBe('SCHEMA_VIOLATION');
  });

  it('refuses data that breaks the event schema as SCHEMA_VIOLATION, naming the field', () => {
    const event = { ...orderPlaced(), data: { ...orderPlaced().data, items: [] } };
    expect(() => parseEnvelope(event)).toThrow(/items/);
    expect(reasonOf(() => parseEnvelope(event))).toBe('SCHEMA_VIOLATION');
  });

  it('refuses an unknown type as UNKNOWN_TYPE', () => {
    expect(reasonOf(() => parseEnvelope({ ...orderPlaced(), type: 'OrderTeleported' }))).toBe('UNKNOWN_TYPE');
  });

  it('refuses a newer envelope version as UNSUPPORTED_VERSION', () => {
    expect(reasonOf(() => parseEnvelope({ ...orderPlaced(), version: SCHEMA_VERSIONS.OrderPlaced + 1 }))).toBe(
      'UNSUPPORTED_VERSION',
    );
  });

  it('refuses a body over the size limit as OVERSIZED before parsing it', () => {
    expect(reasonOf(() => parseEnvelope(`"${'x'.repeat(PUT_EVENTS_LIMIT_BYTES)}"`))).toBe('OVERSIZED');
  });
});

describe('newEvent', () => {
  it('inherits the correlation id and sets the causation id from the causing event', () => {
    const cause = orderPlaced();
    const event = newEvent({
      type: 'PaymentDeclined',
      source: ORDER_SERVICE_SOURCE,
      data: { orderId: 'order-1', reason: 'CARD_DECLINED' },
      causedBy: cause,
    });
    expect(event.correlationId).toBe(cause.correlationId);
    expect(event.causationId).toBe(cause.id);
    expect(event.id).not.toBe(cause.id);
  });

  it('refuses an order whose total does not match its items', () => {
    expect(() => orderPlaced({ items: [{ sku: 'A', quantity: 1, unitPrice: 10 }], total: 11 })).toThrow(/total/);
  });
});
