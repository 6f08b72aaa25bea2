import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { ProjectionGapError } from '../contracts/errors';
import { storedEnvelope, type TransactItem } from '../event-store/event-store';
import { storedEventOf } from '../event-store/stream-records';
import { CUSTOMER_STATS_COUNTERS, type CustomerStatsDelta, customerStatsDelta } from './customer-stats';
import { applyEvent, type OrderSummary } from './order-summary';

export interface ProjectorDeps {
  ddb: DynamoDBDocumentClient;
  /** Order summaries (pk `orderId`), also the per-order checkpoint of every read model. */
  readModelTable: string;
  /** Customer statistics (pk `customerId`). */
  customerStatsTable: string;
}

export type ProjectOutcome = 'applied' | 'duplicate' | 'ignored';

/**
 * Applies one stored event to every read model, only if it is the next version
 * the order's summary expects. A version already applied is a duplicate and is
 * skipped; a version further ahead is a gap and throws, so it is retried rather
 * than applied out of order.
 *
 * The summary's `lastVersion` is the checkpoint of all read models: the summary
 * put (conditional on `lastVersion`) and the customer statistics update are one
 * transaction, so an event is counted in both or in neither, and two concurrent
 * projector invocations cannot both apply it.
 */
export async function projectRecord(record: DynamoDBRecord, deps: ProjectorDeps): Promise<ProjectOutcome> {
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

  const envelope = storedEnvelope(item);
  const next = applyEvent(current, envelope, item.version);
  const stats = customerStatsDelta(current, next, envelope);
  const writes: TransactItem[] = [
    {
      Put: {
        TableName: deps.readModelTable,
        Item: next,
        ConditionExpression: current ? 'lastVersion = :last' : 'attribute_not_exists(orderId)',
        ...(current ? { ExpressionAttributeValues: { ':last': lastVersion } } : {}),
      },
    },
    ...(stats ? [addCustomerStats(deps.customerStatsTable, stats.customerId, stats.delta)] : []),
  ];
  await deps.ddb.send(new TransactWriteCommand({ TransactItems: writes }));
  return 'applied';
}

/** `ADD` of every counter (zeros included, so every item carries all of them). */
function addCustomerStats(table: string, customerId: string, delta: CustomerStatsDelta): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: { customerId },
      UpdateExpression: `ADD ${CUSTOMER_STATS_COUNTERS.map((k) => `#${k} :${k}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(CUSTOMER_STATS_COUNTERS.map((k) => [`#${k}`, k])),
      ExpressionAttributeValues: Object.fromEntries(CUSTOMER_STATS_COUNTERS.map((k) => [`:${k}`, delta[k]])),
    },
  };
}

export interface BatchOutcome {
  response: DynamoDBBatchResponse;
  counts: Record<ProjectOutcome, number>;
  /** The failure that stopped the batch, with the record it happened on. */
  failure?: { error: unknown; record: DynamoDBRecord };
}

/**
 * Projects a stream batch in order. On the first failure the handler reports
 * that record; Lambda retries from it, keeping per-aggregate order.
 */
export async function projectBatch(records: DynamoDBRecord[], deps: ProjectorDeps): Promise<BatchOutcome> {
  const counts: Record<ProjectOutcome, number> = { applied: 0, duplicate: 0, ignored: 0 };
  for (const record of records) {
    try {
      counts[await projectRecord(record, deps)]++;
    } catch (error) {
      return {
        response: { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] },
        counts,
        failure: { error, record },
      };
    }
  }
  return { response: { batchItemFailures: [] }, counts };
}
