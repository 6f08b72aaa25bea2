import {
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DlqRefusal, isUnsupportedOperation } from './errors';

/**
 * What feeds a dead-letter queue, which decides what an operator can do with it:
 * only a `queue` DLQ has a source queue to redrive to.
 */
export type DlqKind = 'queue' | 'sns-subscription' | 'rule-target' | 'stream-failure' | 'unknown';

/** How a stack output key names a DLQ, and what kind it is when no source queue points at it. */
const DLQ_OUTPUT_PATTERNS: { pattern: RegExp; kind: DlqKind; description: string }[] = [
  { pattern: /SubscriptionDlqUrl$/, kind: 'sns-subscription', description: 'SNS subscription DLQ' },
  { pattern: /RuleTargetDlqUrl$/, kind: 'rule-target', description: 'EventBridge rule-target DLQ' },
  { pattern: /FailureQueueUrl$/, kind: 'stream-failure', description: 'stream on-failure destination' },
  { pattern: /DlqUrl$/, kind: 'queue', description: 'queue DLQ' },
];

export const KIND_DESCRIPTIONS: Record<DlqKind, string> = {
  queue: 'queue DLQ',
  'sns-subscription': 'SNS subscription DLQ',
  'rule-target': 'EventBridge rule-target DLQ',
  'stream-failure': 'stream on-failure destination',
  unknown: 'DLQ',
};

export interface QueueRef {
  /** The stack output key that holds the URL (e.g. `EmailDlqUrl`). */
  key: string;
  url: string;
  name: string;
  arn: string;
  fifo: boolean;
}

export interface DlqEntry extends QueueRef {
  kind: DlqKind;
  depth: { visible: number; inFlight: number; delayed: number };
  /** The queue whose redrive policy points here; only `queue` DLQs have one. */
  source?: QueueRef & { maxReceiveCount?: number };
  /** Whether the source came from ListDeadLetterSourceQueues or from matching RedrivePolicy (engine fallback). */
  sourceFoundBy?: 'ListDeadLetterSourceQueues' | 'RedrivePolicy';
}

/** The queue name is the last path segment of its URL (same on AWS and LocalStack-compatible engines). */
export function queueNameOf(url: string): string {
  const name = new URL(url).pathname.split('/').filter(Boolean).pop();
  if (!name) throw new Error(`Not a queue URL: ${url}`);
  return name;
}

/** The DLQ output keys of a stack and their kind, in output order. */
export function dlqOutputKeys(outputs: Record<string, string>): { key: string; kind: DlqKind }[] {
  const found: { key: string; kind: DlqKind }[] = [];
  for (const key of Object.keys(outputs)) {
    const match = DLQ_OUTPUT_PATTERNS.find((p) => p.pattern.test(key));
    if (match) found.push({ key, kind: match.kind });
  }
  return found;
}

/** Output keys of the stack's ordinary queues (possible redrive sources): `*QueueUrl` that are not failure queues. */
export function sourceQueueKeys(outputs: Record<string, string>): string[] {
  return Object.keys(outputs).filter((k) => /QueueUrl$/.test(k) && !DLQ_OUTPUT_PATTERNS.some((p) => p.pattern.test(k)));
}

const QUEUE_ATTRIBUTES: QueueAttributeName[] = [
  'QueueArn',
  'FifoQueue',
  'RedrivePolicy',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
];

async function queueAttributes(sqs: SQSClient, url: string): Promise<Record<string, string>> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: QUEUE_ATTRIBUTES }),
  );
  return Attributes ?? {};
}

const count = (value: string | undefined) => Number(value ?? 0) || 0;

/**
 * Every DLQ of the deployed stack with its depth and source queue.
 *
 * The source comes from SQS ListDeadLetterSourceQueues; where the endpoint does not
 * implement it (MiniStack 1.5.33), from the RedrivePolicy of the stack's own queues.
 */
