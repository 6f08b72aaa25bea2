import type { CloudWatchLogsClient, FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { filterAllLogEvents } from '../../../scripts/lib/logs/filter-log-events';

/**
 * How many invocations of a function ran at once, read back from what Lambda
 * itself logs: every invocation ends with a `REPORT RequestId: <id>\tDuration:
 * <ms> ms\t…` line in the function's log group (START, END and REPORT are written
 * for every invocation: https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html;
 * that is the text log format, the stack's default). The line is written when the invocation ends, so the invocation ran
 * from `timestamp - Duration` to `timestamp`. No handler code is involved: the
 * consumers under test stay exactly as deployed.
 */

/** One invocation: its request id and when it ran (ms since the epoch). */
export interface InvocationSpan {
  requestId: string;
  start: number;
  end: number;
}

const REPORT = /^REPORT RequestId: (\S+)\s+Duration: ([\d.]+) ms/;

/** The span of one REPORT log event, or undefined for any other line. */
export function spanOfReport(event: Pick<FilteredLogEvent, 'message' | 'timestamp'>): InvocationSpan | undefined {
  const match = REPORT.exec(event.message ?? '');
  if (!match || event.timestamp === undefined) return undefined;
  return { requestId: match[1], start: event.timestamp - Number(match[2]), end: event.timestamp };
}

/**
 * The largest number of spans that overlap at one instant. A span is taken as
 * [start + slackMs, end): the REPORT line's timestamp and Duration are each
 * rounded to the millisecond (MiniStack truncates both), so an invocation that
 * starts in the same millisecond its predecessor on the same slot ended could
 * otherwise look concurrent with it. Ends sort before starts at the same instant.
 */
export function maxConcurrency(spans: readonly InvocationSpan[], slackMs = 1): number {
  const edges: [time: number, delta: number][] = [];
  for (const s of spans) {
    const start = Math.min(s.start + slackMs, s.end);
    if (start >= s.end) continue; // shorter than the rounding: it cannot be told apart from its neighbours
    edges.push([start, 1], [s.end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let max = 0;
  for (const [, delta] of edges) {
    running += delta;
    max = Math.max(max, running);
  }
  return max;
}

/**
 * The invocations of one log group that ended since `since` (ms), deduplicated
 * by request id (paging: scripts/lib/logs/filter-log-events.ts).
 */
export async function invocationSpans(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  since: number,
): Promise<InvocationSpan[]> {
  const spans = new Map<string, InvocationSpan>();
  for (const event of await filterAllLogEvents(logs, {
    logGroupName,
    filterPattern: '"REPORT RequestId"',
    startTime: since,
  })) {
    const span = spanOfReport(event);
    if (span) spans.set(span.requestId, span);
  }
  return [...spans.values()].sort((a, b) => a.start - b.start);
}
