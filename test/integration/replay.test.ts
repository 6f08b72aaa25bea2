import { DescribeArchiveCommand } from '@aws-sdk/client-eventbridge';
import { DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/contracts/keys';
import { replayArchive } from '../../scripts/lib/replay-events/replay';
import { createQueue, queueArn, temporaryRule } from '../support/bus-rules';
import { anOrder, eventually, finalStatusOf, system } from '../support/integration/system';

describe('replay of the bus archive', () => {
  const sys = system();

  it('re-delivers a window of archived events with their ids, and no effect happens twice', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 3);
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 150 }] });
    const { orderId, customerId } = order.data;
    const from = new Date(Date.now() - 2_000);
    await sys.placeOrder(order);
    expect(await finalStatusOf(sys, orderId)).toBe('CONFIRMED');

    // Effects before the replay, once every consumer has run.
    const effects = async () => ({
      stock: await sys.stockOf(sku),
      payment: await sys.serviceRecord(keys.payment(orderId)),
      events: (await sys.storedEvents(orderId)).map((e) => e.eventId),
      email: await sys.consumerRecord(keys.email(orderId, 'OrderConfirmed')),
      analytics: await sys.consumerRecord(keys.analytics(orderId)),
      loyalty: await sys.consumerRecord(keys.loyalty(customerId)),
      timeline: await sys.consumerRecord(keys.timeline(orderId)),
      readModel: await sys.readModel(orderId),
    });
    const before = await eventually(
      effects,
      (e) =>
        e.email !== undefined && e.loyalty !== undefined && (e.timeline?.entries as string[] | undefined)?.length === 5,
      { what: 'every consumer to handle the order' },
    );
    expect(before.loyalty).toMatchObject({ points: 150, orders: 1 });
    // The engine archives an event after dispatching it to the rules' targets, so under load the consumers can
    // finish before the archive has the last events: wait until its count stops moving (AWS archives minutes later).
    const archived = async () =>
      (await sys.eventBridge.send(new DescribeArchiveCommand({ ArchiveName: sys.outputs.EventArchiveName })))
        .EventCount;
    let count = await archived();
    await eventually(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const previous = count;
        count = await archived();
        return count === previous;
      },
      (stable) => stable,
      { what: 'the archive to stop growing' },
    );
    const to = new Date(Date.now() - 200);

    // A probe rule on the bus that catches replayed events of this order only.
    const probeName = sys.uniqueId('replay-probe');
    const probeUrl = await createQueue(sys, probeName);
    const probe = await temporaryRule(sys, {
      name: probeName,
      pattern: { 'replay-name': [{ exists: true }], detail: { data: { orderId: [orderId] } } },
    });
    try {
      expect(await probe.addTargets([{ Id: 'probe', Arn: await queueArn(sys, probeUrl) }])).toBe(0);
      const result = await replayArchive(sys, { from, to, log: () => {} });
      expect(result.state).toBe('COMPLETED');

      // Every event of the order came back, each with its original id.
      const replayed = new Map<string, string>();
      await eventually(
        async () => {
          const batch = await sys.sqs.send(
            new ReceiveMessageCommand({ QueueUrl: probeUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          for (const m of batch.Messages ?? []) {
            const body = JSON.parse(m.Body ?? '{}') as { detail: { id: string; type: string } | string };
            const detail = typeof body.detail === 'string' ? JSON.parse(body.detail) : body.detail;
            replayed.set(detail.id, detail.type);
          }
          return Object.fromEntries(replayed);
        },
        (seen) => Object.keys(seen).length >= before.events.length,
        {
          what: `the ${before.events.length} replayed events of the order (window ${from.toISOString()} … ${to.toISOString()})`,
        },
      );
      expect([...replayed.keys()].sort()).toEqual([...before.events].sort());

      // The replayed OrderPlaced started a second execution, which AcceptOrder stopped as a duplicate.
      const executions = await eventually(
        () => sys.executionsOf(orderId),
        (list) => list.length === 2 && list.every((e) => e.status !== 'RUNNING'),
        { what: 'the replayed saga execution to finish' },
      );
      const outputs = executions.map((e) => JSON.stringify(JSON.parse(e.output ?? '{}').results?.AcceptOrder ?? {}));
      expect(outputs.filter((o) => o.includes('DUPLICATE_ORDER'))).toHaveLength(1);

      // Let the consumers drain the replayed copies, then compare every effect.
      for (const queue of ['EmailQueueUrl', 'AnalyticsQueueUrl', 'LoyaltyQueueUrl', 'OrderTimelineQueueUrl'] as const) {
        await eventually(
          async () => {
            const { Attributes: a } = await sys.sqs.send(
              new GetQueueAttributesCommand({
                QueueUrl: sys.outputs[queue],
                AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
              }),
            );
            return Number(a?.ApproximateNumberOfMessages) + Number(a?.ApproximateNumberOfMessagesNotVisible);
          },
          (depth) => depth === 0,
          { what: `${queue} to drain` },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(await effects()).toEqual(before);
    } finally {
      await probe.remove();
      await sys.sqs.send(new DeleteQueueCommand({ QueueUrl: probeUrl }));
    }
  });
});
