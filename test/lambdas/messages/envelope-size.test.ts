import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../lambdas/contracts/errors';
import {
  assertEventFits,
  checkedPutEventsEntry,
  type Envelope,
  EVENT_HEADROOM_BYTES,
  eventEntryBytes,
  MAX_EVENT_BYTES,
  PUT_EVENTS_LIMIT_BYTES,
  putEventsEntry,
  putEventsEntryBytes,
} from '../../../lambdas/messages/envelope';
import { orderPlaced } from '../../support/events';

/** `event` with a metadata note that makes its PutEvents entry exactly `bytes` long. */
function eventOfEntrySize(bytes: number, event: Envelope = orderPlaced()): Envelope {
  const bare = { ...event, metadata: { ...event.metadata, note: '' } };
  const note = 'x'.repeat(bytes - eventEntryBytes(bare));
  return { ...bare, metadata: { ...bare.metadata, note } };
}

function refusal(fn: () => unknown): InvalidEventError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('expected an InvalidEventError, got no error');
}

describe('putEventsEntryBytes (EventBridge entry size, as AWS documents it)', () => {
  it('adds the UTF-8 bytes of Source, DetailType, Detail and each resource, and 14 bytes for Time', () => {
    const entry = {
      EventBusName: 'a-bus-name-that-does-not-count',
      Source: 'shop.orders', // 11
      DetailType: 'OrderPlaced', // 11
      Detail: '{"a":"é"}', // 9 characters, 10 bytes (é is 2 bytes in UTF-8)
      Resources: ['arn:x', 'arn:yy'], // 5 + 6
      Time: new Date('2026-01-01T00:00:00Z'), // 14
    };
    expect(putEventsEntryBytes(entry)).toBe(11 + 11 + 10 + 5 + 6 + 14);
  });

  it('counts nothing for Time, Detail or Resources when they are absent', () => {
    expect(putEventsEntryBytes({ Source: 's', DetailType: 'dt' })).toBe(3);
  });

  it('counts bytes, not characters', () => {
    const euro = putEventsEntryBytes({ Source: 's', DetailType: 't', Detail: '€'.repeat(100) });
    expect(euro).toBe(2 + 300);
  });
});

describe('the size rule of every event', () => {
  it('measures an event as the entry producers send: its JSON, source, type and time', () => {
    const event = orderPlaced();
    const entry = putEventsEntry(event, 'orders');
    expect(entry).toEqual({
      EventBusName: 'orders',
      Source: event.source,
      DetailType: event.type,
      Detail: JSON.stringify(event),
      Time: new Date(event.time),
    });
    expect(eventEntryBytes(event)).toBe(
      Buffer.byteLength(JSON.stringify(event)) + event.source.length + event.type.length + 14,
    );
  });

  it('keeps headroom under EventBridge’s limit for what later hops add', () => {
    expect(PUT_EVENTS_LIMIT_BYTES).toBe(262_144);
    expect(MAX_EVENT_BYTES).toBe(PUT_EVENTS_LIMIT_BYTES - EVENT_HEADROOM_BYTES);
    // The event store adds aggregateVersion, and the relay sends that stored form: it must still fit.
    const atLimit = eventOfEntrySize(MAX_EVENT_BYTES);
    const stored = { ...atLimit, metadata: { ...atLimit.metadata, aggregateVersion: Number.MAX_SAFE_INTEGER } };
    expect(eventEntryBytes(stored)).toBeLessThanOrEqual(PUT_EVENTS_LIMIT_BYTES);
  });

  it('accepts an event exactly at the limit and refuses one byte more, naming the event, its size and the limit', () => {
    const atLimit = eventOfEntrySize(MAX_EVENT_BYTES);
    expect(eventEntryBytes(atLimit)).toBe(MAX_EVENT_BYTES);
    expect(() => assertEventFits(atLimit)).not.toThrow();

    const over = eventOfEntrySize(MAX_EVENT_BYTES + 1);
    const error = refusal(() => assertEventFits(over));
    expect(error.reason).toBe('OVERSIZED');
    expect(error.message).toContain(
      `OrderPlaced event ${over.id} is ${MAX_EVENT_BYTES + 1} bytes as a PutEvents entry`,
    );
    expect(error.message).toContain(`the limit is ${MAX_EVENT_BYTES} bytes`);
    expect(error.message).toContain('Nothing was sent or written');
  });

  it('counts multi-byte characters at their UTF-8 size', () => {
    // Fewer characters than the limit, more bytes: refused.
    const event = orderPlaced();
    const wide = { ...event, metadata: { note: '€'.repeat(Math.ceil(MAX_EVENT_BYTES / 3)) } };
    expect(JSON.stringify(wide).length).toBeLessThan(MAX_EVENT_BYTES);
    expect(refusal(() => assertEventFits(wide)).reason).toBe('OVERSIZED');
  });

  it('is checked by newEvent, so an oversized event is never even built', () => {
    const error = refusal(() => orderPlaced({ paymentToken: `tok_${'x'.repeat(PUT_EVENTS_LIMIT_BYTES)}` }));
    expect(error.reason).toBe('OVERSIZED');
  });

  it('is checked by checkedPutEventsEntry, the entry producers send', () => {
    const fits = orderPlaced();
    expect(checkedPutEventsEntry(fits, 'orders')).toEqual(putEventsEntry(fits, 'orders'));
    // Built by hand, past newEvent: the producer's own check still refuses it before sending.
    const tooBig = { ...fits, data: { ...fits.data, paymentToken: `tok_${'x'.repeat(MAX_EVENT_BYTES)}` } };
    expect(refusal(() => checkedPutEventsEntry(tooBig, 'orders')).reason).toBe('OVERSIZED');
  });
});
