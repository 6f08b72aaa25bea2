import { randomUUID } from 'node:crypto';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { InvalidEventError } from '../contracts/errors';
import type { EventType } from '../contracts/events';
import { EVENT_DATA_SCHEMAS, type EventDataOf, SCHEMA_VERSIONS } from './schemas';
import { upcastData } from './upcasters';

// zod/mini ships without messages: load the English ones, so a parked message's reason reads well.
z.config(en());

/**
 * The ceiling on one `PutEvents` entry, and on the entries of one request
 * together, counted as AWS documents it (see {@link putEventsEntryBytes}).
 * Every event crosses the bus, so this is the hard ceiling for any event.
 * 256 KiB is what EventBridge's entry-size page gives; the `PutEvents` API
 * reference (as of SDK 3.1169) says "less than 1MB", but SNS's default
 * `MaximumMessageSize` and Step Functions' state payload are still 256 KiB,
 * so 256 KiB stays the limit of the whole path.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 * @see https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html (`MaximumMessageSize`)
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
export const PUT_EVENTS_LIMIT_BYTES = 256 * 1024;

/**
 * Kept free under {@link PUT_EVENTS_LIMIT_BYTES} for what the hops after a
 * producer add around an event: the event store's `metadata.aggregateVersion`
 * (tens of bytes, and the relay puts the stored form back on the bus), and the
 * saga's Step Functions state, which holds an OrderPlaced beside its step
 * results under Step Functions' own 256 KiB payload limit (a few KiB). SNS
 * (256 KiB), SQS and the saga receive the envelope alone (every rule target
 * takes `$.detail`), which is smaller than its entry.
 */
export const EVENT_HEADROOM_BYTES = 16 * 1024;

/**
 * The size rule of every event, in one place: its `PutEvents` entry (as
 * {@link putEventsEntry} builds it) may be at most this many bytes. Producers
 * check it before they send ({@link assertEventFits}), and the event store
 * before it writes, so whatever is stored can be relayed and whatever is on
 * the bus fits every hop it takes after it.
 */
export const MAX_EVENT_BYTES = PUT_EVENTS_LIMIT_BYTES - EVENT_HEADROOM_BYTES;

/**
 * The envelope every event travels in, whatever the hop (EventBridge detail,
 * SNS message, SQS body, event-store item).
 *
 * - `id` is the idempotency key of every consumer: a redelivered or re-published
 *   event keeps its id, a new fact gets a new one.
 * - `correlationId` is the order's whole journey; `causationId` the event that
 *   directly caused this one.
 * - `version` is the schema version of this event type (SCHEMA_VERSIONS); an
 *   older one is upcast on read, a newer one refused.
 */
export const envelopeSchema = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  version: z.int().check(z.positive()),
  time: z.iso.datetime(),
  source: z.string().check(z.minLength(1)),
  correlationId: z.string().check(z.minLength(1)),
  causationId: z.optional(z.string().check(z.minLength(1))),
  data: z.unknown(),
  metadata: z._default(z.record(z.string(), z.unknown()), {}),
});

export type Envelope<T = unknown> = Omit<z.infer<typeof envelopeSchema>, 'data'> & { data: T };
export type TypedEnvelope<K extends EventType> = Envelope<EventDataOf<K>> & { type: K };

export interface NewEventInput<K extends EventType> {
  type: K;
  source: string;
  data: EventDataOf<K>;
  correlationId?: string;
  /** The event that caused this one; its correlation id is inherited when none is given. */
  causedBy?: Pick<Envelope, 'id' | 'correlationId'>;
  /** A deterministic id, for facts that must keep their identity across retries. */
  id?: string;
  metadata?: Record<string, unknown>;
  now?: Date;
}

/** Builds a validated envelope; throws if `data` does not match the catalogue. */
export function newEvent<K extends EventType>(input: NewEventInput<K>): TypedEnvelope<K> {
  const id = input.id ?? randomUUID();
  const envelope = {
    id,
    type: input.type,
    version: SCHEMA_VERSIONS[input.type],
    time: (input.now ?? new Date()).toISOString(),
    source: input.source,
    correlationId: input.correlationId ?? input.causedBy?.correlationId ?? id,
    ...(input.causedBy ? { causationId: input.causedBy.id } : {}),
    data: EVENT_DATA_SCHEMAS[input.type].parse(input.data),
    metadata: input.metadata ?? {},
  };
  assertEventFits(envelope);
  return envelope as TypedEnvelope<K>;
}

/**
 * The size of a `PutEvents` entry as EventBridge counts it against its limit:
 * the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each of `Resources`,
 * plus 14 bytes when `Time` is set. `EventBusName` does not count. (Written
 * here because no AWS SDK exposes the calculation; it follows AWS's documented
 * reference code line by line.)
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export function putEventsEntryBytes(
  entry: Pick<PutEventsRequestEntry, 'Time' | 'Source' | 'DetailType' | 'Detail' | 'Resources'>,
): number {
  const utf8 = (value: string | undefined) => (value === undefined ? 0 : Buffer.byteLength(value, 'utf8'));
  return (
    (entry.Time !== undefined ? 14 : 0) +
    utf8(entry.Source) +
    utf8(entry.DetailType) +
    utf8(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + utf8(resource), 0)
  );
}

/**
 * The `PutEvents` entry that carries an event: the envelope as `Detail`, its
 * type as `DetailType` (what rules match on), its source, and its own time.
 * Every producer (the checkout client, the relay) sends this one shape.
 */
