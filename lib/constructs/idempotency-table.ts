import { aws_dynamodb as dynamodb, type aws_iam as iam, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Table props the construct decides itself (the Powertools schema). */
type OwnedTableProps = 'partitionKey' | 'sortKey' | 'timeToLiveAttribute';

/** Properties of an {@link IdempotencyTable}. */
export interface IdempotencyTableProps {
  /**
   * What happens to the table when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Escape hatch for the table. Merged as: our defaults (on-demand billing,
   * AWS-managed encryption, point-in-time recovery), then these props, then
   * what is forced: partition key `id` (S) and TTL attribute `expiration`,
   * the defaults of Powertools for AWS Lambda's DynamoDB persistence layer.
   *
   * @see https://docs.aws.amazon.com/powertools/typescript/latest/features/idempotency/
   * @default - the defaults above
   */
  readonly tableProps?: Omit<dynamodb.TableProps, OwnedTableProps>;
}

/**
 * The DynamoDB table behind Powertools idempotency: one record per idempotency
 * key (`id`), holding an in-progress or completed marker and the stored result.
 * Powertools itself treats a record as gone once its expiry has passed (an
 * in-progress record's is the invocation's deadline), so a crashed attempt can
 * be retried after the in-progress record lapses without waiting for DynamoDB.
 * TTL on `expiration` only clears old records out: DynamoDB deletes expired
 * items on a best-effort basis, typically within two days, and until then they
 * still show up in reads.
 *
 * @see https://docs.aws.amazon.com/powertools/typescript/latest/features/idempotency/
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html
 *
 * @example
 * const idempotency = new IdempotencyTable(this, 'Idempotency');
 * idempotency.grantRecordKeeping(consumer.fn);
 */
export class IdempotencyTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;
  /** The table's name. */
  public readonly tableName: string;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...props.tableProps,
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
    });
    this.tableName = this.table.tableName;
  }

  /**
   * Lets `grantee` keep its idempotency records: exactly the item calls Powertools' DynamoDB
   * persistence layer makes (its source, @aws-lambda-powertools/idempotency
   * `DynamoDBPersistenceLayer`: `GetItem`, conditional `PutItem`, `UpdateItem`, and `DeleteItem` of an
   * in-progress record when the handler throws). No scan, batch or stream access.
   */
  public grantRecordKeeping(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(
      grantee,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );
  }
}
