import { aws_dynamodb as dynamodb, type aws_iam as iam, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Table props the construct decides itself (the event store's schema and stream). */
type OwnedTableProps = 'partitionKey' | 'sortKey' | 'stream';

/** Properties of an {@link EventStore}. */
export interface EventStoreProps {
  /**
   * What happens to the table when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Escape hatch for the table. Merged as: our defaults (on-demand billing,
   * AWS-managed encryption, point-in-time recovery), then these props, then
   * what is forced: partition key `aggregateId` (S), sort key `version` (N),
   * stream `NEW_IMAGE`.
   *
   * @default - the defaults above
   */
  readonly tableProps?: Omit<dynamodb.TableProps, OwnedTableProps>;
}

/**
 * An append-only event store on DynamoDB: one item per event, keyed by the
 * aggregate (`aggregateId`) and its 1-based, gap-free `version`.
 *
 * Optimistic concurrency is the writers' contract: a writer reads the
 * aggregate's last version, then appends version + 1 with the condition
 * `attribute_not_exists(version)`; of two writers racing for the same version
 * exactly one wins and the other gets a conditional-check failure (a clear
 * concurrency error, never a lost or duplicated event). Events reach
 * projectors and relays through the table's stream (`NEW_IMAGE`), in version
 * order per aggregate.
 *
 * @example
 * const store = new EventStore(this, 'EventStore');
 * store.grantAppend(orderServiceFn);
 * projectorFn.addEventSource(new DynamoEventSource(store.table, { startingPosition: StartingPosition.TRIM_HORIZON }));
 */
export class EventStore extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;
  /** The table's name. */
  public readonly tableName: string;

  constructor(scope: Construct, id: string, props: EventStoreProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...props.tableProps,
      partitionKey: { name: 'aggregateId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'version', type: dynamodb.AttributeType.NUMBER },
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    this.tableName = this.table.tableName;
  }

  /**
   * Lets `grantee` append events (`PutItem`, also inside `TransactWriteItems`,
   * plus `ConditionCheckItem`) and read an aggregate's history (`Query`,
   * `GetItem`) to find its last version. No update or delete: events are immutable.
   */
  public grantAppend(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(
      grantee,
      'dynamodb:PutItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:DescribeTable',
    );
  }

  /** Lets `grantee` read events (`GetItem`, `Query`, `BatchGetItem`, `Scan`). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadData(grantee);
  }

  /** Lets `grantee` read the table's stream (a projector or relay). */
  public grantStreamRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantStreamRead(grantee);
  }
}
