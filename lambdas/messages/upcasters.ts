import type { EventType } from '../contracts/events';

/**
 * Upcasters turn the data of an event written at an older schema version into
 * the next version's shape. Events in the store are never rewritten: every
 * reader (consumers through `parseEnvelope`, folds and projections through the
 * event store library) upcasts on read, one version step at a time, and then
 * validates against the current schema.
 *
 * To change an event's shape: bump its entry in SCHEMA_VERSIONS, change its
 * zod schema, and add the step from the previous version here (with a test).
 */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

export const UPCASTERS: Partial<Record<EventType, Readonly<Record<number, Upcaster>>>> = {
  PaymentCharged: {
    // v1 → v2: integer cents became a decimal amount in the order's currency.
    1: ({ amountCents, ...rest }) => ({ ...rest, amount: Number(amountCents) / 100 }),
  },
};

/**
 * Upcasts `data` of `type` from version `from` to version `to`; returns
 * undefined when a step is missing (the caller refuses the event).
 */
export function upcastData(type: EventType, data: unknown, from: number, to: number): unknown | undefined {
  let current = data;
  for (let version = from; version < to; version++) {
    const step = UPCASTERS[type]?.[version];
    if (!step || typeof current !== 'object' || current === null) return undefined;
    current = step(current as Record<string, unknown>);
  }
  return current;
}
