import type { EnvName } from '../contracts/env';

/**
 * Reading the environment a function was deployed with (the names are in
 * lambdas/contracts/env.ts, which the stack sets them by).
 *
 * Reads the named variables once, throwing one error that lists every missing
 * name. There are no silent defaults: a function deployed without its wiring
 * fails at its first invocation with a message that says what is missing.
 */
export function readEnv<const K extends EnvName>(
  names: readonly K[],
  source: NodeJS.ProcessEnv = process.env,
): Record<K, string> {
  const missing = names.filter((name) => !source[name]);
  if (missing.length > 0) {
    throw new Error(`Missing required environment variable(s): ${missing.join(', ')}`);
  }
  return Object.fromEntries(names.map((name) => [name, source[name] as string])) as Record<K, string>;
}
