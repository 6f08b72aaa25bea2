import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { AppendTooLargeError, ConcurrencyError, WriteConditionFailedError } from '../contracts/errors';
import { assertEventFits, type Envelope, parseEnvelope } from '../messages/envelope';

/**
 * The event store library: append-only streams of events per aggregate on
 * DynamoDB, with optimistic concurrency, paginated reads, folds ("time travel"
 * to any version or instant) and snapshots.
 *
 * Events table: partition key `aggregateId`, sort key `version` (1, 2, 3, …
 * with no gaps). Items keep the whole envelope as JSON so a reader gets back
 * exactly what was written. Snapshots table (optional): same keys, one item per
 * snapshot, holding the folded state as of that version.
 */
export interface StoredEvent {
  aggregateId: string;
  version: number;
  eventId: string;
  type: string;
  time: string;
  envelope: string;
}

/** Where an event store lives and how often it snapshots. */
export interface EventStoreTables {
  /** The events table. */
  eventTable: string;
  /** The snapshots table; without it no snapshot is written or read. */
  snapshotTable?: string;
  /** Write a snapshot whenever an append crosses a multiple of this many events; 0 or unset = never. */
  snapshotEvery?: number;
}

/**
 * How an aggregate's state is rebuilt from its events: a pure left fold.
 * `snapshotSchemaVersion` names the shape of the state; bump it when `apply`
 * changes what it produces, and snapshots of the old shape are ignored.
 */
export interface Aggregate<S> {
  readonly name: string;
  readonly snapshotSchemaVersion: number;
  apply(state: S | undefined, event: Envelope, version: number): S;
}

/** A snapshot item: the folded state of `aggregateId` as of `version` (whose event happened at `time`). */
export interface StoredSnapshot {
  aggregateId: string;
  version: number;
  time: string;
  aggregateType: string;
  schemaVersion: number;
  state: string;
}

/**
 * Largest snapshot state we write: DynamoDB caps an item at 400 KB, and we keep
 * a margin for the other attributes. (Events have a tighter rule, the bus's:
 * see `MAX_EVENT_BYTES` in ./envelope.)
 */
export const MAX_SNAPSHOT_STATE_BYTES = 350 * 1024;
/** DynamoDB's limits on one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
/** Attempts when DynamoDB cancels a transaction for a conflict with another one in flight. */
const TRANSACTION_CONFLICT_ATTEMPTS = 4;

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

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

/**
 * Builds the conditional put that appends `envelope` at `version`. Throws
 * an `InvalidEventError` (`OVERSIZED`) when the event breaks the size rule of
 * every event (`assertEventFits`): the relay puts every stored event on the
 * bus, so an event the bus would refuse must never be stored (it would stick
 * at the relay for ever, written but never published). The few bytes of
 * `aggregateVersion` added here are part of the rule's headroom.
 */
