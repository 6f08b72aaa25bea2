import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ANALYTICS_CONSUMER } from '../../../lambdas/analytics-consumer/record-analytics';
import {
  assertKnownFaultTargets,
  CONSUMER_FAULT_TARGETS,
  FAULT_TARGETS,
  unknownFaultTargets,
} from '../../../lambdas/contracts/fault-switch';
import { SAGA_STEPS } from '../../../lambdas/contracts/saga';
import { CONSUMER_NAMES } from '../../../lambdas/contracts/stack-outputs';
import { EMAIL_CONSUMER } from '../../../lambdas/email-consumer/send-email';
import { LOYALTY_CONSUMER } from '../../../lambdas/loyalty-consumer/award-points';
import { TIMELINE_CONSUMER } from '../../../lambdas/order-timeline-consumer/append-timeline';
import { putFaultSwitch } from '../../../scripts/lib/faults/switches';
import { type DEFAULT_RATES, FAULT_KINDS, planRules } from '../../../scripts/lib/soak/plan';

describe('fault rule targets', () => {
  it('are the names the deployed consumers and saga tasks ask the switch about', () => {
    // The consumers pass their own name as the target (lambdas/runtime/consumer/queue-consumer.ts).
    expect(CONSUMER_NAMES.map((name) => CONSUMER_FAULT_TARGETS[name])).toEqual([
      EMAIL_CONSUMER,
      ANALYTICS_CONSUMER,
      LOYALTY_CONSUMER,
      TIMELINE_CONSUMER,
    ]);
    // Every step's action; every step but the last one's compensation (lib/stacks/order-flow-stack.ts).
    expect(FAULT_TARGETS).toEqual([
      'email-consumer',
      'analytics-consumer',
      'loyalty-consumer',
      'order-timeline-consumer',
      ...Object.values(SAGA_STEPS).map((step) => `step:${step}`),
      'compensation:AcceptOrder',
      'compensation:ReserveInventory',
      'compensation:ChargePayment',
      'compensation:ArrangeShipment',
    ]);
  });

  it('names every rule with an unknown target, and the error lists the valid ones', () => {
    const value = {
      faults: [
        { id: 'ok', target: 'step:ChargePayment', mode: 'throw' as const },
        { id: 'typo', target: 'email-consumr', mode: 'throw' as const },
        { id: 'never-undone', target: 'compensation:ConfirmOrder', mode: 'throw' as const },
      ],
    };
    expect(unknownFaultTargets(value)).toEqual([
      'rule "typo": unknown target "email-consumr"',
      'rule "never-undone": unknown target "compensation:ConfirmOrder"',
    ]);
    expect(() => assertKnownFaultTargets(value)).toThrow(
      'Invalid fault-injection switch: rule "typo": unknown target "email-consumr"; rule "never-undone": unknown ' +
        'target "compensation:ConfirmOrder". Valid targets: email-consumer, analytics-consumer, loyalty-consumer, ' +
        'order-timeline-consumer, step:AcceptOrder,',
    );
    expect(() => assertKnownFaultTargets({ faults: [value.faults[0]] })).not.toThrow();
  });

  it('every rule the soak plans names a real target', () => {
    const everyKind = Object.fromEntries(Object.keys(FAULT_KINDS).map((k) => [k, 0.5])) as typeof DEFAULT_RATES;
    const rules = planRules('t', everyKind);
    expect(new Set(rules.map((r) => r.kind)).size).toBeGreaterThan(5);
    expect(unknownFaultTargets({ faults: rules.map((r) => r.rule) })).toEqual([]);
  });
});

describe('writing a switch', () => {
  const ssm = mockClient(SSMClient);
  beforeEach(() => {
    ssm.reset();
    ssm.on(PutParameterCommand).resolves({});
  });

  it('refuses a rule naming a target that does not exist, before anything is stored', async () => {
    await expect(
      putFaultSwitch(new SSMClient({ region: 'us-east-1' }), '/S/fault-injection', 'mine', {
        faults: [{ id: 'r', target: 'step:ChargeCard', mode: 'throw' }],
      }),
    ).rejects.toThrow(/rule "r": unknown target "step:ChargeCard"\. Valid targets: .*step:ChargePayment/);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it('stores a switch whose targets all exist', async () => {
    const value = { faults: [{ id: 'r', target: 'loyalty-consumer', mode: 'throw' as const, attempts: 1 }] };
    await expect(
      putFaultSwitch(new SSMClient({ region: 'us-east-1' }), '/S/fault-injection', 'mine', value),
    ).resolves.toEqual(value);
    expect(ssm.commandCalls(PutParameterCommand)[0].args[0].input).toMatchObject({
      Name: '/S/fault-injection/mine',
      Value: JSON.stringify(value),
    });
  });
});