export function putEventsEntry(envelope: Envelope, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: envelope.source,
    DetailType: envelope.type,
    Detail: JSON.stringify(envelope),
    Time: new Date(envelope.time),
  };
}

/** An event's size under the size rule: the bytes of its {@link putEventsEntry}. */
export function eventEntryBytes(envelope: Envelope): number {
  return putEventsEntryBytes(putEventsEntry(envelope, ''));
}

/**
 * Refuses an event whose `PutEvents` entry is over {@link MAX_EVENT_BYTES}, with
 * an `InvalidEventError` (`OVERSIZED`) that names the event, its size and the
 * limit. Call it before anything is sent or written, so nothing is half-done.
 */
export function assertEventFits(envelope: Envelope): void {
  const bytes = eventEntryBytes(envelope);
  if (bytes > MAX_EVENT_BYTES) {
    throw new InvalidEventError(
      `${envelope.type} event ${envelope.id} is ${bytes} bytes as a PutEvents entry; the limit is ${MAX_EVENT_BYTES} bytes ` +
        `(EventBridge's ${PUT_EVENTS_LIMIT_BYTES} less ${EVENT_HEADROOM_BYTES} kept for later hops). ` +
        'Nothing was sent or written; keep large content elsewhere (e.g. S3) and put its key in the event',
      'OVERSIZED',
    );
  }
}

/**
 * The entry a producer puts on the bus for `envelope`, after {@link assertEventFits}:
 * an oversized event is refused here, before any request is made.
 */
export function checkedPutEventsEntry(envelope: Envelope, eventBusName: string): PutEventsRequestEntry {
  assertEventFits(envelope);
  return putEventsEntry(envelope, eventBusName);
}

/**
 * Parses and validates an envelope from a string or an already-parsed value,
 * upcasting an event of an older schema version to the current one. Every
 * failure is an {@link InvalidEventError} naming what was wrong, so the caller
 * can park the message with that reason.
 */
export function parseEnvelope(raw: unknown): Envelope {
  let value = raw;
  if (typeof raw === 'string') {
    // No event that fits the bus is this big: refuse before parsing it.
    const bytes = Buffer.byteLength(raw, 'utf8');
    if (bytes > PUT_EVENTS_LIMIT_BYTES) {
      throw new InvalidEventError(
        `Body is ${bytes} bytes; no event over EventBridge's ${PUT_EVENTS_LIMIT_BYTES} bytes can be valid`,
        'OVERSIZED',
      );
    }
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw new InvalidEventError(`Body is not valid JSON: ${(cause as Error).message}`, 'MALFORMED_JSON', { cause });
    }
  }
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) {
    throw new InvalidEventError(`Envelope is invalid: ${z.prettifyError(envelope.error)}`, 'SCHEMA_VIOLATION');
  }
  if (!Object.hasOwn(EVENT_DATA_SCHEMAS, envelope.data.type)) {
    throw new InvalidEventError(`Unknown event type "${envelope.data.type}"`, 'UNKNOWN_TYPE');
  }
  const type = envelope.data.type as EventType;
  const current = SCHEMA_VERSIONS[type];
  if (envelope.data.version > current) {
    throw new InvalidEventError(
      `${type} version ${envelope.data.version} is newer than the supported ${current}`,
      'UNSUPPORTED_VERSION',
    );
  }
  const upcast = upcastData(type, envelope.data.data, envelope.data.version, current);
  if (upcast === undefined) {
    throw new InvalidEventError(
      `${type} version ${envelope.data.version} cannot be upcast to ${current}: no upcaster for a step`,
      'UNSUPPORTED_VERSION',
    );
  }
  const data = EVENT_DATA_SCHEMAS[type].safeParse(upcast);
  if (!data.success) {
    throw new InvalidEventError(`Data of ${type} is invalid: ${z.prettifyError(data.error)}`, 'SCHEMA_VIOLATION');
  }
  return { ...envelope.data, version: current, data: data.data };
}

/** Narrows a parsed envelope to one type of the catalogue. */
/**
 * The order id of an envelope-shaped value (`data.orderId`), if it has one.
 * Tolerates anything (a partly parsed body, a saga input), so callers that
 * only need the id for logs, routing or matching do not validate first.
 */
export function orderIdOf(envelope: unknown): string | undefined {
  const orderId = (envelope as { data?: { orderId?: unknown } } | null | undefined)?.data?.orderId;
  return typeof orderId === 'string' ? orderId : undefined;
}

export function isEventOfType<K extends EventType>(envelope: Envelope, type: K): envelope is TypedEnvelope<K> {
  return envelope.type === type;
}
