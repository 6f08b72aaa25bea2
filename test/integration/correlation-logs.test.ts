import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeStateMachineCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { describe, expect, inject, it } from 'vitest';
import { keys } from '../../lambdas/contracts/keys';
import { LOYALTY_MIN_TOTAL } from '../../lambdas/contracts/order-rules';
import { type RouteConsumer, routesOf } from '../../lambdas/contracts/routes';
import type { ConsumerName } from '../../lambdas/contracts/stack-outputs';
import { storedEnvelope } from '../../lambdas/event-store/event-store';
import { engineClientConfig } from '../../localstack/engine';
import { functionLogGroup, type OrderLogLine, orderLogLines } from '../../scripts/lib/logs/order-log-lines';
import { anOrder, eventually, finalStatusOf, system } from '../support/integration/system';

/** The deployed function behind each consumer of the routing table (lambdas/contracts/routes.ts). */
const CONSUMER_FUNCTION: Record<Exclude<RouteConsumer, 'saga'>, ConsumerName> = {
  email: 'EmailConsumer',
  analytics: 'AnalyticsConsumer',
  loyalty: 'LoyaltyConsumer',
  timeline: 'OrderTimelineConsumer',
};

/** What one function must have logged for the order: a line per saga step it ran, or per event type it received. */
interface Expectation {
  function: string;
  logGroup: string;
  /** The saga steps (`step` key) this function ran for the order. */
  steps: Set<string>;
  /** The event types (`eventType` key) this function consumed for the order. */
  eventTypes: Set<string>;
}

/**
 * Issue 15 point 5, "correlation ids on log lines are unit-tested only": one
 * order placed on the engine, and the log groups of every function that worked
 * on it read back from the engine's CloudWatch Logs. The functions expected are
 * worked out from the system, not listed by hand: the saga's task functions
 * from the state machine's definition and the states this order's execution
 * (the one its order record names) entered; the queue consumers from the routing table (routesOf) applied to
 * the events the order stored, mapped to the functions the stack outputs name.
 * The logger's keys are envelopeLogKeys' (lambdas/platform/logger.ts):
 * `correlationId`, `eventId`, `eventType`, `orderId`, and `step` for a saga task.
 */
describe('one order followed by its correlation id through the logs on the engine', () => {
  const sys = system();
  const lambda = new LambdaClient(engineClientConfig(inject('awsEnv')));
  const logs = new CloudWatchLogsClient(engineClientConfig(inject('awsEnv')));

  it('every function that handled the order logged it under its correlation id, and no line names another', async () => {
    const since = Date.now() - 5_000;
    const sku = sys.uniqueId('sku-logs');
    await sys.seedStock(sku, 5);
    // Confirmed and at or over the loyalty threshold, so the loyalty subscription's filter lets it through
    // and every consumer of the outcome route is a certain receiver (routes.ts calls loyalty a possible one).
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: LOYALTY_MIN_TOTAL + 20 }] });
    const { orderId } = order.data;
    const correlationId = order.correlationId;
    await sys.placeOrder(order);
    expect(await finalStatusOf(sys, orderId)).toBe('CONFIRMED');

    const expected = new Map<string, Expectation>();
    const expectationFor = async (fn: string) => {
      const found = expected.get(fn);
      if (found) return found;
      const entry: Expectation = {
        function: fn,
        logGroup: await functionLogGroup(lambda, fn),
        steps: new Set(),
        eventTypes: new Set(),
      };
      expected.set(fn, entry);
      return entry;
    };

    // The saga: each Task state this order's execution entered, and the function its definition invokes.
    // The execution that accepted the order, as its record names it (`$$.Execution.Id`, the execution's ARN).
    const executionArn = (await sys.serviceRecord(keys.order(orderId)))?.sagaExecutionId as string | undefined;
    expect(executionArn, 'the saga execution on the order record').toBeTruthy();
    const machine = await sys.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: sys.outputs.StateMachineArn }),
    );
    const states = (
      JSON.parse(machine.definition ?? '{}') as {
        States: Record<string, { Type: string; Parameters?: { FunctionName?: string } }>;
      }
    ).States;
    const history = await sys.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const entered = (history.events ?? [])
      .filter((e) => e.type === 'TaskStateEntered')
      .map((e) => e.stateEnteredEventDetails?.name ?? '');
    expect(entered.length, 'task states entered').toBeGreaterThan(0);
    for (const step of entered) {
      const fn = states[step]?.Parameters?.FunctionName;
      expect(fn, `the function of task state ${step}`).toBeTruthy();
      (await expectationFor(fn as string)).steps.add(step);
    }

    // The consumers: every route each stored event takes, but the saga's (done above).
    const stored = (await sys.storedEvents(orderId)).map(storedEnvelope);
    for (const event of stored) {
      for (const route of routesOf(event)) {
        for (const consumer of route.consumers) {
          if (consumer === 'saga') continue;
          const fn = sys.outputs[`${CONSUMER_FUNCTION[consumer]}FunctionName`];
          (await expectationFor(fn)).eventTypes.add(event.type);
        }
      }
    }
    expect([...expected.values()].filter((e) => e.eventTypes.size > 0).map((e) => e.function)).toHaveLength(4);

    // The stream processors log per record only when something goes wrong (the relay a refused record,
    // the projector a gap or a failure; its per-batch debug line names no order): nothing is expected of
    // them on this happy path, but any line of theirs that names the order must carry its correlation id.
    const silent = [sys.outputs.EventRelayFunctionName, sys.outputs.ProjectorFunctionName];
    const silentGroups = await Promise.all(silent.map((fn) => functionLogGroup(lambda, fn)));

    const read = async () => {
      const byGroup = new Map<string, OrderLogLine[]>();
      for (const group of [...new Set([...[...expected.values()].map((e) => e.logGroup), ...silentGroups])]) {
        byGroup.set(group, await orderLogLines(logs, { logGroupName: group, orderId, since }));
      }
      return byGroup;
    };
    const missing = (byGroup: Map<string, OrderLogLine[]>) =>
      [...expected.values()].flatMap((e) => {
        const lines = (byGroup.get(e.logGroup) ?? []).filter((l) => l.fields.correlationId === correlationId);
        const steps = new Set(lines.map((l) => l.fields.step));
        const types = new Set(lines.map((l) => l.fields.eventType));
        return [
          ...[...e.steps].filter((s) => !steps.has(s)).map((s) => `${e.function} step ${s}`),
          ...[...e.eventTypes].filter((t) => !types.has(t)).map((t) => `${e.function} event ${t}`),
        ];
      });
    const byGroup = await eventually(read, (groups) => missing(groups).length === 0, {
      timeoutMs: 60_000,
      intervalMs: 2_000,
      what: `a line with correlation id ${correlationId} from every function and for every step and event`,
    });
    expect(missing(byGroup)).toEqual([]);

    const all = [...byGroup.values()].flat();
    const foreign = all.filter((l) => l.fields.correlationId !== correlationId);
    expect(foreign, 'lines about the order without its correlation id').toEqual([]);
    // Every line that names the order says which order it is, too.
    expect(all.filter((l) => l.fields.orderId !== orderId)).toEqual([]);
    console.log(
      `correlation logs: order ${orderId}, ${all.length} lines in ${byGroup.size} log groups; ` +
        [...expected.values()]
          .map((e) => `${e.function.split(':').pop()}=${(byGroup.get(e.logGroup) ?? []).length}`)
          .join(', '),
    );
  });
});
