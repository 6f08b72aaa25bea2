/**
 * Whether the fault-injection switch (docs/operations.md "Fault injection") is deployed, chosen per deployment through
 * CDK context (`cdk deploy -c faultInjection=true`). It is a testing aid: anyone allowed `ssm:PutParameter`
 * on its path can make the system fail, so it is on by default only on the local engine.
 */
export const FAULT_INJECTION_CONTEXT_KEY = 'faultInjection';

/** The switch's default per stage: on the local engine yes, on AWS only when asked for. */
export const DEFAULT_FAULT_INJECTION: Record<'aws' | 'local', boolean> = { aws: false, local: true };

/**
 * Reads the setting from a context value (`true`/`false`, as a boolean or the string `-c` passes):
 * `undefined` means the stage's default, anything else is an error that names the value and the fix.
 */
export function parseFaultInjection(value: unknown, stage: 'aws' | 'local'): boolean {
  if (value === undefined) return DEFAULT_FAULT_INJECTION[stage];
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(
    `Context "${FAULT_INJECTION_CONTEXT_KEY}" must be "true" or "false", got ${JSON.stringify(value)}. ` +
      `Fix: -c ${FAULT_INJECTION_CONTEXT_KEY}=true (deploys the switch) or -c ${FAULT_INJECTION_CONTEXT_KEY}=false (leaves it out)`,
  );
}
