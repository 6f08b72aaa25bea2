import { aws_dynamodb as dynamodb, type aws_iam as iam, RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** Properties of an {@link AppTable}. */
export interface AppTableProps extends Omit<dynamodb.TableProps, 'partitionKey'> {
  /** The partition key (required, unlike in `TableProps` where a subclass may supply it). */
  readonly partitionKey: dynamodb.Attribute;
}

/**
 * An application table with the project's defaults: on-demand billing (no
 * capacity to plan for a bursty order flow), AWS-managed encryption, and
 * point-in-time recovery (restores to any point of the last 35 days by default), kept on
 * removal unless told otherwise. Everything else is the caller's, as in
 * `dynamodb.TableProps`.
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PointInTimeRecoveryDescription.html
 * @example
 * const records = new AppTable(this, 'OrderServiceTable', {
 *   partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
 *   sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
 * });
 * records.grantItemReadWrite(orderService);
 */
export class AppTable extends dynamodb.Table {
  constructor(scope: Construct, id: string, props: AppTableProps) {
    super(scope, id, {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...props,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets `grantee` keep records item by item: `GetItem`, `PutItem` and
   * `UpdateItem`, alone or inside a `TransactWriteItems` (which is authorised
   * per item action). No scan, query, batch, delete or stream access.
   *
   * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
   */
  public grantItemReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  }
}
