import { aws_dynamodb as dynamodb, aws_iam as iam, type RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AppTable } from './app-table';
import { PropProblems } from './validation';

/** Properties of {@link ReadModelTables}. */
export interface ReadModelTablesProps {
  /**
   * Name of the order summary table's index of a customer's orders
   * (partition key `customerId`, sort key `placedAt`, all attributes). Share it
   * with the readers as a constant.
   */
  readonly historyIndexName: string;

  /**
   * What happens to both tables when they leave the stack. They are derived
   * (a projection of the event store, rebuilt by replaying it), so a disposable
   * stack may destroy them.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Construct id of the customer statistics table, created beside the order
   * summary table (in the same scope), so tables built by hand before keep
   * their logical ids (a new logical id would replace a table, with its items).
   *
   * @default `CustomerStats<id>`
   */
  readonly customerStatsId?: string;
}

/**
 * The CQRS read model of an order flow, written by one projector only:
 *
 * - this table, the **order summary**: pk `orderId`, one item per order, read
 *   and put whole; its index `historyIndexName` (pk `customerId`, sk
 *   `placedAt`) lists a customer's orders;
 * - {@link customerStats}, the **customer statistics**: pk `customerId`,
 *   counters over all the customer's orders, updated in place.
 *
 * Both are {@link AppTable}s (on-demand, AWS-managed encryption, point-in-time
 * recovery). The projector's access is one intent-named grant,
 * {@link grantProject}: exactly the item calls a projection makes, on the
 * table each applies to, and no index query.
 *
 * @example
 * const readModels = new ReadModelTables(this, 'ReadModel', { historyIndexName: 'byCustomer' });
 * readModels.grantProject(projector);
 */
export class ReadModelTables extends AppTable {
  /** The order summary table (this construct itself, named for readers of the stack). */
  public readonly orderSummary: dynamodb.Table;
  /** The customer statistics table. */
  public readonly customerStats: AppTable;
  /** The order summary's index of a customer's orders. */
  public readonly historyIndexName: string;

  constructor(scope: Construct, id: string, props: ReadModelTablesProps) {
    const problems = new PropProblems();
    problems.check(/^[A-Za-z0-9_.-]{3,255}$/.test(props.historyIndexName), {
      prop: 'historyIndexName',
      value: props.historyIndexName,
      problem: 'must be 3 to 255 letters, digits, _, - or . (a DynamoDB index name)',
      fix: 'use e.g. customerOrders',
    });
    problems.throwIfAny(`${scope.node.path}/${id}`, 'ReadModelTables');

    super(scope, id, {
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
      removalPolicy: props.removalPolicy,
    });
    this.orderSummary = this;
    this.historyIndexName = props.historyIndexName;
    this.addGlobalSecondaryIndex({
      indexName: props.historyIndexName,
      partitionKey: { name: 'customerId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'placedAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.customerStats = new AppTable(scope, props.customerStatsId ?? `CustomerStats${id}`, {
      partitionKey: { name: 'customerId', type: dynamodb.AttributeType.STRING },
      removalPolicy: props.removalPolicy,
    });
  }

  /**
   * Lets `grantee` project events: `GetItem` and `PutItem` on the order
   * summary (a statement of its own: `Table.grant` would add the index ARNs
   * too, and a projector queries no index) and `UpdateItem` on the customer
   * statistics. Nothing else: no scan, query, batch or delete.
   */
  public grantProject(grantee: iam.IGrantable): iam.Grant {
    const summaries = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resourceArns: [this.tableArn],
    });
    return summaries.combine(this.customerStats.grant(grantee, 'dynamodb:UpdateItem'));
  }
}
