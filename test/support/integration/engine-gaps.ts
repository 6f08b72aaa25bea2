import { inject, it } from 'vitest';

/**
 * Marks a test whose AWS expectation a given engine is known not to meet: on
 * those engines the test runs as an expected failure (`it.fails`), so it keeps
 * asserting what AWS does and turns red the day the engine catches up. Every
 * gap id has an entry in localstack/README.md.
 */
export function knownEngineGap(gapId: string, engines: readonly string[]) {
  const engine = inject('engine');
  if (!gapId) throw new Error('a known engine gap needs the id of its localstack/README.md entry');
  return engines.includes(engine) ? it.fails : it;
}
