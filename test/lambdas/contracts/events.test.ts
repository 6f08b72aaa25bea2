import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKOUT_SOURCE, EVENT_SOURCES, EVENT_TYPES, ORDER_SERVICE_SOURCE } from '../../../lambdas/contracts/events';
import { ROOT } from '../../../localstack/engine';

/** Every `newEvent({ type: '…', source: … })` in the functions' code, as [type, source constant] pairs. */
function producedEvents(): [string, string][] {
  const lambdas = join(ROOT, 'lambdas');
  const files = readdirSync(lambdas, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.flatMap((file) =>
    [...readFileSync(join(lambdas, file), 'utf8').matchAll(/newEvent\(\{\s*type: '(\w+)',\s*source: (\w+)/g)].map(
      (m): [string, string] => [m[1], m[2]],
    ),
  );
}

describe('who sends each event type (EVENT_SOURCES)', () => {
  it('names a sender for every type, and checkout for OrderPlaced alone', () => {
    expect(Object.keys(EVENT_SOURCES)).toEqual(EVENT_TYPES);
    expect(EVENT_TYPES.filter((type) => EVENT_SOURCES[type] === CHECKOUT_SOURCE)).toEqual(['OrderPlaced']);
  });

  it("agrees with the functions: each order-service type is made there with the order service's source, OrderPlaced never", () => {
    const produced = producedEvents();
    expect(produced.length).toBeGreaterThan(0);
    // Every event a function makes is stamped with the order service's source constant.
    expect(produced.filter(([, source]) => source !== 'ORDER_SERVICE_SOURCE')).toEqual([]);
    const types = new Set(produced.map(([type]) => type));
    expect([...types].sort()).toEqual(EVENT_TYPES.filter((t) => EVENT_SOURCES[t] === ORDER_SERVICE_SOURCE).sort());
  });
});
