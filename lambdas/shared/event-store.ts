import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { assertWithinSizeLimit, type Envelope } from './envelope';

/**
 * The event store: one item per event, partition key `aggregateId`, sort key
 * `version` (1, 2, 3, … with no gaps). An append is a conditional put on
 * `attribute_not_exists(version)`, so two writers at the same version cannot
 * both win. Items keep the whole envelope as JSON so a reader gets back exactly
 * what was written.
 */
export interface StoredEvent {
  aggregateId: string;
  version: number;
  eventId: string;
  type: string;
  time: string;
  envelope: string;
}

/** DynamoDB caps an item at 400 KB; we keep a margin for the other attributes. */
export const MAX_STORED_ENVELOPE_BYTES = 350 * 1024;

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Two writers raced for the same version of an aggregate; the loser gets this. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly aggregateId: string,
    readonly expectedVersion: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Aggregate ${aggregateId} is no longer at version ${expectedVersion}; another writer appended first`,
      options,
    );
  }
}

/**
 * A condition on one of the caller's own writes failed (for example "stock ≥
 * quantity" or "no payment recorded yet"). `failedIndexes` are positions in the
 * caller's `writes` list, so the caller can tell which business rule said no.
 */
export class WriteConditionFailedError extends Error {
  override readonly name = 'WriteConditionFailedError';
  constructor(
    readonly failedIndexes: number[],
    options?: { cause?: unknown },
  ) {
    super(`Conditional write(s) failed at index ${failedIndexes.join(', ')}`, options);
  }
}

/** The highest version stored for an aggregate, 0 when it has no events. */
export async function currentVersion(ddb: DynamoDBDocumentClient, table: string, aggregateId: string): Promise<number> {
  const result = await ddb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'aggregateId = :id',
      ExpressionAttributeValues: { ':id': aggregateId },
      ProjectionExpression: 'version',
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  return (result.Items?.[0]?.version as number | undefined) ?? 0;
}

/** Builds the conditional put that appends `envelope` at `version`. */
export function appendPut(table: string, aggregateId: string, version: number, envelope: Envelope): TransactItem {
  const withVersion = { ...envelope, metadata: { ...envelope.metadata, aggregateVersion: version } };
  assertWithinSizeLimit(withVersion, MAX_STORED_ENVELOPE_BYTES);
  const item: StoredEvent = {
    aggregateId,
    version,
    eventId: envelope.id,
    type: envelope.type,
    time: envelope.time,
    envelope: JSON.stringify(withVersion),
  };
  return {
    Put: {
      TableName: table,
      Item: item,
      // The concurrency guard: this version must not exist yet.
      ConditionExpression: 'attribute_not_exists(version)',
    },
  };
}

/**
 * Appends one event to an aggregate at its next version, atomically with the
 * caller's own `writes` (state changes of the service that produced the fact).
 * Either every write and the event land, or none does: the transactional
 * outbox that lets the stream relay publish exactly what was recorded.
 *
 * A lost version race is retried with a fresh version (`maxAttempts`); a failed
 * condition on one of `writes` is a {@link WriteConditionFailedError}.
 */
export async function recordFact(
  ddb: DynamoDBDocumentClient,
  params: {
    eventStoreTable: string;
    aggregateId: string;
    event: Envelope;
    writes?: TransactItem[];
    maxAttempts?: number;
  },
): Promise<{ version: number }> {
  const writes = params.writes ?? [];
  const maxAttempts = params.maxAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const version = (await currentVersion(ddb, params.eventStoreTable, params.aggregateId)) + 1;
    try {
      await ddb.send(
        new TransactWriteCommand({
          TransactItems: [...writes, appendPut(params.eventStoreTable, params.aggregateId, version, params.event)],
        }),
      );
      return { version };
    } catch (error) {
      const failed = failedConditionIndexes(error);
      if (!failed) throw error;
      const own = failed.filter((i) => i < writes.length);
      if (own.length > 0) throw new WriteConditionFailedError(own, { cause: error });
      if (attempt >= maxAttempts) throw new ConcurrencyError(params.aggregateId, version - 1, { cause: error });
    }
  }
}

/** Indexes of the transaction items whose condition failed, or undefined for any other error. */
export function failedConditionIndexes(error: unknown): number[] | undefined {
  const isCancelled =
    error instanceof TransactionCanceledException ||
    (error as { name?: string } | undefined)?.name === 'TransactionCanceledException';
  if (!isCancelled) return undefined;
  const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
  const failed = reasons.flatMap((reason, index) => (reason?.Code === 'ConditionalCheckFailed' ? [index] : []));
  return failed.length > 0 ? failed : undefined;
}

/** Parses a stored item back into its envelope. */
export function storedEnvelope(item: Pick<StoredEvent, 'envelope'>): Envelope {
  return JSON.parse(item.envelope) as Envelope;
}
