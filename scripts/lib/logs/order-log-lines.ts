import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { filterAllLogEvents } from './filter-log-events';

/**
 * Reading one order's log lines back from the functions' CloudWatch log
 * groups: what a person does with the Logs Insights query in
 * docs/operations.md ("filter correlationId = …"), as code, so a test can
 * check that every function that worked on an order says so under the
 * order's correlation id.
 */

/**
 * The JSON object of one log event's message, or undefined for a line that is
 * not one (the runtime's START/END/REPORT lines, plain text). A Powertools
 * Logger line is one JSON object; whatever a runtime puts before it (a
 * timestamp, the request id and the level, in Lambda's text log format) is
 * skipped.
 */
export function parseJsonLogLine(message: string): Record<string, unknown> | undefined {
  const start = message.indexOf('{');
  const end = message.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  try {
    const value: unknown = JSON.parse(message.slice(start, end + 1));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** One structured log line that mentions an order, with where and when it was written. */
export interface OrderLogLine {
  logGroup: string;
  timestamp: number;
  /** The line's fields as the function's logger wrote them (`correlationId`, `orderId`, `message`, …). */
  fields: Record<string, unknown>;
}

/**
 * Every structured line of `logGroupName` since `since` (ms) that mentions
 * `orderId` anywhere in its text. The filter pattern (one quoted term:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html)
 * only narrows what is sent; lines that are not JSON are dropped here (repeats
 * of an event are dropped by `filterAllLogEvents`). A group that does not exist
 * yet gives `[]`. An order id with a double quote cannot be one quoted term: refused.
 */
export async function orderLogLines(
  logs: CloudWatchLogsClient,
  query: { logGroupName: string; orderId: string; since: number },
): Promise<OrderLogLine[]> {
  if (query.orderId === '' || query.orderId.includes('"')) {
    throw new Error(`orderLogLines needs an order id without double quotes, got ${JSON.stringify(query.orderId)}`);
  }
  const events = await filterAllLogEvents(logs, {
    logGroupName: query.logGroupName,
    filterPattern: `"${query.orderId}"`,
    startTime: query.since,
  });
  const lines: OrderLogLine[] = [];
  for (const event of events) {
    const message = event.message ?? '';
    if (!message.includes(query.orderId)) continue;
    const fields = parseJsonLogLine(message);
    if (fields) lines.push({ logGroup: query.logGroupName, timestamp: event.timestamp ?? 0, fields });
  }
  return lines;
}

/**
 * The log group a function writes to: its configured one (`LoggingConfig.LogGroup`;
 * the stack gives every function its own) or else `/aws/lambda/<name>`
 * (https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html).
 * `functionName` may be a name or an ARN.
 */
export async function functionLogGroup(lambda: LambdaClient, functionName: string): Promise<string> {
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  return config.LoggingConfig?.LogGroup ?? `/aws/lambda/${config.FunctionName ?? functionName}`;
}