export function appendPut(table: string, aggregateId: string, version: number, envelope: Envelope): TransactItem {
  assertEventFits(envelope);
  const withVersion = { ...envelope, metadata: { ...envelope.metadata, aggregateVersion: version } };
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

export interface AppendParams<S> {
  aggregateId: string;
  /** The version the writer last saw (0 for a new aggregate); the events become expectedVersion + 1, + 2, … */
  expectedVersion: number;
  events: Envelope[];
  /** The caller's own state changes, committed in the same transaction (transactional outbox). */
  writes?: TransactItem[];
  /** Needed to write snapshots; without it no snapshot is written. */
  aggregate?: Aggregate<S>;
}

/**
 * Appends `events` to an aggregate at `expectedVersion`, atomically: all the
 * events and the caller's `writes` land, or nothing does.
 *
 * - If the aggregate is not at `expectedVersion` (someone appended first, or
 *   the writer is ahead of the store), a {@link ConcurrencyError} says the
 *   expected and the actual version. Of two writers at the same version exactly
 *   one wins: each event put is conditional on its version not existing, and
 *   the expected version itself must exist, so no gap can be created either.
 * - A failed condition on one of `writes` is a {@link WriteConditionFailedError}.
 * - A transaction DynamoDB cannot hold (over 100 items or 4 MB) is an
 *   {@link AppendTooLargeError}; an event too big for the bus (which the
 *   relay could never publish) an `InvalidEventError` (`OVERSIZED`); both
 *   before anything is sent.
 * - When the append crosses a multiple of `snapshotEvery`, the snapshot of the
 *   new state is written in the same transaction.
 */
export async function appendEvents<S>(
  ddb: DynamoDBDocumentClient,
  store: EventStoreTables,
  params: AppendParams<S>,
): Promise<{ fromVersion: number; toVersion: number; snapshotVersion?: number }> {
  const { aggregateId, expectedVersion, events } = params;
  const writes = params.writes ?? [];
  if (events.length === 0) throw new Error('appendEvents needs at least one event');
  if (!Number.isInteger(expectedVersion) || expectedVersion < 0) {
    throw new Error(`expectedVersion must be a whole number ≥ 0, got ${expectedVersion}`);
  }
  const fromVersion = expectedVersion + 1;
  const toVersion = expectedVersion + events.length;
  const guard: TransactItem[] =
    expectedVersion > 0
      ? [
          {
            ConditionCheck: {
              TableName: store.eventTable,
              Key: { aggregateId, version: expectedVersion },
              ConditionExpression: 'attribute_exists(version)',
            },
          },
        ]
      : [];
  const puts = events.map((event, i) => appendPut(store.eventTable, aggregateId, fromVersion + i, event));
  const snapshot = await snapshotFor(ddb, store, params, toVersion);
  const items = [...writes, ...guard, ...puts, ...(snapshot ? [snapshot] : [])];
  assertTransactionFits(items);

  for (let attempt = 1; ; attempt++) {
    try {
      await ddb.send(new TransactWriteCommand({ TransactItems: items }));
      return { fromVersion, toVersion, ...(snapshot ? { snapshotVersion: toVersion } : {}) };
    } catch (error) {
      // Another transaction on the same items was in flight: nobody knows yet
      // who wins, so ask again; the conditions decide.
      if (isTransactionConflict(error) && attempt < TRANSACTION_CONFLICT_ATTEMPTS) {
        await sleep(10 * 2 ** attempt * Math.random());
        continue;
      }
      const failed = failedConditionIndexes(error);
      if (!failed) throw error;
      const own = failed.filter((i) => i < writes.length);
      if (own.length > 0) throw new WriteConditionFailedError(own, { cause: error });
      const actual = await currentVersion(ddb, store.eventTable, aggregateId);
      throw new ConcurrencyError(aggregateId, expectedVersion, actual, { cause: error });
    }
  }
}

/**
 * Appends one event at the aggregate's next version, retrying a lost version
 * race with a fresh version (`maxAttempts`). For writers that record a fact
 * whatever the aggregate's version (the saga's services, whose own `writes`
 * carry the business conditions); writers that decided on a state they read
 * use {@link appendEvents} with that state's version instead.
 */
export async function recordFact<S>(
  ddb: DynamoDBDocumentClient,
  store: EventStoreTables,
  params: {
    aggregateId: string;
    event: Envelope;
    writes?: TransactItem[];
    aggregate?: Aggregate<S>;
    maxAttempts?: number;
  },
): Promise<{ version: number }> {
  const maxAttempts = params.maxAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const expectedVersion = await currentVersion(ddb, store.eventTable, params.aggregateId);
    try {
      const { toVersion } = await appendEvents(ddb, store, { ...params, expectedVersion, events: [params.event] });
      return { version: toVersion };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw error;
    }
  }
}

/**
 * Reads an aggregate's events in version order, one page (up to `pageSize`
 * events) at a time, from `fromVersion` up to `toVersion` (inclusive).
 */
