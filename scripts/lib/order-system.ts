import { randomUUID } from 'node:crypto';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CHECKOUT_SOURCE } from '../../lambdas/contracts/events';
import type { FaultRule } from '../../lambdas/contracts/fault-switch';
import { keys } from '../../lambdas/contracts/keys';
import { FINAL_ORDER_STATUSES } from '../../lambdas/contracts/order-status';
import { requireOptionalOutput, type StackOutputs } from '../../lambdas/contracts/stack-outputs';
import { checkedPutEventsEntry, newEvent, orderIdOf, type TypedEnvelope } from '../../lambdas/messages/envelope';
import type { OrderItem, OrderPlaced } from '../../lambdas/messages/schemas';
import { engineClientConfig } from '../../localstack/engine';
import { deleteFaultSwitch, putFaultSwitch, waitForSwitchCaches } from './faults/switches';

/**
 * The deployed system as the demo and the integration tests see it: stack
 * outputs, clients pointed at the engine, and small helpers that say what they do.
 */
export function connect(outputs: StackOutputs, env: Record<string, string | undefined>) {
  // Against AWS (no endpoint, no keys given) the SDK's default region and credential chain apply.
  const clientConfig = env.AWS_ENDPOINT_URL
    ? engineClientConfig(env as Record<string, string>)
    : { ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}) };
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const eventBridge = new EventBridgeClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const sfn = new SFNClient(clientConfig);
  const ssm = new SSMClient(clientConfig);
  const cloudWatch = new CloudWatchClient(clientConfig);
  const cloudFormation = new CloudFormationClient(clientConfig);
  return {
    /** The stack's outputs, typed (lambdas/contracts/stack-outputs.ts); read by `readStackOutputs`. */
    outputs,
    ddb,
    eventBridge,
    sqs,
    sfn,
    ssm,
    cloudWatch,
    cloudFormation,

    /** A unique id per test run, so tests never see each other's orders or stock. */
    uniqueId: (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`,

    async seedStock(sku: string, available: number) {
      await ddb.send(
        new PutCommand({ TableName: outputs.OrderServiceTableName, Item: { ...keys.stock(sku), available } }),
      );
    },

    async stockOf(sku: string): Promise<number | undefined> {
      const result = await ddb.send(
        new GetCommand({ TableName: outputs.OrderServiceTableName, Key: keys.stock(sku), ConsistentRead: true }),
      );
      return result.Item?.available as number | undefined;
    },

    async serviceRecord(key: { pk: string; sk: string }) {
      const result = await ddb.send(
        new GetCommand({ TableName: outputs.OrderServiceTableName, Key: key, ConsistentRead: true }),
      );
      return result.Item;
    },

    async consumerRecord(key: { pk: string; sk: string }) {
      const result = await ddb.send(
        new GetCommand({ TableName: outputs.ConsumerStateTableName, Key: key, ConsistentRead: true }),
      );
      return result.Item;
    },

    async readModel(orderId: string) {
      const result = await ddb.send(
        new GetCommand({ TableName: outputs.ReadModelTableName, Key: { orderId }, ConsistentRead: true }),
      );
      return result.Item;
    },

    async storedEvents(orderId: string) {
      const result = await ddb.send(
        new QueryCommand({
          TableName: outputs.EventStoreTableName,
          KeyConditionExpression: 'aggregateId = :id',
          ExpressionAttributeValues: { ':id': orderId },
          ConsistentRead: true,
        }),
      );
      return (result.Items ?? []) as { version: number; type: string; eventId: string; envelope: string }[];
    },

    /**
     * Puts an OrderPlaced event on the bus the way a checkout client would. An
     * order over the size rule is refused (`InvalidEventError`, `OVERSIZED`)
     * before any request is made.
     */
    async placeOrder(envelope: TypedEnvelope<'OrderPlaced'>) {
      const result = await eventBridge.send(
        new PutEventsCommand({ Entries: [checkedPutEventsEntry(envelope, outputs.EventBusName)] }),
      );
      if (result.FailedEntryCount) throw new Error(`PutEvents refused the order: ${JSON.stringify(result.Entries)}`);
    },

    /**
     * Turns faults on: writes `rules` as the switch `name` under the stack's
     * fault-injection path (validated first), waits until every function's
     * cached copy has expired, and returns what turns them off again (deletes
     * the switch and waits the same). Use a name of your own per test, so
     * tests in parallel keep their own rules.
     */
    async injectFaults(name: string, rules: FaultRule[]): Promise<() => Promise<void>> {
      const path = requireOptionalOutput(outputs, 'FaultInjectionPath', 'injecting faults');
      await putFaultSwitch(ssm, path, name, { faults: rules });
      await waitForSwitchCaches();
      return async () => {
        await deleteFaultSwitch(ssm, path, name);
        await waitForSwitchCaches();
      };
    },

    /** The saga executions whose input is this order. */
    async executionsOf(orderId: string) {
      const list = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: outputs.StateMachineArn, maxResults: 1000 }),
      );
      const described = await Promise.all(
        (list.executions ?? []).map((e) => sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }))),
      );
      return described.filter((d) => {
        try {
          return orderIdOf(JSON.parse(d.input ?? '{}')) === orderId;
        } catch {
          return false;
        }
      });
    },
  };
}

export type System = ReturnType<typeof connect>;

export function anOrder(
  sys: System,
  options: {
    items: OrderItem[];
    paymentToken?: string;
    shipToCountry?: string;
    customerId?: string;
    /** A recognisable id (e.g. the smoke check's `smoke-<run>-…`); by default a unique `order-…`. */
    orderId?: string;
  },
): TypedEnvelope<'OrderPlaced'> {
  const data: OrderPlaced = {
    orderId: options.orderId ?? sys.uniqueId('order'),
    customerId: options.customerId ?? sys.uniqueId('customer'),
    items: options.items,
    total: options.items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0),
    currency: 'EUR',
    paymentToken: options.paymentToken ?? 'tok_visa',
    shipToCountry: options.shipToCountry ?? 'DE',
  };
  return newEvent({ type: 'OrderPlaced', source: CHECKOUT_SOURCE, data });
}

/**
 * Polls `probe` until `done` accepts its value, or fails with the last value
 * seen, so a timeout says what the system looked like instead of just "timed out".
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 60_000, intervalMs = 250, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

/** The order record's final states (NEEDS_ATTENTION: a compensation failed; an operator finishes it). */
/** Waits until the order reaches a final state in the order service; returns that state. */
export async function finalStatusOf(sys: System, orderId: string, timeoutMs = 60_000): Promise<string> {
  const record = await eventually(
    () => sys.serviceRecord(keys.order(orderId)),
    (item) => (FINAL_ORDER_STATUSES as readonly string[]).includes(item?.status as string),
    { timeoutMs, what: `order ${orderId} to reach a final state` },
  );
  return record!.status as string;
}
