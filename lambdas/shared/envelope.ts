import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { EVENT_DATA_SCHEMAS, type EventDataOf, type EventType, SCHEMA_VERSIONS } from './schemas';
import { upcastData } from './upcasters';

// zod/mini ships without messages: load the English ones, so a parked message's reason reads well.
z.config(en());

/**
 * The `source` of events a client sends to the bus (the checkout front end).
 * The saga's start rule matches on it.
 */
export const CHECKOUT_SOURCE = 'shop.checkout';
/**
 * The `source` of events the order service records in its event store; the
 * relay publishes these (and only these) to the bus, so an event that came in
 * from the bus is never published back onto it.
 */
export const ORDER_SERVICE_SOURCE = 'shop.orders';

/** Largest serialized envelope we accept anywhere (SNS and EventBridge both cap at 256 KiB). */
export const MAX_ENVELOPE_BYTES = 256 * 1024;

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

/** Why an incoming message was refused; the consumer reports it as a batch item failure. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(
    message: string,
    readonly reason: 'MALFORMED_JSON' | 'SCHEMA_VIOLATION' | 'UNKNOWN_TYPE' | 'UNSUPPORTED_VERSION' | 'OVERSIZED',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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
  assertWithinSizeLimit(envelope);
  return envelope as TypedEnvelope<K>;
}

export function assertWithinSizeLimit(envelope: unknown, limit = MAX_ENVELOPE_BYTES): void {
  const bytes = Buffer.byteLength(JSON.stringify(envelope), 'utf8');
  if (bytes > limit) {
    throw new InvalidEventError(`Event is ${bytes} bytes; the limit is ${limit} bytes`, 'OVERSIZED');
  }
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
    assertWithinSizeLimit(raw);
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
export function isEventOfType<K extends EventType>(envelope: Envelope, type: K): envelope is TypedEnvelope<K> {
  return envelope.type === type;
}
