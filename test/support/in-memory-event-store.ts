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
 * Puts, conditional Updates in the forms the saga's services send — see
 * {@link applyUpdate} — and consistent Gets by `pk`/`sk`)
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
      if (item.Update) {
        const current = table(item.Update.TableName!).get(keyOf(item.Update.Key as Item));
        return applyUpdate(item.Update, current) ? 'None' : 'ConditionalCheckFailed';
      }
      throw new Error('in-memory event store: only Put, Update and ConditionCheck are supported');
    });
    if (codes.some((c) => c !== 'None')) throw cancelled(codes);
    for (const item of items) {
      if (item.Put)
        table(item.Put.TableName!).set(keyOf(item.Put.Item as Item), structuredClone(item.Put.Item as Item));
      if (item.Update) {
        const t = table(item.Update.TableName!);
        const key = keyOf(item.Update.Key as Item);
        t.set(key, applyUpdate(item.Update, t.get(key)) as Item);
      }
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

type UpdateInput = {
  Key?: Record<string, unknown>;
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
};

/**
 * One Update of a transaction, as DynamoDB would apply it: the item after the
 * update, or undefined when its condition fails. Only the forms the services
 * send are understood (anything else throws, so the fake never passes a write
 * it did not check):
 * - conditions `<attr> = :v`, `<attr> >= :v` (a missing item or attribute fails
 *   them, as in DynamoDB), `attribute_exists(<attr>)`, `attribute_not_exists(<attr>)`, or none;
 * - `SET <attr> = :v, <attr> = <attr> - :v, <attr> = <attr> + :v, …` and `ADD <attr> :v`
 *   (numbers; an absent item is created from the key).
 * `<attr>` is a name or a `#placeholder`.
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html)
 */
export function applyUpdate(update: UpdateInput, current: Item | undefined): Item | undefined {
  const names = update.ExpressionAttributeNames ?? {};
  const values = update.ExpressionAttributeValues ?? {};
  const attr = (token: string) => (token.startsWith('#') ? names[token] : token);
  const value = (token: string) => {
    if (!(token in values)) throw new Error(`in-memory event store: no value for ${token}`);
    return values[token];
  };
  const condition = update.ConditionExpression?.trim();
  if (condition) {
    let ok: boolean;
    const existence = /^attribute_(not_)?exists\(([#\w]+)\)$/.exec(condition);
    const comparison = /^([#\w]+) (=|>=) (:\w+)$/.exec(condition);
    if (existence) {
      const exists = current !== undefined && current[attr(existence[2])] !== undefined;
      ok = existence[1] ? !exists : exists;
    } else if (comparison) {
      const [, name, operator, placeholder] = comparison;
      const actual = current?.[attr(name)];
      const expected = value(placeholder);
      ok =
        actual !== undefined &&
        (operator === '=' ? actual === expected : typeof actual === 'number' && actual >= (expected as number));
    } else {
      throw new Error(`in-memory event store: unsupported ConditionExpression "${condition}"`);
    }
    if (!ok) return undefined;
  }
  const next = { ...(current ?? update.Key) } as Item;
  const expression = (update.UpdateExpression ?? '').trim();
  const add = /^ADD ([#\w]+) (:\w+)$/.exec(expression);
  if (add) {
    const name = attr(add[1]);
    next[name] = ((next[name] as number | undefined) ?? 0) + (value(add[2]) as number);
  } else if (expression.startsWith('SET ')) {
    for (const assignment of expression.slice(4).split(',')) {
      const a = /^\s*([#\w]+) = (?:(:\w+)|([#\w]+) ([-+]) (:\w+))\s*$/.exec(assignment);
      if (!a) throw new Error(`in-memory event store: unsupported SET "${assignment}"`);
      if (a[2]) next[attr(a[1])] = value(a[2]);
      else {
        const base = current?.[attr(a[3])];
        if (typeof base !== 'number') throw new Error(`in-memory event store: ${attr(a[3])} is not a number`);
        next[attr(a[1])] = a[4] === '-' ? base - (value(a[5]) as number) : base + (value(a[5]) as number);
      }
    }
  } else {
    throw new Error(`in-memory event store: unsupported UpdateExpression "${expression}"`);
  }
  return next;
}