export async function listDlqs(sqs: SQSClient, outputs: Record<string, string>): Promise<DlqEntry[]> {
  const candidates = sourceQueueKeys(outputs);
  const attributesByUrl = new Map<string, Record<string, string>>();
  const attributesOf = async (url: string) => {
    let attributes = attributesByUrl.get(url);
    if (!attributes) {
      attributes = await queueAttributes(sqs, url);
      attributesByUrl.set(url, attributes);
    }
    return attributes;
  };
  const refOf = async (key: string, url: string): Promise<QueueRef> => {
    const attributes = await attributesOf(url);
    return {
      key,
      url,
      name: queueNameOf(url),
      arn: attributes.QueueArn ?? '',
      fifo: attributes.FifoQueue === 'true' || url.endsWith('.fifo'),
    };
  };
  // ListDeadLetterSourceQueues may spell a URL differently from the output (host form): match by queue name.
  const keyOfUrl = (url: string) => candidates.find((k) => queueNameOf(outputs[k]) === queueNameOf(url));

  let listSupported = true;
  const entries: DlqEntry[] = [];
  for (const { key, kind } of dlqOutputKeys(outputs)) {
    const url = outputs[key];
    const ref = await refOf(key, url);
    const attributes = await attributesOf(url);
    const entry: DlqEntry = {
      ...ref,
      kind,
      depth: {
        visible: count(attributes.ApproximateNumberOfMessages),
        inFlight: count(attributes.ApproximateNumberOfMessagesNotVisible),
        delayed: count(attributes.ApproximateNumberOfMessagesDelayed),
      },
    };

    let sourceUrl: string | undefined;
    if (listSupported) {
      try {
        const { queueUrls } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: url }));
        sourceUrl = queueUrls?.[0];
        if (sourceUrl) entry.sourceFoundBy = 'ListDeadLetterSourceQueues';
      } catch (error) {
        if (!isUnsupportedOperation(error)) throw error;
        listSupported = false;
      }
    }
    if (!listSupported) {
      for (const candidateKey of candidates) {
        const policy = (await attributesOf(outputs[candidateKey])).RedrivePolicy;
        if (policy && redriveTargetOf(policy) === ref.arn) {
          sourceUrl = outputs[candidateKey];
          entry.sourceFoundBy = 'RedrivePolicy';
          break;
        }
      }
    }
    if (sourceUrl) {
      const source = await refOf(keyOfUrl(sourceUrl) ?? queueNameOf(sourceUrl), sourceUrl);
      const policy = (await attributesOf(sourceUrl)).RedrivePolicy;
      entry.source = { ...source, maxReceiveCount: policy ? maxReceiveCountOf(policy) : undefined };
      entry.kind = 'queue';
    } else if (kind === 'queue') {
      // Named like a queue DLQ, yet nothing redrives into it (e.g. its source queue was removed).
      entry.kind = 'unknown';
    }
    entries.push(entry);
  }
  return entries;
}

function parsePolicy(policy: string): { deadLetterTargetArn?: string; maxReceiveCount?: number | string } {
  try {
    return JSON.parse(policy) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
  } catch {
    return {};
  }
}

export const redriveTargetOf = (policy: string) => parsePolicy(policy).deadLetterTargetArn;
export const maxReceiveCountOf = (policy: string) => {
  const value = Number(parsePolicy(policy).maxReceiveCount);
  return Number.isFinite(value) && value > 0 ? value : undefined;
};

/** The names an operator may use for a DLQ: the output key with or without `Url`, the queue name, URL and ARN. */
export function namesOf(entry: QueueRef): string[] {
  return [entry.key, entry.key.replace(/Url$/, ''), entry.name, entry.url, entry.arn].filter(Boolean);
}

/**
 * Finds the DLQ an operator named. Case-insensitive on output keys; exact on
 * names, URLs and ARNs. An unknown name fails with the list of valid ones.
 */
export function resolveDlq(entries: DlqEntry[], wanted: string | undefined): DlqEntry {
  const valid = () =>
    entries
      .map((e) => `  ${e.key.replace(/Url$/, '').padEnd(28)} ${e.name}  (${KIND_DESCRIPTIONS[e.kind]})`)
      .join('\n');
  if (!wanted) throw new DlqRefusal(`Name a DLQ (output key, queue name, URL or ARN). Valid DLQs:\n${valid()}`);
  const key = wanted.toLowerCase();
  const match = entries.find(
    (e) =>
      e.key.toLowerCase() === key ||
      e.key.replace(/Url$/, '').toLowerCase() === key ||
      [e.name, e.url, e.arn].includes(wanted),
  );
  if (!match)
    throw new DlqRefusal(`Unknown DLQ "${wanted}". Valid DLQs (output key or queue name, URL or ARN):\n${valid()}`);
  return match;
}
