import { aws_dynamodb as dynamodb, type aws_iam as iam, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Table props the construct decides itself (the event store's schema and stream; `deletionProtection` has its own prop). */
type OwnedTableProps = 'partitionKey' | 'sortKey' | 'stream' | 'deletionProtection';

/** Properties of an {@link EventStore}. */
export interface EventStoreProps {
  /**
   * What happens to the tables when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * DynamoDB deletion protection on the events table: while it is on, DynamoDB
   * refuses `DeleteTable` from anyone (console, API, CloudFormation) until an
   * `UpdateTable` turns it off
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection,
   * https://repost.aws/knowledge-center/dynamodb-accidental-delete-protection).
   * The events are the only record of what happened, so it is on unless the
   * store is disposable. The snapshot table is derived from the events and
   * never protected.
   *
   * With `removalPolicy: RemovalPolicy.DESTROY` the stack's deletion would
   * fail on the protected table, so asking for both is refused at synth.
   *
   * @default - true, unless `removalPolicy` is `RemovalPolicy.DESTROY` (a disposable store)
   */
  readonly deletionProtection?: boolean;

  /**
   * Writers snapshot an aggregate's state whenever an append crosses a
   * multiple of this many events, so loading reads the latest snapshot plus
   * at most this many events. 0 turns snapshots off (the snapshot table is
   * still created, so turning them on later needs no migration). Hand it to
   * writers with {@link EventStore.snapshotEvery}.
   *
   * @default 50
   */
  readonly snapshotEvery?: number;

  /**
   * Escape hatch for the events table. Merged as: our defaults (on-demand
   * billing, AWS-managed encryption, point-in-time recovery), then these
   * props, then what is forced: partition key `aggregateId` (S), sort key
   * `version` (N), stream `NEW_IMAGE`, and `deletionProtection` from the prop
   * of that name.
   *
   * @default - the defaults above
   */
  readonly tableProps?: Omit<dynamodb.TableProps, OwnedTableProps>;
}

/**
 * An append-only event store on DynamoDB, for the library in
 * `lambdas/event-store/event-store.ts`: one item per event, keyed by the aggregate
 * (`aggregateId`) and its 1-based, gap-free `version`, plus a table of
 * snapshots with the same keys.
 *
 * Optimistic concurrency is the writers' contract: a writer appends its events
 * at the version it last saw; each event put is conditional on
 * `attribute_not_exists(version)` and the seen version must exist, all in one
 * transaction. Of two writers racing for the same version exactly one wins and
 * the other gets a `ConcurrencyError` naming the expected and actual versions:
 * never a lost, duplicated or out-of-place event. Events reach projectors and
 * relays through the events table's stream (`NEW_IMAGE`), each record exactly
 * once; snapshots have no stream (they are derived, never facts). DynamoDB
 * Streams promise order per item only, and every version is an item of its
 * own, so that an aggregate's versions arrive in version order is not promised
 * (unverified): readers check the version they expect (the projector does).
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
 *
 * @example
 * const store = new EventStore(this, 'EventStore', { snapshotEvery: 100 });
 * store.grantAppend(orderServiceFn);
 * orderServiceFn.addEnvironment('EVENT_STORE_TABLE_NAME', store.tableName);
 * orderServiceFn.addEnvironment('SNAPSHOT_TABLE_NAME', store.snapshotTable.tableName);
 * orderServiceFn.addEnvironment('SNAPSHOT_EVERY', String(store.snapshotEvery));
 * projectorFn.addEventSource(new DynamoEventSource(store.table, { startingPosition: StartingPosition.TRIM_HORIZON }));
 */
export class EventStore extends Construct {
  /** The events table. */
  public readonly table: dynamodb.Table;
  /** The events table's name. */
  public readonly tableName: string;
  /** The snapshots table (pk `aggregateId`, sk `version`). */
  public readonly snapshotTable: dynamodb.Table;
  /** Snapshot interval in events (0 = off). */
  public readonly snapshotEvery: number;

  constructor(scope: Construct, id: string, props: EventStoreProps = {}) {
    super(scope, id);
    const snapshotEvery = props.snapshotEvery ?? 50;
    if (!Number.isInteger(snapshotEvery) || snapshotEvery < 0) {
      throw new Error(`EventStore ${id}: snapshotEvery must be a whole number ≥ 0 (0 = off), got ${snapshotEvery}`);
    }
    this.snapshotEvery = snapshotEvery;
    const removalPolicy = props.tableProps?.removalPolicy ?? props.removalPolicy ?? RemovalPolicy.RETAIN;
    const disposable = removalPolicy === RemovalPolicy.DESTROY;
    const deletionProtection = props.deletionProtection ?? !disposable;
    if (deletionProtection && disposable) {
      throw new Error(
        `EventStore ${id}: deletionProtection: true and removalPolicy DESTROY contradict each other ` +
          '(deleting the stack would fail on the protected table). Fix: drop deletionProtection for a ' +
          'disposable store, or keep the default removalPolicy RETAIN',
      );
    }
    const defaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    const keys = {
      partitionKey: { name: 'aggregateId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'version', type: dynamodb.AttributeType.NUMBER },
    };
    this.table = new dynamodb.Table(this, 'Table', {
      ...defaults,
      ...props.tableProps,
      ...keys,
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      deletionProtection,
    });
    this.tableName = this.table.tableName;
    this.snapshotTable = new dynamodb.Table(this, 'SnapshotTable', { ...defaults, ...keys });
  }

  /**
   * Lets `grantee` append events (`PutItem`, also inside `TransactWriteItems`,
   * plus `ConditionCheckItem`), read an aggregate's history (`Query`), and
   * read (`Query`) and write (`PutItem`) snapshots: exactly the calls the
   * event store client makes (`npm run verify:access` checks it against a
   * recording). No update or delete of events: they are immutable.
   */
  public grantAppend(grantee: iam.IGrantable): iam.Grant {
    this.snapshotTable.grant(grantee, 'dynamodb:PutItem', 'dynamodb:Query');
    return this.table.grant(grantee, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query');
  }

  /** Lets `grantee` read events and snapshots (`GetItem`, `Query`, `BatchGetItem`, `Scan`). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    this.snapshotTable.grantReadData(grantee);
    return this.table.grantReadData(grantee);
  }

  /** Lets `grantee` read the events table's stream (a projector or relay). */
  public grantStreamRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantStreamRead(grantee);
  }
}
