import { PurgeQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DlqEntry } from './catalogue';
import { DlqRefusal } from './errors';

/**
 * Deletes every message of a DLQ, for good. Refuses without `yes`, saying how
 * many messages would be lost. SQS may take up to 60 s to finish a purge and
 * allows one purge per queue per 60 s.
 */
export async function purge(sqs: SQSClient, dlq: DlqEntry, options: { yes: boolean }): Promise<{ purged: number }> {
  const depth = dlq.depth.visible + dlq.depth.inFlight + dlq.depth.delayed;
  if (!options.yes) {
    throw new DlqRefusal(
      `Refusing to purge ${dlq.key} (${dlq.name}): ${depth} message(s) would be lost for good ` +
        `(${dlq.depth.visible} visible, ${dlq.depth.inFlight} in flight, ${dlq.depth.delayed} delayed). ` +
        `Look at them first (dlq show ${dlq.key.replace(/Url$/, '')}), redrive what can be saved, ` +
        'then purge with --yes.',
    );
  }
  await sqs.send(new PurgeQueueCommand({ QueueUrl: dlq.url }));
  return { purged: depth };
}
