import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown> & { aggregateId: string; version: number };

/**
 * An in-memory stand-in for the event store's two tables, answering exactly
 * the Query and TransactWriteItems shapes lambdas/event-store/event-store.ts sends
 * (and, for a service table written in the same transactions, `attribute_not_exists`
 * Puts and consistent Gets by `pk`/`sk`)
 * (key conditions on `version`, `Limit` before `FilterExpression` as DynamoDB
 * does, paging, and all-or-nothing conditional transactions), so the
 * library's logic is unit-tested without an engine. The integration tests run
 * the same code against the real engine.
 */
export function inMemoryEventStore() {
  const tables = new Map<string, Map<string, Item>>();
  const table = (name: string) => tables.get(name) ?? tables.set(name, new Map()).get(name)!;
  // Event-store keys (aggregateId, version), or a service table's (pk, sk) written in the same transaction.
  const keyOf = (k: { aggregateId?: unknown; version?: unknown; pk?: unknown; sk?: unknown }) =>
    k.pk !== undefined ? `${k.pk}#${k.sk}` : `${k.aggregateId}#${k.version}`;
  let conflictsToInject = 0;

  const mock = mockClient(DynamoDBDocumentClient);
  mock.on(QueryCommand).callsFake((input: QueryCommandInput) => query(input));
  mock.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => transact(input));
  mock.on(GetCommand).callsFake((input: GetCommandInput) => {
    const item = table(input.TableName!).get(keyOf(input.Key as { pk?: unknown; sk?: unknown }));
    return { Item: item ? structuredClone(item) : undefined };
  });

  function query(input: QueryCommandInput) {
    const v = input.ExpressionAttributeValues ?? {};
    const kc = input.KeyConditionExpression ?? '';
    let items = [...table(input.TableName!).values()].filter((i) => i.aggregateId === v[':id']);
    if (kc.includes('BETWEEN')) items = items.filter((i) => i.version >= v[':from'] && i.version <= v[':to']);
    if (kc.includes('version <= :v')) items = items.filter((i) => i.version <= v[':v']);
    items.sort((a, b) => (input.ScanIndexForward === false ? b.version - a.version : a.version - b.version));
    if (input.ExclusiveStartKey) {
      const at = items.findIndex((i) => keyOf(i) === keyOf(input.ExclusiveStartKey as Item));
      items = items.slice(at + 1);
    }
    const limited = input.Limit ? items.slice(0, input.Limit) : items;
    const more = input.Limit !== undefined && items.length > input.Limit;
    let result = limited;
    if (input.FilterExpression) {
      result = limited.filter(
        (i) =>
          i.aggregateType === v[':type'] &&
          i.schemaVersion === v[':sv'] &&
          (v[':t'] === undefined || String(i.time) <= String(v[':t'])),
      );
    }
    const last = limited[limited.length - 1];
    return {
      Items: structuredClone(result),
      ...(more && last ? { LastEvaluatedKey: { aggregateId: last.aggregateId, version: last.version } } : {}),
    };
  }

  function transact(input: TransactWriteCommandInput) {
    const items = input.TransactItems ?? [];
    if (conflictsToInject > 0) {
      conflictsToInject--;
      throw cancelled(items.map(() => 'TransactionConflict'));
    }
    const codes = items.map((item) => {
      if (item.Put) {
        const exists = table(item.Put.TableName!).has(keyOf(item.Put.Item as Item));
        return item.Put.ConditionExpression?.startsWith('attribute_not_exists') && exists
          ? 'ConditionalCheckFailed'
          : 'None';
      }
      if (item.ConditionCheck) {
        const exists = table(item.ConditionCheck.TableName!).has(keyOf(item.ConditionCheck.Key as Item));
        return exists ? 'None' : 'ConditionalCheckFailed';
      }
      throw new Error('in-memory event store: only Put and ConditionCheck are supported');
    });
    if (codes.some((c) => c !== 'None')) throw cancelled(codes);
    for (const item of items) {
      if (item.Put)
        table(item.Put.TableName!).set(keyOf(item.Put.Item as Item), structuredClone(item.Put.Item as Item));
    }
    return {};
  }

  return {
    ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    mock,
    /** Items of a table, in key order. */
    items: (name: string) => [...table(name).values()].sort((a, b) => a.version - b.version),
    /** Puts an item directly (e.g. an event written by an older version of the code). */
    put: (name: string, item: Item) => table(name).set(keyOf(item), item),
    /** The next `n` transactions are cancelled with TransactionConflict, as DynamoDB does under contention. */
    injectConflicts: (n: number) => {
      conflictsToInject = n;
    },
  };
}

export function cancelled(codes: string[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}
