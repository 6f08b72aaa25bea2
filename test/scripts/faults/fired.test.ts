import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { faultLogGroups, firingsByRule, parseFiredLine, readFiredFaults } from '../../../scripts/lib/faults/fired';

const line = (faultId: string, orderId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    level: 'WARN',
    message: 'fault injected',
    service: 'analytics-consumer',
    faultId,
    faultMode: 'throw',
    faultPoint: 'before',
    faultTarget: 'analytics-consumer',
    orderId,
    attempt: 1,
    ...extra,
  });

describe('reading a fired-fault line', () => {
  it('reads the fields, with or without a runtime prefix, and nothing else', () => {
    expect(parseFiredLine(`2026-12-02T10:00:00Z\treq-1\tWARN\t${line('r1', 'o1', { eventId: 'e1' })}`)).toEqual({
      faultId: 'r1',
      faultMode: 'throw',
      faultPoint: 'before',
      faultTarget: 'analytics-consumer',
      orderId: 'o1',
      attempt: 1,
      eventId: 'e1',
    });
    // Another line that mentions the phrase, a line missing a field, and a mode whose point does not match.
    expect(parseFiredLine(JSON.stringify({ message: 'event failed', error: 'fault injected: throw' }))).toBeUndefined();
    expect(parseFiredLine(line('r1', 'o1', { orderId: undefined }))).toBeUndefined();
    expect(parseFiredLine(line('r1', 'o1', { faultPoint: 'after-effect' }))).toBeUndefined();
    expect(parseFiredLine('START RequestId: x fault injected')).toBeUndefined();
  });
});

describe('reading fired faults back from the log groups', () => {
  const logs = mockClient(CloudWatchLogsClient);
  beforeEach(() => logs.reset());
  const client = new CloudWatchLogsClient({ region: 'us-east-1' });

  it('reads every group given, follows nextToken, keeps only the prefix’s rules, skips a group not yet made', async () => {
    logs
      .on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/a', nextToken: undefined })
      .resolves({ events: [{ eventId: '1', timestamp: 10, message: line('run-x-1', 'o1') }], nextToken: 't2' })
      .on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/a', nextToken: 't2' })
      .resolves({
        events: [
          { eventId: '2', timestamp: 11, message: line('run-x-1', 'o2') },
          { eventId: '3', timestamp: 12, message: line('run-y-1', 'o3') },
        ],
      })
      .on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/never-ran' })
      .rejects(new ResourceNotFoundException({ message: 'no group', $metadata: {} }));

    const fired = await readFiredFaults(client, {
      ruleIdPrefix: 'run-x-',
      since: 5,
      logGroups: ['/aws/lambda/a', '/aws/lambda/never-ran'],
    });
    expect(fired.map((f) => [f.logGroup, f.faultId, f.orderId])).toEqual([
      ['/aws/lambda/a', 'run-x-1', 'o1'],
      ['/aws/lambda/a', 'run-x-1', 'o2'],
    ]);
    expect(logs.commandCalls(FilterLogEventsCommand)[0].args[0].input).toMatchObject({
      filterPattern: '"fault injected" "run-x-"',
      startTime: 5,
    });
    expect([...(firingsByRule(fired).get('run-x-1') ?? [])]).toEqual([
      ['o1', 1],
      ['o2', 1],
    ]);
  });

  it('reads on from the last timestamp when a full page comes without a token, dropping the repeats', async () => {
    const full = Array.from({ length: 10_000 }, (_, i) => ({
      eventId: `e${i}`,
      timestamp: 100 + Math.floor(i / 2),
      message: line('r-1', `o${i}`),
    }));
    logs
      .on(FilterLogEventsCommand, { startTime: 0 })
      .resolves({ events: full })
      .on(FilterLogEventsCommand, { startTime: full[full.length - 1].timestamp })
      .resolves({ events: [...full.slice(-2), { eventId: 'last', timestamp: 6000, message: line('r-1', 'o-last') }] });
    const fired = await readFiredFaults(client, { ruleIdPrefix: 'r-', since: 0, logGroups: ['/aws/lambda/g'] });
    expect(fired).toHaveLength(10_001);
    expect(fired[fired.length - 1].orderId).toBe('o-last');
  });

  it('finds the log groups of the functions that read this switch, and refuses when none does', async () => {
    const lambda = mockClient(LambdaClient);
    const path = (p: string) => ({ Variables: { FAULT_INJECTION_PATH: p } });
    lambda
      .on(ListFunctionsCommand, { Marker: undefined })
      .resolves({
        Functions: [
          {
            FunctionName: 'email',
            Environment: path('/S/fault-injection'),
            LoggingConfig: { LogGroup: '/custom/email' },
          },
          { FunctionName: 'other-stack', Environment: path('/Other/fault-injection') },
        ],
        NextMarker: 'm',
      })
      .on(ListFunctionsCommand, { Marker: 'm' })
      .resolves({
        Functions: [{ FunctionName: 'payment', Environment: path('/S/fault-injection') }, { FunctionName: 'bare' }],
      });
    const client = new LambdaClient({ region: 'us-east-1' });
    expect(await faultLogGroups(client, '/S/fault-injection')).toEqual(['/aws/lambda/payment', '/custom/email']);
    await expect(faultLogGroups(client, '/None/fault-injection')).rejects.toThrow(
      'No function reads the fault switch at /None/fault-injection',
    );
    lambda.restore();
  });
});
