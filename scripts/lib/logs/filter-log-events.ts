import {
  type CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';

/** Largest page FilterLogEvents returns (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html). */
export const FILTER_LOG_EVENTS_PAGE_LIMIT = 10_000;

/**
 * Every event of one log group since `startTime` (ms) that matches `filterPattern`, in the order the
 * service gave them. Pages follow `nextToken` (on AWS a page may be partly full or empty while a token says
 * there is more, and no token means the end: the API reference above); an engine that returns a full page
 * without a token (MiniStack 1.5.33 has none) is read on from the last page's timestamp, so an event at that
 * millisecond may come twice: such repeats are dropped here, by `eventId` (an event without one is kept).
 * A log group that does not exist yet (a function that never logged) has no events: `[]`, not an error.
 */
export async function filterAllLogEvents(
  logs: CloudWatchLogsClient,
  query: { logGroupName: string; filterPattern: string; startTime: number },
): Promise<FilteredLogEvent[]> {
  const events: FilteredLogEvent[] = [];
  const seen = new Set<string>();
  let startTime = query.startTime;
  let nextToken: string | undefined;
  for (;;) {
    let page: FilterLogEventsCommandOutput;
    try {
      page = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: query.logGroupName,
          filterPattern: query.filterPattern,
          startTime,
          nextToken,
          limit: FILTER_LOG_EVENTS_PAGE_LIMIT,
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return events;
      throw error;
    }
    const got = page.events ?? [];
    for (const event of got) {
      if (event.eventId !== undefined) {
        if (seen.has(event.eventId)) continue;
        seen.add(event.eventId);
      }
      events.push(event);
    }
    if (page.nextToken) {
      nextToken = page.nextToken;
      continue;
    }
    const last = got[got.length - 1]?.timestamp;
    if (got.length < FILTER_LOG_EVENTS_PAGE_LIMIT || last === undefined || last <= startTime) return events;
    startTime = last;
  }
}
