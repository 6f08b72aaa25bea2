import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DlqEntry } from './catalogue';
import { describeMessage, type MessageReport } from './describe';
import { peek, release } from './peek';

export interface ShowResult {
  dlq: string;
  reports: MessageReport[];
  /** How the messages were looked at, for the output: nothing is consumed. */
  peek: { visibilitySeconds: number; released: number; notReleased: number };
}

/**
 * Reads up to `max` messages of a DLQ with their reasons without consuming
 * them: received with a short visibility timeout, then released
 * (ChangeMessageVisibility 0) even if describing them fails.
 */
export async function show(
  sqs: SQSClient,
  dlq: DlqEntry,
  options: { max: number; visibilitySeconds?: number; waitSeconds?: number },
): Promise<ShowResult> {
  const visibilitySeconds = options.visibilitySeconds ?? 30;
  const { messages } = await peek(sqs, dlq.url, {
    max: options.max,
    visibilitySeconds,
    waitSeconds: options.waitSeconds ?? 1,
  });
  let reports: MessageReport[];
  try {
    reports = messages.map((m) => describeMessage(m, { hasSourceQueue: Boolean(dlq.source) }));
  } catch (error) {
    await release(sqs, dlq.url, messages);
    throw error;
  }
  const notReleased = await release(sqs, dlq.url, messages);
  return {
    dlq: dlq.key,
    reports,
    peek: { visibilitySeconds, released: messages.length - notReleased, notReleased },
  };
}