export async function* readStream(
  ddb: DynamoDBDocumentClient,
  table: string,
  aggregateId: string,
  options: { fromVersion?: number; toVersion?: number; pageSize?: number } = {},
): AsyncGenerator<StoredEvent[]> {
  const from = options.fromVersion ?? 1;
  const to = options.toVersion ?? Number.MAX_SAFE_INTEGER;
  if (to < from) return;
  let startKey: QueryCommandInput['ExclusiveStartKey'];
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'aggregateId = :id AND version BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':id': aggregateId, ':from': from, ':to': to },
        ConsistentRead: true,
        Limit: options.pageSize ?? 100,
        ExclusiveStartKey: startKey,
      }),
    );
    const items = (page.Items ?? []) as StoredEvent[];
    if (items.length > 0) yield items;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Parses a stored item back into its envelope, upcast to the current schema version of its type. */
export function storedEnvelope(item: Pick<StoredEvent, 'envelope'>): Envelope {
  return parseEnvelope(JSON.parse(item.envelope));
}

/** Folds stored events (in version order) onto `state`. Pure; the live projector and rebuilds share it. */
export function foldEvents<S>(aggregate: Aggregate<S>, events: StoredEvent[], state?: S): S | undefined {
  return events.reduce<S | undefined>(
    (current, item) => aggregate.apply(current, storedEnvelope(item), item.version),
    state,
  );
}

export interface LoadOptions {
  /** State as of this version (inclusive). */
  asOfVersion?: number;
  /** State as of this instant: every event whose `time` is at or before it. */
  asOfTime?: Date;
  /** Start from the latest usable snapshot (default true); false folds every event. */
  useSnapshots?: boolean;
}

export interface LoadedAggregate<S> {
  /** Undefined when the aggregate has no event in range. */
  state: S | undefined;
  /** The version of the last event folded (0 if none). */
  version: number;
  /** The snapshot the fold started from, if any. */
  snapshotVersion?: number;
  /** Events read from the store after the snapshot. */
  eventsRead: number;
}

/**
 * Rebuilds an aggregate's state: the latest snapshot at or before the target
 * (version or time) plus the events after it, or a full fold of its events.
 */
export async function loadAggregate<S>(
  ddb: DynamoDBDocumentClient,
  store: EventStoreTables,
  aggregate: Aggregate<S>,
  aggregateId: string,
  options: LoadOptions = {},
): Promise<LoadedAggregate<S>> {
  const asOfTime = options.asOfTime?.toISOString();
  const snapshot =
    options.useSnapshots !== false && store.snapshotTable
      ? await latestSnapshot(ddb, store.snapshotTable, aggregate, aggregateId, options.asOfVersion, asOfTime)
      : undefined;
  let state = snapshot ? (JSON.parse(snapshot.state) as S) : undefined;
  let version = snapshot?.version ?? 0;
  let eventsRead = 0;
  pages: for await (const page of readStream(ddb, store.eventTable, aggregateId, {
    fromVersion: version + 1,
    toVersion: options.asOfVersion,
  })) {
    for (const item of page) {
      if (asOfTime && item.time > asOfTime) break pages;
      state = aggregate.apply(state, storedEnvelope(item), item.version);
      version = item.version;
      eventsRead++;
    }
  }
  return { state, version, eventsRead, ...(snapshot ? { snapshotVersion: snapshot.version } : {}) };
}

/** The newest snapshot of this aggregate's current state shape at or before the version/time, if any. */
async function latestSnapshot<S>(
  ddb: DynamoDBDocumentClient,
  table: string,
  aggregate: Aggregate<S>,
  aggregateId: string,
  asOfVersion?: number,
  asOfTime?: string,
): Promise<StoredSnapshot | undefined> {
  let startKey: QueryCommandInput['ExclusiveStartKey'];
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'aggregateId = :id AND version <= :v',
        FilterExpression: `aggregateType = :type AND schemaVersion = :sv${asOfTime ? ' AND #time <= :t' : ''}`,
        ExpressionAttributeValues: {
          ':id': aggregateId,
          ':v': asOfVersion ?? Number.MAX_SAFE_INTEGER,
          ':type': aggregate.name,
          ':sv': aggregate.snapshotSchemaVersion,
          ...(asOfTime ? { ':t': asOfTime } : {}),
        },
        ...(asOfTime ? { ExpressionAttributeNames: { '#time': 'time' } } : {}),
        ScanIndexForward: false,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    const found = page.Items?.[0] as StoredSnapshot | undefined;
    if (found) return found;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return undefined;
}

