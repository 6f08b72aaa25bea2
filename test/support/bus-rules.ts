import {
  DeleteRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { System } from '../../scripts/lib/order-system';

/**
 * Temporary rules and queues of a test's own on the deployed bus: a probe that
 * catches what the stack's own rules see, or a rule whose target is meant to
 * fail. Each test removes what it created (`remove`, `DeleteQueue`) in a
 * `finally` or `afterAll`, so the deployment the other files share is unchanged.
 */

/** Creates a queue and returns its URL (a clear error if the engine returned none). */
export async function createQueue(sys: System, name: string): Promise<string> {
  const { QueueUrl } = await sys.sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  return QueueUrl;
}

export async function queueArn(sys: System, queueUrl: string): Promise<string> {
  const { Attributes } = await sys.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`No QueueArn for ${queueUrl}`);
  return arn;
}

/** What AWS needs before a rule may write to a queue: a queue policy for EventBridge, scoped to that rule. */
export async function allowRuleToSend(sys: System, queueUrl: string, ruleArn: string): Promise<void> {
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: await queueArn(sys, queueUrl),
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
    ],
  };
  await sys.sqs.send(
    new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify(policy) } }),
  );
}

/**
 * Puts a rule on the stack's bus (output `EventBusName`). Targets are added
 * afterwards (a queue policy scoped to the rule needs its ARN first);
 * `remove` takes off the targets added through it and deletes the rule.
 */
export async function temporaryRule(
  sys: System,
  rule: { name: string; pattern: Record<string, unknown>; description?: string },
) {
  const busName = sys.outputs.EventBusName;
  const { RuleArn } = await sys.eventBridge.send(
    new PutRuleCommand({
      Name: rule.name,
      EventBusName: busName,
      EventPattern: JSON.stringify(rule.pattern),
      Description: rule.description,
    }),
  );
  if (!RuleArn) throw new Error(`PutRule ${rule.name} returned no RuleArn`);
  const targetIds: string[] = [];
  return {
    ruleArn: RuleArn,
    /** Adds targets; returns PutTargets' FailedEntryCount (0 when every target was accepted). */
    async addTargets(targets: Target[]): Promise<number> {
      const { FailedEntryCount } = await sys.eventBridge.send(
        new PutTargetsCommand({ Rule: rule.name, EventBusName: busName, Targets: targets }),
      );
      targetIds.push(...targets.map((t) => t.Id as string));
      return FailedEntryCount ?? 0;
    },
    async remove(): Promise<void> {
      if (targetIds.length > 0) {
        await sys.eventBridge.send(
          new RemoveTargetsCommand({ Rule: rule.name, EventBusName: busName, Ids: targetIds }),
        );
      }
      await sys.eventBridge.send(new DeleteRuleCommand({ Name: rule.name, EventBusName: busName }));
    },
  };
}
