/**
 * The order saga's Step Functions workflow type, chosen per deployment through
 * CDK context (`cdk.json` key `sagaMode`, or `cdk deploy -c sagaMode=express`).
 *
 * - `standard`: exactly-once executions, up to a year, full execution history in
 *   Step Functions; about $25 per million state transitions.
 * - `express`: priced per request and duration instead (far cheaper at volume),
 *   but at-least-once, no execution-name deduplication, at most 5 minutes, and a
 *   history that exists only in CloudWatch Logs. docs/architecture.md "Saga modes" lists what
 *   the saga does about each.
 */
export const SAGA_MODES = ['standard', 'express'] as const;
export type SagaMode = (typeof SAGA_MODES)[number];

/** The context key that selects the mode. */
export const SAGA_MODE_CONTEXT_KEY = 'sagaMode';

/** The mode when the context does not name one. */
export const DEFAULT_SAGA_MODE: SagaMode = 'standard';

/**
 * Reads the mode from a context value: `undefined` means the default, anything
 * other than one of {@link SAGA_MODES} is an error that names the value and the fix.
 */
export function parseSagaMode(value: unknown): SagaMode {
  if (value === undefined) return DEFAULT_SAGA_MODE;
  if (typeof value === 'string' && (SAGA_MODES as readonly string[]).includes(value)) return value as SagaMode;
  throw new Error(
    `Context "${SAGA_MODE_CONTEXT_KEY}" must be one of ${SAGA_MODES.map((m) => `"${m}"`).join(', ')}, ` +
      `got ${JSON.stringify(value)}. Fix: set "${SAGA_MODE_CONTEXT_KEY}" in cdk.json or pass -c ${SAGA_MODE_CONTEXT_KEY}=express`,
  );
}
