import { describe, expect, it } from 'vitest';
import { refOf, resourcesOf } from '../../support/cdk/cdk';
import { synthOrderFlow } from '../../support/cdk/order-flow';

/**
 * Backpressure (issue 6, scenario 14): a burst waits in the queue because the
 * event source caps how many invocations it starts. Should a function's
 * reserved concurrency be below that cap, Lambda would throttle the extra
 * invocations, every throttled batch would count as a receive, and a burst
 * alone would walk messages to the DLQ. Checked on the synthesized stack of
 * both stages, for every SQS event source.
 */
describe.each(['aws', 'local'] as const)('consumer concurrency (%s stage)', (stage) => {
  const { json } = synthOrderFlow(stage);
  const functions = new Map(resourcesOf(json, 'AWS::Lambda::Function'));
  const sqsSources = resourcesOf(json, 'AWS::Lambda::EventSourceMapping').filter(([, mapping]) =>
    JSON.stringify(mapping.Properties.EventSourceArn).includes('Queue'),
  );

  it('caps every queue consumer with a maximum concurrency', () => {
    // The four consumers of the order flow; a fifth would need to be looked at too.
    expect(sqsSources).toHaveLength(4);
    for (const [id, mapping] of sqsSources) {
      const cap = (mapping.Properties.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency;
      expect(cap, `${id}: ScalingConfig.MaximumConcurrency`).toBeGreaterThanOrEqual(2);
    }
  });

  it("reserves no less concurrency for a consumer than its event source's maximum concurrency", () => {
    for (const [id, mapping] of sqsSources) {
      const cap = (mapping.Properties.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency;
      const fnId = refOf(mapping.Properties.FunctionName);
      const fn = fnId ? functions.get(fnId) : undefined;
      expect(fn, `${id}: the function it invokes`).toBeDefined();
      const reserved = fn?.Properties.ReservedConcurrentExecutions as number | undefined;
      // Unset: the function shares the account's unreserved pool (1000 by default), no reservation caps it.
      if (reserved !== undefined) expect(reserved, `${fnId}: ReservedConcurrentExecutions`).toBeGreaterThanOrEqual(cap);
    }
  });
});
