import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { storedEnvelope } from '../shared/event-store';
import { storedEventOf } from '../shared/stream';
import { applyEvent, type OrderSummary } from './order-summary';

export interface ProjectorDeps {
  ddb: DynamoDBDocumentClient;
  readModelTable: string;
}

/** An event arrived before the one it follows; the record is retried until the gap closes. */
export class ProjectionGapError extends Error {
  override readonly name = 'ProjectionGapError';
  constructor(
    readonly orderId: string,
    readonly expected: number,
    readonly got: number,
  ) {
    super(`Order ${orderId}: read model expects version ${expected}, stream delivered ${got}`);
  }
}

export type ProjectOutcome = 'applied' | 'duplicate';

/**
 * Applies one stored event to the order summary, only if it is the next
 * version the summary expects. A version already applied is a duplicate and is
 * skipped; a version further ahead is a gap and throws, so it is retried rather
 * than applied out of order. The write is conditional on `lastVersion`, so two
 * concurrent projector invocations cannot both apply the same version.
 */
export async function projectRecord(record: DynamoDBRecord, deps: ProjectorDeps): Promise<ProjectOutcome | 'ignored'> {
  const item = storedEventOf(record);
  if (!item) return 'ignored';
  const current = (
    await deps.ddb.send(
      new GetCommand({ TableName: deps.readModelTable, Key: { orderId: item.aggregateId }, ConsistentRead: true }),
    )
  ).Item as OrderSummary | undefined;
  const lastVersion = current?.lastVersion ?? 0;
  if (item.version <= lastVersion) return 'duplicate';
  if (item.version !== lastVersion + 1) throw new ProjectionGapError(item.aggregateId, lastVersion + 1, item.version);

  const next = applyEvent(current, storedEnvelope(item), item.version);
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.readModelTable,
      Item: next,
      ConditionExpression: current ? 'lastVersion = :last' : 'attribute_not_exists(orderId)',
      ...(current ? { ExpressionAttributeValues: { ':last': lastVersion } } : {}),
    }),
  );
  return 'applied';
}

/**
 * Projects a stream batch in order. On the first failure the handler reports
 * that record; Lambda retries from it, keeping per-aggregate order.
 */
export async function projectBatch(
  records: DynamoDBRecord[],
  deps: ProjectorDeps,
): Promise<{ response: DynamoDBBatchResponse; error?: unknown }> {
  for (const record of records) {
    try {
      await projectRecord(record, deps);
    } catch (error) {
      return { response: { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] }, error };
    }
  }
  return { response: { batchItemFailures: [] } };
}
