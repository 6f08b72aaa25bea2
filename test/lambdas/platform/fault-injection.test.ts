import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FaultInjectedError } from '../../../lambdas/contracts/errors';
import { FAULT_FIRED_MESSAGE, type FaultRule } from '../../../lambdas/contracts/fault-switch';
import { PARK_ATTRIBUTES } from '../../../lambdas/contracts/park-attributes';
import {
  createFaultInjector,
  faultInjectorFromEnv,
  parseFaultSwitch,
  ruleHits,
  sampled,
} from '../../../lambdas/platform/fault-injection';
import { BusinessMetrics } from '../../../lambdas/platform/metrics';
import { createQueueConsumer } from '../../../lambdas/runtime/consumer/queue-consumer';
import { createSagaService } from '../../../lambdas/runtime/saga/saga-service';
import { captureJsonLines } from '../../support/capture-output';
import { orderPlaced, sqsRecord } from '../../support/events';
import { inMemoryIdempotency } from '../../support/in-memory-idempotency';

const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const context = { getRemainingTimeInMillis: () => 10_000, functionName: 'fn', awsRequestId: 'r' } as unknown as Context;

/** Thrown by the stand-in for `process.exit`, so a test sees the crash and the code after it never runs. */
class Crashed extends Error {}

function injector(rules: FaultRule[], sleeps: number[] = []) {
  return createFaultInjector({
    loadRules: async () => rules,
    logger: silent,
    exit: (code) => {
      throw new Crashed(`exit ${code}`);
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

describe('the fault-injection switch', () => {
  it('accepts a valid switch and refuses a bad one with every problem named', () => {
    expect(
      parseFaultSwitch({ faults: [{ id: 'a', target: 'step:ChargePayment', mode: 'throw', attempts: 2 }] }).faults,
    ).toHaveLength(1);
    expect(() =>
      parseFaultSwitch({ faults: [{ id: 'has space', target: 'x', mode: 'explode', fraction: 2 }] }),
    ).toThrow(/faults\.0\.id.*faults\.0\.mode.*faults\.0\.fraction/s);
    expect(() =>
      parseFaultSwitch({
        faults: [
          { id: 'same', target: 'a', mode: 'throw' },
          { id: 'same', target: 'b', mode: 'throw' },
        ],
      }),
    ).toThrow(/"same" is used twice/);
    expect(() => parseFaultSwitch({ faults: [], extra: 1 })).toThrow(/Invalid fault-injection switch/);
  });

  it('hits the named target only: given orders, the first N attempts, never work without an order', () => {
    const rule: FaultRule = { id: 'r', target: 'email-consumer', mode: 'throw', orderIds: ['o-1'], attempts: 2 };
    expect(ruleHits(rule, { target: 'email-consumer', orderId: 'o-1', attempt: 1 })).toBe(true);
    expect(ruleHits(rule, { target: 'email-consumer', orderId: 'o-1', attempt: 2 })).toBe(true);
    expect(ruleHits(rule, { target: 'email-consumer', orderId: 'o-1', attempt: 3 })).toBe(false);
    expect(ruleHits(rule, { target: 'email-consumer', orderId: 'o-2', attempt: 1 })).toBe(false);
    expect(ruleHits(rule, { target: 'loyalty-consumer', orderId: 'o-1', attempt: 1 })).toBe(false);
    expect(ruleHits({ ...rule, orderIds: undefined }, { target: 'email-consumer', attempt: 1 })).toBe(false);
    const soak: FaultRule = { id: 's', target: 'email-consumer', mode: 'throw', orderIdPrefix: 'soak-1-' };
    expect(ruleHits(soak, { target: 'email-consumer', orderId: 'soak-1-abc', attempt: 1 })).toBe(true);
    expect(ruleHits(soak, { target: 'email-consumer', orderId: 'order-abc', attempt: 1 })).toBe(false);
  });

  it('with eventTypes, hits only events of those types, never work without an event type', () => {
    const rule: FaultRule = {
      id: 'one-event',
      target: 'order-timeline-consumer',
      mode: 'throw',
      orderIds: ['o-1'],
      eventTypes: ['PaymentCharged'],
    };
    const subject = { target: 'order-timeline-consumer', orderId: 'o-1', attempt: 1 };
    expect(ruleHits(rule, { ...subject, eventType: 'PaymentCharged' })).toBe(true);
    expect(ruleHits(rule, { ...subject, eventType: 'InventoryReserved' })).toBe(false);
    expect(ruleHits(rule, subject)).toBe(false);
    expect(ruleHits(rule, { ...subject, orderId: 'o-2', eventType: 'PaymentCharged' })).toBe(false);
    expect(() => parseFaultSwitch({ faults: [{ ...rule, eventTypes: [] }] })).toThrow(/faults\.0\.eventTypes/);
  });

  it('samples a stable fraction of orders per rule', () => {
    const orders = Array.from({ length: 4000 }, (_, i) => `order-${i}`);
    const hit = orders.filter((o) => sampled('r1', o, 0.1));
    expect(hit.length).toBeGreaterThan(300);
    expect(hit.length).toBeLessThan(500);
    // The same orders every time; another rule draws other orders.
    expect(orders.filter((o) => sampled('r1', o, 0.1))).toEqual(hit);
    const other = orders.filter((o) => sampled('r2', o, 0.1));
    expect(other).not.toEqual(hit);
    expect(orders.every((o) => sampled('r1', o, 1))).toBe(true);
    expect(orders.some((o) => sampled('r1', o, 0))).toBe(false);
  });

  it('throws, outlives the deadline, or crashes, each at its own point', async () => {
    const subject = { target: 't', orderId: 'o', attempt: 1 };
    const sleeps: number[] = [];
    const rules: FaultRule[] = [
      { id: 'crash', target: 't', mode: 'crash-after-effect' },
      { id: 'ack', target: 't', mode: 'fail-before-ack' },
    ];
    const faults = injector(rules, sleeps);
    await expect(faults.at('before', subject, context)).resolves.toBeUndefined();
    await expect(faults.at('after-effect', subject, context)).rejects.toThrow(Crashed);
    await expect(faults.at('before-ack', subject, context)).rejects.toThrow(FaultInjectedError);

    const timeout = injector([{ id: 'slow', target: 't', mode: 'timeout' }], sleeps);
    await expect(timeout.at('before', subject, context)).rejects.toThrow(/outlived its deadline/);
    expect(sleeps).toEqual([11_000]);
  });
});

describe('the fired-fault log line', () => {
  it('is written once per firing, before the fault acts (a crash still leaves it), with what the soak counts', async () => {
    const logger = new Logger({ serviceName: 'email-consumer', logLevel: 'INFO' });
    const faults = createFaultInjector({
      loadRules: async () => [{ id: 'crash', target: 'email-consumer', mode: 'crash-after-effect' }],
      logger,
      exit: (code) => {
        throw new Crashed(`exit ${code}`);
      },
    });
    const subject = {
      target: 'email-consumer',
      orderId: 'o-1',
      attempt: 2,
      eventType: 'OrderConfirmed',
      eventId: 'e-1',
    };
    const { lines } = await captureJsonLines(async () => {
      await faults.at('before', subject, context); // no rule for this point: no line
      await expect(faults.at('after-effect', subject, context)).rejects.toThrow(Crashed);
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: FAULT_FIRED_MESSAGE,
        faultId: 'crash',
        faultMode: 'crash-after-effect',
        faultPoint: 'after-effect',
        faultTarget: 'email-consumer',
        orderId: 'o-1',
        attempt: 2,
        eventType: 'OrderConfirmed',
        eventId: 'e-1',
      }),
    ]);
  });
});

describe('the switch as a deployed function reads it', () => {
  const ssmMock = mockClient(SSMClient);
  beforeEach(() => ssmMock.reset());
  const env = { FAULT_INJECTION_PATH: '/Stack/fault-injection', AWS_REGION: 'us-east-1' };
  const subject = { target: 'email-consumer', orderId: 'o-1', attempt: 1 };

  it('applies the rules of every valid switch under the path and ignores an invalid one', async () => {
    ssmMock.on(GetParametersByPathCommand, { Path: '/Stack/fault-injection' }).resolves({
      Parameters: [
        { Name: '/Stack/fault-injection/default', Value: '{"faults":[]}' },
        { Name: '/Stack/fault-injection/broken', Value: '{"faults":[{"id":"b","mode":"explode"}]}' },
        {
          Name: '/Stack/fault-injection/test-1',
          Value: JSON.stringify({ faults: [{ id: 't', target: 'email-consumer', mode: 'throw' }] }),
        },
      ],
    });
    const faults = faultInjectorFromEnv(silent, env);
    await expect(faults.at('before', subject)).rejects.toThrow(/fault "t" injected/);
  });

  it('injects nothing when the path cannot be read, or when the function has no switch', async () => {
    ssmMock.on(GetParametersByPathCommand).rejects(new Error('AccessDenied'));
    await expect(faultInjectorFromEnv(silent, env).at('before', subject)).resolves.toBeUndefined();
    await expect(faultInjectorFromEnv(silent, {}).at('before', subject)).resolves.toBeUndefined();
    expect(ssmMock.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
  });
});

describe('fault points of a queue consumer', () => {
  const sqsMock = mockClient(SQSClient);
  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'parked' });
  });

  /** A queue consumer whose effect records the event id, with the fault injector given. */
  function consumerWith(
    faults: ReturnType<typeof createFaultInjector>,
    effects: string[],
    idempotency = inMemoryIdempotency(),
  ) {
    return createQueueConsumer(
      {
        name: 'test-consumer',
        process: async (e) => {
          effects.push(e.id);
        },
      },
      {
        sqs: new SQSClient({ region: 'us-east-1' }),
        logger: silent,
        metrics: new BusinessMetrics('test-consumer'),
        deadLetterQueueUrl: 'https://sqs.local/dlq',
        maxReceiveCount: 3,
        idempotency,
        faults,
      },
    );
  }
  const consumer = (rules: FaultRule[], effects: string[]) => consumerWith(injector(rules), effects);
  const event = orderPlaced({ orderId: 'o-1' });
  const body = JSON.stringify(event);

  it('a throw before the work does nothing, fails only that record, and parks it on the last attempt', async () => {
    const effects: string[] = [];
    const other = orderPlaced({ orderId: 'o-2' });
    const handler = consumer([{ id: 'poison', target: 'test-consumer', mode: 'throw', orderIds: ['o-1'] }], effects);
    const first = await handler(
      { Records: [sqsRecord(body, { messageId: 'm1' }), sqsRecord(JSON.stringify(other), { messageId: 'm2' })] },
      context,
    );
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(effects).toEqual([other.id]);
    const last = await handler({ Records: [sqsRecord(body, { messageId: 'm1' }, 3)] } as SQSEvent, context);
    expect(last.batchItemFailures).toEqual([]);
    const parked = sqsMock.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(parked.MessageAttributes?.[PARK_ATTRIBUTES.errorType]?.StringValue).toBe('FaultInjectedError');
    expect(effects).toEqual([other.id]);
  });

  it('a crash after the work comes while the idempotency record is still in progress (nothing acknowledged)', async () => {
    const effects: string[] = [];
    const idempotency = inMemoryIdempotency();
    let atCrash: { status?: string; effects: string[] } | undefined;
    const handler = consumerWith(
      createFaultInjector({
        loadRules: async () => [{ id: 'crash', target: 'test-consumer', mode: 'crash-after-effect' }],
        logger: silent,
        exit: () => {
          // What a real exit would leave behind: the effect done, the record still INPROGRESS.
          const [record] = [...idempotency.persistenceStore.records.values()];
          atCrash = { status: record?.getStatus(), effects: [...effects] };
          throw new Crashed('exit 1');
        },
      }),
      effects,
      idempotency,
    );
    await handler({ Records: [sqsRecord(body, { messageId: 'm1' })] } as SQSEvent, context);
    expect(atCrash).toEqual({ status: 'INPROGRESS', effects: [event.id] });
  });

  it('a failure before the acknowledgement comes back as a duplicate and is not applied again', async () => {
    const effects: string[] = [];
    const handler = consumer(
      [{ id: 'no-ack', target: 'test-consumer', mode: 'fail-before-ack', attempts: 1 }],
      effects,
    );
    const first = await handler({ Records: [sqsRecord(body, { messageId: 'm1' })] } as SQSEvent, context);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    const again = await handler({ Records: [sqsRecord(body, { messageId: 'm1' }, 2)] } as SQSEvent, context);
    expect(again.batchItemFailures).toEqual([]);
    expect(effects).toEqual([event.id]);
  });
});

