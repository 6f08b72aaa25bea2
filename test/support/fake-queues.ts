import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  type Message,
  type MessageAttributeValue,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { DlqEntry } from '../../scripts/lib/dlq/catalogue';

/**
 * A few SQS queues in memory behind aws-sdk-client-mock, just faithful enough
 * for the DLQ tool: receive hides a message until its visibility timeout (a
 * fake clock), batch send/delete/visibility, queue attributes, and an ordered
 * log of every call so tests can check send-before-delete.
 */
export interface StoredMessage {
  id: string;
  body: string;
  attributes?: Record<string, MessageAttributeValue>;
  system?: Record<string, string>;
  receiptHandle?: string;
  hiddenUntil?: number;
  receives?: number;
}

export const ACCOUNT = '000000000000';
export const url = (name: string) => `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${name}`;
export const arn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

export function fakeQueues(names: string[], options: { redrive?: Record<string, string> } = {}) {
  const mock = mockClient(SQSClient);
  const queues = new Map<string, StoredMessage[]>(names.map((n) => [url(n), []]));
  const log: string[] = [];
  let clock = 1_700_000_000_000;
  let handles = 0;
  let sends = 0;
  const hooks: { beforeSend?: (call: number) => void } = {};
  const queue = (u: string | undefined) => {
    const q = queues.get(u ?? '');
    if (!q) throw Object.assign(new Error(`no queue ${u}`), { name: 'QueueDoesNotExist' });
    return q;
  };
  const nameOf = (u: string | undefined) => (u ?? '').split('/').pop();

  mock.on(GetQueueAttributesCommand).callsFake(({ QueueUrl }) => {
    const name = nameOf(QueueUrl)!;
    const q = queue(QueueUrl);
    const target = options.redrive?.[name];
    return {
      Attributes: {
        QueueArn: arn(name),
        ...(name.endsWith('.fifo') ? { FifoQueue: 'true' } : {}),
        ...(target ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn(target), maxReceiveCount: 3 }) } : {}),
        ApproximateNumberOfMessages: String(q.filter((m) => (m.hiddenUntil ?? 0) <= clock).length),
        ApproximateNumberOfMessagesNotVisible: String(q.filter((m) => (m.hiddenUntil ?? 0) > clock).length),
        ApproximateNumberOfMessagesDelayed: '0',
      },
    };
  });
  mock.on(ListDeadLetterSourceQueuesCommand).rejects(
    Object.assign(new Error('The action ListDeadLetterSourceQueues is not valid for this endpoint.'), {
      name: 'InvalidAction',
    }),
  );
  mock.on(StartMessageMoveTaskCommand).rejects(
    Object.assign(new Error('The action StartMessageMoveTask is not valid for this endpoint.'), {
      name: 'InvalidAction',
    }),
  );
  mock.on(ReceiveMessageCommand).callsFake(({ QueueUrl, MaxNumberOfMessages, VisibilityTimeout }) => {
    const q = queue(QueueUrl);
    const visible = q.filter((m) => (m.hiddenUntil ?? 0) <= clock).slice(0, MaxNumberOfMessages ?? 1);
    log.push(`receive ${nameOf(QueueUrl)} ${visible.map((m) => m.id).join(',')}`);
    const messages: Message[] = visible.map((m) => {
      m.receiptHandle = `rh-${++handles}`;
      m.hiddenUntil = clock + (VisibilityTimeout ?? 30) * 1000;
      m.receives = (m.receives ?? 0) + 1;
      return {
        MessageId: m.id,
        ReceiptHandle: m.receiptHandle,
        Body: m.body,
        MessageAttributes: m.attributes,
        Attributes: { ApproximateReceiveCount: String(m.receives), SentTimestamp: String(clock), ...m.system },
      };
    });
    return messages.length ? { Messages: messages } : {};
  });
  mock.on(SendMessageBatchCommand).callsFake(({ QueueUrl, Entries }) => {
    const q = queue(QueueUrl);
    hooks.beforeSend?.(++sends);
    log.push(`send ${nameOf(QueueUrl)} ${(Entries ?? []).map((e: { Id: string }) => e.Id).join(',')}`);
    for (const e of Entries ?? []) {
      q.push({
        id: `sent-${e.Id}`,
        body: e.MessageBody,
        attributes: e.MessageAttributes,
        system: {
          ...(e.MessageGroupId ? { MessageGroupId: e.MessageGroupId } : {}),
          ...(e.MessageDeduplicationId ? { MessageDeduplicationId: e.MessageDeduplicationId } : {}),
        },
      });
    }
    return { Successful: (Entries ?? []).map((e: { Id: string }) => ({ Id: e.Id, MessageId: `sent-${e.Id}` })) };
  });
  mock.on(DeleteMessageBatchCommand).callsFake(({ QueueUrl, Entries }) => {
    const q = queue(QueueUrl);
    log.push(`delete ${nameOf(QueueUrl)} ${(Entries ?? []).length}`);
    const successful: { Id: string }[] = [];
    for (const e of Entries ?? []) {
      const i = q.findIndex((m) => m.receiptHandle === e.ReceiptHandle);
      if (i >= 0) {
        q.splice(i, 1);
        successful.push({ Id: e.Id });
      }
    }
    return { Successful: successful, Failed: [] };
  });
  mock.on(ChangeMessageVisibilityBatchCommand).callsFake(({ QueueUrl, Entries }) => {
    const q = queue(QueueUrl);
    log.push(`release ${nameOf(QueueUrl)} ${(Entries ?? []).length}`);
    for (const e of Entries ?? []) {
      const m = q.find((x) => x.receiptHandle === e.ReceiptHandle);
      if (m) m.hiddenUntil = clock + (e.VisibilityTimeout ?? 0) * 1000;
    }
    return { Successful: (Entries ?? []).map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] };
  });
  mock.on(PurgeQueueCommand).callsFake(({ QueueUrl }) => {
    queue(QueueUrl).length = 0;
    log.push(`purge ${nameOf(QueueUrl)}`);
    return {};
  });

  return {
    mock,
    sqs: new SQSClient({ region: 'us-east-1' }),
    log,
    messages: (name: string) => queue(url(name)),
    put: (name: string, ...messages: StoredMessage[]) => queue(url(name)).push(...messages),
    /** Called before each SendMessageBatch with its 1-based number; throw from it to make that call fail. */
    set beforeSend(hook: (call: number) => void) {
      hooks.beforeSend = hook;
    },
    /** Moves the fake clock, e.g. past a visibility timeout (as if the tool had died and time passed). */
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

/** A DLQ entry as listDlqs() would build it, for tests that start at redrive/purge. */
export function dlqEntry(name: string, sourceName?: string): DlqEntry {
  const ref = (n: string, key: string) => ({ key, url: url(n), name: n, arn: arn(n), fifo: n.endsWith('.fifo') });
  return {
    ...ref(name, 'TestDlqUrl'),
    kind: sourceName ? 'queue' : 'sns-subscription',
    depth: { visible: 4, inFlight: 1, delayed: 0 },
    ...(sourceName ? { source: { ...ref(sourceName, 'TestQueueUrl'), maxReceiveCount: 3 } } : {}),
  };
}

/** Park attributes as the consumer writes them. */
export function parkAttributes(sourceMessageId: string, errorType = 'IdempotencyAlreadyInProgressError') {
  const s = (v: string) => ({ DataType: 'String', StringValue: v });
  return {
    'x-error-type': s(errorType),
    'x-error-message': s('There is already an execution in progress'),
    'x-attempts': { DataType: 'Number', StringValue: '3' },
    'x-first-received-at': s('2026-11-23T08:00:00.000Z'),
    'x-failed-at': s('2026-11-23T08:01:00.000Z'),
    'x-source-message-id': s(sourceMessageId),
    'x-consumer': s('analytics-consumer'),
    traceparent: s('00-abc-def-01'),
  };
}