/**
 * The snapshot put for an append that crosses a multiple of `snapshotEvery`,
 * or undefined. The state is the one as of `expectedVersion` (loaded) with the
 * new events folded on; a state too big for one item is simply not
 * snapshotted (loading then folds the events, which is slower, never wrong).
 */
async function snapshotFor<S>(
  ddb: DynamoDBDocumentClient,
  store: EventStoreTables,
  params: AppendParams<S>,
  toVersion: number,
): Promise<TransactItem | undefined> {
  const every = store.snapshotEvery ?? 0;
  const { aggregate } = params;
  if (!aggregate || !store.snapshotTable || every <= 0) return undefined;
  if (Math.floor(toVersion / every) === Math.floor(params.expectedVersion / every)) return undefined;
  const loaded = await loadAggregate(ddb, store, aggregate, params.aggregateId, {
    asOfVersion: params.expectedVersion,
  });
  if (loaded.version !== params.expectedVersion) {
    // The writer is ahead of the store: the append's own guard will refuse it.
    return undefined;
  }
  let state = loaded.state;
  params.events.forEach((event, i) => {
    state = aggregate.apply(state, event, params.expectedVersion + 1 + i);
  });
  const item: StoredSnapshot = {
    aggregateId: params.aggregateId,
    version: toVersion,
    time: params.events[params.events.length - 1].time,
    aggregateType: aggregate.name,
    schemaVersion: aggregate.snapshotSchemaVersion,
    state: JSON.stringify(state),
  };
  if (Buffer.byteLength(item.state, 'utf8') > MAX_SNAPSHOT_STATE_BYTES) return undefined;
  return { Put: { TableName: store.snapshotTable, Item: item, ConditionExpression: 'attribute_not_exists(version)' } };
}

function assertTransactionFits(items: TransactItem[]): void {
  if (items.length > MAX_TRANSACTION_ITEMS) {
    throw new AppendTooLargeError(
      `An append of ${items.length} items exceeds DynamoDB's ${MAX_TRANSACTION_ITEMS} per transaction; split the events`,
    );
  }
  const bytes = Buffer.byteLength(JSON.stringify(items), 'utf8');
  if (bytes > MAX_TRANSACTION_BYTES) {
    throw new AppendTooLargeError(
      `An append of ${bytes} bytes exceeds DynamoDB's ${MAX_TRANSACTION_BYTES} bytes per transaction; split the events`,
    );
  }
}

/** The cancellation reason codes of a cancelled transaction, in item order; undefined for any other error. */
export function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  const isCancelled =
    error instanceof TransactionCanceledException ||
    (error as { name?: string } | undefined)?.name === 'TransactionCanceledException';
  if (!isCancelled) return undefined;
  return ((error as TransactionCanceledException).CancellationReasons ?? []).map((reason) => reason?.Code);
}

function isTransactionConflict(error: unknown): boolean {
  const codes = cancellationCodes(error);
  return (
    (codes?.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed')) ||
    (error as { name?: string } | undefined)?.name === 'TransactionConflictException'
  );
}

/** Indexes of the transaction items whose condition failed, or undefined for any other error. */
export function failedConditionIndexes(error: unknown): number[] | undefined {
  const codes = cancellationCodes(error);
  if (!codes) return undefined;
  const failed = codes.flatMap((code, index) => (code === 'ConditionalCheckFailed' ? [index] : []));
  return failed.length > 0 ? failed : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
