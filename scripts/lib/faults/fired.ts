import type { CloudWatchLogsClient, FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { type LambdaClient, paginateListFunctions } from '@aws-sdk/client-lambda';
import { ENV } from '../../../lambdas/contracts/env';
import {
  FAULT_FIRED_MESSAGE,
  FAULT_MODES,
  type FaultFiredLine,
  type FaultMode,
} from '../../../lambdas/contracts/fault-switch';
import { filterAllLogEvents } from '../logs/filter-log-events';
import { parseJsonLogLine } from '../logs/order-log-lines';

/**
 * The faults the functions report firing: every function writes one structured
 * log line (contracts/fault-switch.ts `FAULT_FIRED_MESSAGE`) each time a rule
 * fires, before the fault acts. This reads those lines back from the functions'
 * CloudWatch log groups, so the soak and the fault tests count what happened,
 * not what was planned. Log lines, not an EMF figure: the local engine does not
 * turn EMF into metrics (localstack/README.md gap `cloudwatch-emf-metrics`), and
 * a log line carries the order and event a figure would lose.
 */

/** One fired fault as its function logged it, with where and when. */
export interface FiredFault extends Omit<FaultFiredLine, 'message'> {
  logGroup: string;
  timestamp: number;
}

/**
 * The fired-fault fields of one log event's message, or undefined for any other
 * line. A Powertools line is one JSON object; whatever a runtime puts before it
 * (a timestamp and request id) is skipped. Lines missing a field are not counted.
 */
export function parseFiredLine(message: string): Omit<FaultFiredLine, 'message'> | undefined {
  if (!message.includes(FAULT_FIRED_MESSAGE)) return undefined;
  const line = parseJsonLogLine(message);
  if (!line) return undefined;
  const { faultId, faultMode, faultPoint, faultTarget, orderId, attempt, eventType, eventId } = line;
  if (line.message !== FAULT_FIRED_MESSAGE) return undefined;
  if (typeof faultId !== 'string' || typeof faultTarget !== 'string' || typeof orderId !== 'string') return undefined;
  if (typeof faultMode !== 'string' || !(faultMode in FAULT_MODES) || typeof attempt !== 'number') return undefined;
  const mode = faultMode as FaultMode;
  if (faultPoint !== FAULT_MODES[mode]) return undefined;
  return {
    faultId,
    faultMode: mode,
    faultPoint: FAULT_MODES[mode],
    faultTarget,
    orderId,
    attempt,
    ...(typeof eventType === 'string' ? { eventType } : {}),
    ...(typeof eventId === 'string' ? { eventId } : {}),
  };
}

/** The fired faults among log events as `filterAllLogEvents` returns them (each once). */
export function firedFaultsIn(logGroup: string, events: readonly FilteredLogEvent[]): FiredFault[] {
  const fired: FiredFault[] = [];
  for (const event of events) {
    const line = parseFiredLine(event.message ?? '');
    if (line) fired.push({ ...line, logGroup, timestamp: event.timestamp ?? 0 });
  }
  return fired;
}

export interface ReadFiredOptions {
  /** Only faults of rules whose id starts with this (a run's or a test's own rules). */
  ruleIdPrefix: string;
  /** Only lines logged at or after this (ms since the epoch): the run's start. */
  since: number;
  /** The log groups to read: those of the functions that read the switch ({@link faultLogGroups}). */
  logGroups: readonly string[];
}

/**
 * Reads the fired faults of the rules starting with `ruleIdPrefix` since
 * `since` from the functions' log groups. The filter pattern (two quoted terms,
 * both required: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html)
 * only narrows what is sent; every line is parsed and checked here. Paging
 * (an engine without `nextToken`, and the repeats that gives) is `filterAllLogEvents`'s.
 */
export async function readFiredFaults(logs: CloudWatchLogsClient, options: ReadFiredOptions): Promise<FiredFault[]> {
  const groups = options.logGroups;
  const filterPattern = `"${FAULT_FIRED_MESSAGE}" "${options.ruleIdPrefix}"`;
  const fired: FiredFault[] = [];
  for (const logGroupName of groups) {
    const events = await filterAllLogEvents(logs, { logGroupName, filterPattern, startTime: options.since });
    fired.push(...firedFaultsIn(logGroupName, events).filter((f) => f.faultId.startsWith(options.ruleIdPrefix)));
  }
  return fired.sort((a, b) => a.timestamp - b.timestamp);
}

/**
 * The log groups of the functions that read the switch at `faultInjectionPath`: every function whose
 * environment names that path (the ones that can fire a rule), each logging to its configured group
 * (`LoggingConfig.LogGroup`; the stack gives every function its own) or else `/aws/lambda/<name>`.
 * ListFunctions returns each function's configuration, environment included
 * (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html).
 */
export async function faultLogGroups(lambda: LambdaClient, faultInjectionPath: string): Promise<string[]> {
  const groups: string[] = [];
  for await (const page of paginateListFunctions({ client: lambda }, {})) {
    for (const fn of page.Functions ?? []) {
      if (fn.Environment?.Variables?.[ENV.FAULT_INJECTION_PATH] !== faultInjectionPath) continue;
      groups.push(fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${fn.FunctionName}`);
    }
  }
  if (groups.length === 0) {
    throw new Error(`No function reads the fault switch at ${faultInjectionPath}: nothing could fire a rule`);
  }
  return groups.sort();
}

/** Fired faults by rule id, then by order id: how many times each rule fired for each order. */
export function firingsByRule(fired: readonly FiredFault[]): Map<string, Map<string, number>> {
  const byRule = new Map<string, Map<string, number>>();
  for (const f of fired) {
    const orders = byRule.get(f.faultId) ?? new Map<string, number>();
    orders.set(f.orderId, (orders.get(f.orderId) ?? 0) + 1);
    byRule.set(f.faultId, orders);
  }
  return byRule;
}
