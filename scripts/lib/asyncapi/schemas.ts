/**
 * The AsyncAPI document's payload schemas, converted from the zod catalogue by zod's own JSON Schema converter
 * (`z.toJSONSchema`, zod 4), never written by hand: the envelope, each event type's `data`, and each event
 * type's whole message (the envelope with its `type`, `version`, `source` and `data` pinned). One zod registry
 * holds them with their component names, so the converter writes a `$ref` wherever one uses another.
 */
import * as z from 'zod/mini';
import { EVENT_SOURCES, EVENT_TYPES, type EventType } from '../../../lambdas/contracts/events';
import { envelopeSchema } from '../../../lambdas/messages/envelope';
import { EVENT_DATA_SCHEMAS, orderItemSchema, SCHEMA_VERSIONS } from '../../../lambdas/messages/schemas';

/** A JSON Schema object (draft-07, which AsyncAPI 3.0's own schema format extends). */
export type JsonSchema = Record<string, unknown>;

/** Where the document keeps its schemas; a `$ref` to one is this plus its name. */
export const SCHEMAS_POINTER = '#/components/schemas/';

/** The component name of an event type's `data` schema. */
export const dataSchemaName = (type: EventType) => `${type}Data`;

/**
 * Every payload schema by component name: `Envelope` (what every event travels in, `data` open), `OrderItem`,
 * `<Type>Data` (the catalogue's schema) and `<Type>` (the envelope of that type).
 *
 * Converted with `io: 'input'`: the schemas say what a consumer accepts (what `parseEnvelope` parses), so a
 * field with a default, such as `metadata`, is optional. Checks JSON Schema cannot state (OrderPlaced's
 * `total` equal to the sum of its items, a zod refinement) are left out by the converter; the catalogue
 * still applies them.
 */
export function payloadSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  registry.add(envelopeSchema, { id: 'Envelope' });
  registry.add(orderItemSchema, { id: 'OrderItem' });
  for (const type of EVENT_TYPES) {
    const data = EVENT_DATA_SCHEMAS[type];
    registry.add(data, { id: dataSchemaName(type) });
    const event = z.extend(envelopeSchema, {
      type: z.literal(type),
      version: z.literal(SCHEMA_VERSIONS[type]),
      source: z.literal(EVENT_SOURCES[type]),
      data,
    });
    registry.add(event, { id: type });
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-7',
    io: 'input',
    uri: (id) => `${SCHEMAS_POINTER}${id}`,
  });
  // Each comes with its own `$schema` and `$id`; inside an AsyncAPI document the component name is its identity.
  return Object.fromEntries(
    Object.entries(schemas).map(([name, { $schema: _schema, $id: _id, ...schema }]) => [name, schema]),
  );
}
