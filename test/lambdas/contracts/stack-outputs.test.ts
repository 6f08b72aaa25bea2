import { describe, expect, it } from 'vitest';
import {
  OPTIONAL_STACK_OUTPUT_KEYS,
  readStackOutputs,
  requireOptionalOutput,
  ruleArnsOf,
  STACK_OUTPUT_KEYS,
} from '../../../lambdas/contracts/stack-outputs';

const complete = () => Object.fromEntries(STACK_OUTPUT_KEYS.map((key) => [key, `value-of-${key}`]));

describe('stack outputs contract', () => {
  it('names every output once', () => {
    const all = [...STACK_OUTPUT_KEYS, ...OPTIONAL_STACK_OUTPUT_KEYS];
    expect(new Set(all).size).toBe(all.length);
  });

  it('reads complete outputs, keeps an optional one and drops keys it does not know', () => {
    const outputs = readStackOutputs({ ...complete(), FaultInjectionPath: '/OrderFlow/fault-injection', Extra: 'x' });
    expect(outputs.EventBusName).toBe('value-of-EventBusName');
    expect(outputs.FaultInjectionPath).toBe('/OrderFlow/fault-injection');
    expect(outputs).not.toHaveProperty('Extra');
    expect(ruleArnsOf(outputs)).toEqual({
      OrderPlacedToSaga: 'value-of-OrderPlacedToSagaRuleArn',
      OrderOutcomesToFanout: 'value-of-OrderOutcomesToFanoutRuleArn',
    });
  });

  it('fails naming every missing or empty required output and where they were read from', () => {
    const { EventBusName: _, ...raw } = complete();
    expect(() => readStackOutputs({ ...raw, DashboardName: '' }, '.engine/outputs.json (stack OrderFlow)')).toThrow(
      'Stack outputs missing from .engine/outputs.json (stack OrderFlow): EventBusName, DashboardName. ' +
        'Redeploy the stack (npm run deploy:local, or cdk deploy) so its outputs match this code.',
    );
  });

  it('says how to get the fault-injection path when a caller needs it and the stack has none', () => {
    const outputs = readStackOutputs(complete());
    expect(() => requireOptionalOutput(outputs, 'FaultInjectionPath', 'injecting faults')).toThrow(
      'Stack output FaultInjectionPath is missing, and injecting faults needs it. It is deployed on stage local, ' +
        'and on AWS only with -c faultInjection=true.',
    );
  });
});
