/** The context key that renames the stack, so a second copy can be deployed beside the first (local tests). */
export const STACK_NAME_CONTEXT_KEY = 'stackName';

/** The stack's name when the context names none. */
export const DEFAULT_STACK_NAME = 'OrderFlow';

/** The stack's name (also its construct id): the default unless the context names another valid one. */
export function parseStackName(value: unknown): string {
  if (value === undefined) return DEFAULT_STACK_NAME;
  if (typeof value === 'string' && /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(value)) return value;
  throw new Error(
    `Context "${STACK_NAME_CONTEXT_KEY}" must be a CloudFormation stack name (a letter, then up to 127 letters, ` +
      `digits or hyphens), got ${JSON.stringify(value)}. Fix: -c ${STACK_NAME_CONTEXT_KEY}=OrderFlowExpress`,
  );
}
