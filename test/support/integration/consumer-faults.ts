import { createHash } from 'node:crypto';
import { CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type Message, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { expect, inject } from 'vitest';
import { keys } from '../../../lambdas/contracts/keys';
import { PARK_ATTRIBUTES } from '../../../lambdas/contracts/park-attributes';
import { engineClientConfig } from '../../../localstack/engine';
import { peek, release, SQS_BATCH } from '../../../scripts/lib/dlq/peek';
import { type FiredFault, readFiredFaults } from '../../../scripts/lib/faults/fired';
import type { System } from './system';

/** The consumers, by their name in idempotency keys and fault rules, with their stack outputs. */
export const CONSUMERS = {
  'email-consumer': { queue: 'EmailQueueUrl', dlq: 'EmailDlqUrl', fn: 'EmailConsumerFunctionName' },
  'analytics-consumer': { queue: 'AnalyticsQueueUrl', dlq: 'AnalyticsDlqUrl', fn: 'AnalyticsConsumerFunctionName' },
  'loyalty-consumer': { queue: 'LoyaltyQueueUrl', dlq: 'LoyaltyDlqUrl', fn: 'LoyaltyConsumerFunctionName' },
  'order-timeline-consumer': {
    queue: 'OrderTimelineQueueUrl',
    dlq: 'OrderTimelineDlqUrl',
    fn: 'OrderTimelineConsumerFunctionName',
  },
} as const;
export type ConsumerName = keyof typeof CONSUMERS;

/** One message for {@link ConsumerDriver.send}; FIFO queues need the group (and get a fresh dedup id). */
export interface OutgoingMessage {
  body: string;
  groupId?: string;
}

/**
 * What the consumer fault scenarios need beyond `System`: sending envelopes
 * straight to a consumer's queue, reading the Powertools idempotency record and
 * the effect marker of an event, looking into a DLQ without consuming it,
 * reading a consumer's logs, and invoking a consumer with a synthetic batch.
 */
export function consumerDriver(sys: System) {
  const config = engineClientConfig(inject('awsEnv'));
  const lambda = new LambdaClient(config);
  const logs = new CloudWatchLogsClient(config);
  const logGroupOf = async (consumer: ConsumerName) => {
    const fn = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: sys.outputs[CONSUMERS[consumer].fn] }),
    );
    return fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${fn.FunctionName}`;
  };

  return {
    /** Sends the messages in batches of 10, failing on any entry SQS refused. */
    async send(consumer: ConsumerName, messages: OutgoingMessage[]): Promise<void> {
      const queueUrl = sys.outputs[CONSUMERS[consumer].queue];
      for (let i = 0; i < messages.length; i += SQS_BATCH) {
        const chunk = messages.slice(i, i + SQS_BATCH);
        const result = await sys.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((m, n) => ({
              Id: String(n),
              MessageBody: m.body,
              ...(m.groupId ? { MessageGroupId: m.groupId, MessageDeduplicationId: sys.uniqueId('dedup') } : {}),
            })),
          }),
        );
        if (result.Failed?.length) throw new Error(`SendMessageBatch refused: ${JSON.stringify(result.Failed)}`);
      }
    },

    /**
     * The Powertools idempotency record of an event in a consumer: key
     * `<keyPrefix>#<base64 md5 of the JSON key>`, the key being the envelope's
     * `id` and the prefix the consumer's name (lambdas/runtime/consumer/queue-consumer.ts).
     */
    async idempotencyRecord(consumer: ConsumerName, eventId: string) {
      const hash = createHash('md5').update(JSON.stringify(eventId)).digest('base64');
      const result = await sys.ddb.send(
        new GetCommand({
          TableName: sys.outputs.IdempotencyTableName,
          Key: { id: `${consumer}#${hash}` },
          ConsistentRead: true,
        }),
      );
      return result.Item as { status: string; expiration: number; in_progress_expiration?: number } | undefined;
    },

    /** The "effect applied" marker of an event in a consumer (lambdas/runtime/consumer/apply-once.ts). */
    marker: (consumer: ConsumerName, eventId: string) => sys.consumerRecord(keys.applied(consumer, eventId)),

    /**
     * The messages of a consumer's DLQ that `matches` accepts, without consuming
     * any: every message is received hidden for a few seconds and released again.
     */
    async parked(consumer: ConsumerName, matches: (message: Message) => boolean): Promise<Message[]> {
      const queueUrl = sys.outputs[CONSUMERS[consumer].dlq];
      const { messages } = await peek(sys.sqs, queueUrl, { max: 1000, visibilitySeconds: 20, waitSeconds: 1 });
      await release(sys.sqs, queueUrl, messages);
      return messages.filter(matches);
    },

    /** The log lines of a consumer since `since` (ms) that contain every one of `needles`. */
    async logLines(consumer: ConsumerName, since: number, ...needles: string[]): Promise<string[]> {
      const group = await logGroupOf(consumer);
      const lines: string[] = [];
      for await (const page of paginateFilterLogEvents({ client: logs }, { logGroupName: group, startTime: since })) {
        for (const e of page.events ?? []) {
          if (needles.every((n) => e.message?.includes(n))) lines.push(e.message ?? '');
        }
      }
      return lines;
    },

    /** The faults a consumer logged firing since `since` (ms) for rules whose id starts with `ruleIdPrefix`. */
    async fired(consumer: ConsumerName, since: number, ruleIdPrefix: string): Promise<FiredFault[]> {
      return readFiredFaults(logs, { ruleIdPrefix, since, logGroups: [await logGroupOf(consumer)] });
    },

    /** Invokes a consumer synchronously with an SQS event, as its event source mapping would. */
    async invoke(consumer: ConsumerName, event: SQSEvent): Promise<SQSBatchResponse> {
      const result = await lambda.send(
        new InvokeCommand({
          FunctionName: sys.outputs[CONSUMERS[consumer].fn],
          Payload: Buffer.from(JSON.stringify(event)),
        }),
      );
      const payload = Buffer.from(result.Payload ?? []).toString('utf8');
      if (result.FunctionError) throw new Error(`${consumer} failed (${result.FunctionError}): ${payload}`);
      return JSON.parse(payload) as SQSBatchResponse;
    },
  };
}

export type ConsumerDriver = ReturnType<typeof consumerDriver>;

/**
 * Asserts that `message` was parked by `consumer` on its last allowed attempt because the fault rule
 * `ruleId` made it throw: the reason attributes the consumer writes when it parks (lambdas/runtime/consumer/queue-consumer.ts).
 */
export function expectParkedByFault(
  message: Message,
  expected: { ruleId: string; consumer: string; maxReceiveCount: string },
): void {
  const reason = message.MessageAttributes ?? {};
  expect(reason[PARK_ATTRIBUTES.errorType]?.StringValue).toBe('FaultInjectedError');
  expect(reason[PARK_ATTRIBUTES.errorMessage]?.StringValue).toContain(`fault "${expected.ruleId}" injected: throw`);
  expect(reason[PARK_ATTRIBUTES.attempts]?.StringValue).toBe(expected.maxReceiveCount);
  expect(reason[PARK_ATTRIBUTES.consumer]?.StringValue).toBe(expected.consumer);
}

/** Waits `ms`; used where a test must give an unwanted second delivery the time to land before counting. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
