import { createHash } from 'node:crypto';
import type { Envelope } from './envelope';

/**
 * The fingerprint of an event's content: what tells a retry of the same event
 * (same content, safe to drop) from a reuse of its key for different content
 * (a conflict someone must see; issue 17).
 *
 * What it covers: the envelope's `type` and `data`, nothing else. Left out is
 * the delivery metadata, which differs between two deliveries of the same
 * order without the order differing: `id` (a producer that retries with a new
 * event id still sends the same order), `time`, `correlationId`,
 * `causationId`, `source` (who relayed it, not what was ordered), `metadata`
 * (e.g. the event store's `aggregateVersion`) and `version` (the schema
 * version; `data` is compared after upcasting to the current version, so an
 * order sent as v1 and as v2 has one fingerprint as long as its upcast data is
 * the same).
 *
 * How: SHA-256 over a canonical JSON of `{ type, data }` (object keys sorted at
 * every depth, arrays in their order), as `sha256:<hex>`. Key order is not
 * content (JSON objects are unordered), so `{a,b}` and `{b,a}` hash the same;
 * array order is kept, so the same items listed in another order count as
 * different content, which errs on the side of reporting a conflict.
 *
 * Why here and not in lambdas/contracts: the contracts import nothing, not even
 * Node built-ins, so the stack and the tools can load them anywhere; the hash
 * needs `node:crypto` (in every Lambda Node.js runtime, so no bundle cost).
 * Hand-written canonical JSON (a dozen lines) rather than a library such as
 * `canonicalize` (RFC 8785): our data is already schema-validated JSON (finite
 * numbers, strings, booleans, arrays, plain objects), where JSON.stringify of
 * sorted keys is deterministic, so a new dependency would buy nothing.
 */
export function contentFingerprint(envelope: Pick<Envelope, 'type' | 'data'>): string {
  const canonical = canonicalJson({ type: envelope.type, data: envelope.data });
  return `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

/**
 * JSON with object keys sorted at every depth. `undefined` members are left
 * out, as JSON.stringify leaves them out; anything JSON cannot hold is refused
 * rather than hashed to something that cannot be reproduced.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
}
