import { ListRulesCommand, ListTargetsByRuleCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteQueueCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowRuleToSend, createQueue, queueArn, temporaryRule } from '../support/bus-rules';
import { knownEngineGap } from '../support/integration/engine-gaps';
import { eventually, type System, system } from '../support/integration/system';

/**
 * Scenario 13: an EventBridge rule target fails. EventBridge retries it per the
 * target's RetryPolicy (errors such as a missing target are not retried at all),
 * then sends the event to the target's DLQ with the error as message attributes
 * (ERROR_CODE, ERROR_MESSAGE, RULE_ARN, TARGET_ARN, …).
 *
 * First, every route of the deployed stack has that policy and the stack's
 * rule-target DLQ. Then a rule created here, on the deployed bus, gets a target
 * that cannot succeed (a queue that does not exist) beside one that can, and
 * the failed delivery must reach the DLQ with its error. The rule writes to
 * DLQ and target queues of its own: on AWS the stack's DLQ policy admits only
 * the stack's own rules (aws:SourceArn), so a foreign rule could not use it.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */
describe('EventBridge rule target failure', () => {
  const sys = system();

  it("gives every route of the stack a retry policy and the stack's rule-target DLQ", async () => {
    const busName = sys.outputs.EventBusName;
    const dlqArn = await queueArn(sys, sys.outputs.RuleTargetDlqUrl);
    const { Rules } = await sys.eventBridge.send(new ListRulesCommand({ EventBusName: busName }));
    // Rules managed by AWS (e.g. the archive's) are not the stack's routes.
    const routes = (Rules ?? []).filter((rule) => !rule.ManagedBy);
    // The stack's two routes: saga start and fan-out topic (the timeline FIFO queue is fed by the relay, not a rule).
    for (const route of ['OrderPlacedToSaga', 'OrderOutcomesToFanout']) {
      expect(
        routes.some((rule) => rule.Name?.includes(route)),
        route,
      ).toBe(true);
    }
    for (const rule of routes) {
      const { Targets } = await sys.eventBridge.send(
        new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: busName }),
      );
      expect(Targets?.length, `targets of ${rule.Name}`).toBeGreaterThan(0);
      for (const target of Targets ?? []) {
        expect(target.DeadLetterConfig?.Arn, `DLQ of ${rule.Name} → ${target.Arn}`).toBe(dlqArn);
        expect(target.RetryPolicy?.MaximumRetryAttempts, `retries of ${rule.Name}`).toBeGreaterThan(0);
        expect(target.RetryPolicy?.MaximumEventAgeInSeconds, `event age of ${rule.Name}`).toBeGreaterThanOrEqual(60);
      }
    }
  });

  describe('a rule whose target fails', () => {
    const id = sys.uniqueId('rule-target-failure');
    const busName = sys.outputs.EventBusName;
    const source = 'test.rule-target-failure';
    const marker = sys.uniqueId('event');
    const created: { queues: string[]; rule?: Awaited<ReturnType<typeof temporaryRule>> } = { queues: [] };
    let okQueueUrl: string;
    let dlqUrl: string;
    let missingTargetArn: string;

    beforeAll(async () => {
      dlqUrl = await createQueue(sys, `${id}-dlq`);
      okQueueUrl = await createQueue(sys, `${id}-ok`);
      created.queues.push(dlqUrl, okQueueUrl);
      const [dlqArn, okArn] = await Promise.all([queueArn(sys, dlqUrl), queueArn(sys, okQueueUrl)]);
      const [, , , region, account] = dlqArn.split(':');
      missingTargetArn = `arn:aws:sqs:${region}:${account}:${id}-missing`;

      const rule = await temporaryRule(sys, {
        name: id,
        pattern: { source: [source], 'detail-type': [marker] },
        description: 'Temporary rule of test/integration/rule-target-failure.test.ts',
      });
      created.rule = rule;
      await Promise.all([dlqUrl, okQueueUrl].map((url) => allowRuleToSend(sys, url, rule.ruleArn)));
      const failedTargets = await rule.addTargets([
        { Id: 'delivers', Arn: okArn },
        {
          Id: 'fails',
          Arn: missingTargetArn,
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
          DeadLetterConfig: { Arn: dlqArn },
        },
      ]);
      expect(failedTargets).toBe(0);
      const put = await sys.eventBridge.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: busName, Source: source, DetailType: marker, Detail: JSON.stringify({ marker }) }],
        }),
      );
      expect(put.FailedEntryCount ?? 0).toBe(0);
    });

    afterAll(async () => {
      await created.rule?.remove();
      await Promise.all(created.queues.map((url) => sys.sqs.send(new DeleteQueueCommand({ QueueUrl: url }))));
    });

    it('still delivers the event to the rule’s other target', async () => {
      const messages = await receiveUntil(sys, okQueueUrl, marker, 30_000);
      expect(JSON.parse(messages[0].Body ?? '{}').detail).toEqual({ marker });
    });

    // AWS: a target that no longer exists is not retried; the event goes straight to the target's DLQ,
    // and every DLQ message carries RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE:
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/rule-dlq.html
    // MiniStack 1.5.33 accepts RetryPolicy and DeadLetterConfig but never uses them: a failed
    // delivery is only logged (localstack/README.md, gap id `eventbridge-target-dlq-ignored`): the DLQ stays empty.
    // The engine delivers at PutEvents, and the rule's other target already has the event (the test before), so
    // on that engine a few seconds are enough to see nothing arrive.
    const targetDlq = knownEngineGap('eventbridge-target-dlq-ignored', ['ministack'], {
      message: /^Timed out after \d+ ms waiting for a message with \S+ in \S+; last value: 0$/,
    });
    targetDlq('sends the event it could not deliver to the target’s DLQ with the error attributes', async () => {
      const [dead] = await receiveUntil(sys, dlqUrl, marker, targetDlq.present ? 5_000 : 60_000);
      expect(JSON.parse(dead.Body ?? '{}').detail).toEqual({ marker });
      const attribute = (name: string) => dead.MessageAttributes?.[name]?.StringValue;
      expect(attribute('RULE_ARN')).toBe(created.rule?.ruleArn);
      expect(attribute('TARGET_ARN')).toBe(missingTargetArn);
      expect(attribute('ERROR_CODE')).toMatch(/\S/);
      expect(attribute('ERROR_MESSAGE')).toMatch(/\S/);
    });
  });
});

/** Receives from a queue of this test's own until a message carrying `marker` arrives. */
async function receiveUntil(sys: System, queueUrl: string, marker: string, timeoutMs: number): Promise<Message[]> {
  const seen: Message[] = [];
  await eventually(
    async () => {
      const { Messages } = await sys.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 1,
        }),
      );
      seen.push(...(Messages ?? []).filter((m) => m.Body?.includes(marker)));
      return seen.length;
    },
    (count) => count > 0,
    { what: `a message with ${marker} in ${queueUrl.split('/').pop()}`, timeoutMs, intervalMs: 1_000 },
  );
  return seen;
}
