import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FILTER_LOG_EVENTS_PAGE_LIMIT, filterAllLogEvents } from '../../../scripts/lib/logs/filter-log-events';

describe('filterAllLogEvents', () => {
  const logs = mockClient(CloudWatchLogsClient);
  const client = new CloudWatchLogsClient({ region: 'us-east-1' });
  beforeEach(() => logs.reset());

  it('reads on from the last timestamp when a full page has no token, and gives each event once', async () => {
    // An engine without nextToken: a full page, then the rest from its last millisecond, that event again.
    const full = Array.from({ length: FILTER_LOG_EVENTS_PAGE_LIMIT }, (_, i) => ({
      eventId: `e${i}`,
      timestamp: 1_000 + i,
      message: `line ${i}`,
    }));
    const last = full[full.length - 1];
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: full })
      .resolvesOnce({ events: [last, { eventId: 'after', timestamp: last.timestamp, message: 'after' }] });
    const events = await filterAllLogEvents(client, { logGroupName: 'g', filterPattern: '"x"', startTime: 0 });
    expect(events).toHaveLength(FILTER_LOG_EVENTS_PAGE_LIMIT + 1);
    expect(events.filter((e) => e.eventId === last.eventId)).toHaveLength(1);
    expect(events[events.length - 1].eventId).toBe('after');
    expect(logs.commandCalls(FilterLogEventsCommand)[1].args[0].input.startTime).toBe(last.timestamp);
  });

  it('keeps events without an id, and gives a group that does not exist yet as no events', async () => {
    logs.on(FilterLogEventsCommand, { logGroupName: 'g' }).resolves({
      events: [
        { timestamp: 1, message: 'a' },
        { timestamp: 1, message: 'a' },
      ],
    });
    expect(await filterAllLogEvents(client, { logGroupName: 'g', filterPattern: '', startTime: 0 })).toHaveLength(2);
    logs
      .on(FilterLogEventsCommand, { logGroupName: 'missing' })
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    expect(await filterAllLogEvents(client, { logGroupName: 'missing', filterPattern: '', startTime: 0 })).toEqual([]);
  });
});