describe('fault points of a saga service', () => {
  it('targets an action as step:<name> and a compensation as compensation:<name>, by attempt', async () => {
    const runs: string[] = [];
    const service = createSagaService(
      'svc',
      {
        Charge: {
          action: async () => {
            runs.push('action');
            return { ok: true };
          },
          compensation: async () => {
            runs.push('compensation');
            return { ok: true };
          },
        },
      },
      {
        saga: {} as never,
        logger: silent,
        metrics: new BusinessMetrics('svc'),
        idempotency: inMemoryIdempotency('[input.data.orderId, step, phase, executionId]'),
        faults: injector([
          { id: 'transient', target: 'step:Charge', mode: 'throw', attempts: 2 },
          { id: 'broken-undo', target: 'compensation:Charge', mode: 'throw' },
        ]),
      },
    );
    const task = (phase: 'action' | 'compensation', retryCount: number) => ({
      step: 'Charge',
      phase,
      input: orderPlaced({ orderId: 'o-1' }),
      executionId: 'exec-1',
      retryCount,
    });
    await expect(service(task('action', 0), context)).rejects.toThrow(FaultInjectedError);
    await expect(service(task('action', 1), context)).rejects.toThrow(FaultInjectedError);
    await expect(service(task('action', 2), context)).resolves.toEqual({ ok: true });
    await expect(service(task('compensation', 5), context)).rejects.toThrow(/broken-undo/);
    expect(runs).toEqual(['action']);
  });
});
