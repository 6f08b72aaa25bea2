import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { functionLogGroup, orderLogLines, parseJsonLogLine } from '../../../scripts/lib/logs/order-log-lines';

describe('parsing a structured log line', () => {
  it('reads the JSON object of a line, with or without a runtime prefix, and nothing else', () => {
    const line = JSON.stringify({ message: 'event processed', correlationId: 'c1', orderId: 'o1' });
    expect(parseJsonLogLine(line)).toEqual({ message: 'event processed', correlationId: 'c1', orderId: 'o1' });
    expect(parseJsonLogLine(`2026-12-02T10:00:00Z\treq-1\tINFO\t${line}`)).toMatchObject({ correlationId: 'c1' });
    expect(parseJsonLogLine('START RequestId: x Version: $LATEST')).toBeUndefined();
    expect(parseJsonLogLine('{not json}')).toBeUndefined();
    expect(parseJsonLogLine('[{"a": 1}]')).toEqual({ a: 1 });
    expect(parseJsonLogLine('null {')).toBeUndefined();
  });
});

describe("reading an order's lines from a log group", () => {
  const logs = mockClient(CloudWatchLogsClient);
  const lambda = mockClient(LambdaClient);
  beforeEach(() => {
    logs.reset();
    lambda.reset();
  });
  const client = new CloudWatchLogsClient({ region: 'us-east-1' });

  it("asks for the order's quoted id, keeps its JSON lines once each, drops text lines", async () => {
    const a = JSON.stringify({ message: 'saga task done', orderId: 'o-1', correlationId: 'c' });
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { eventId: '1', timestamp: 5, message: a },
        { eventId: '1', timestamp: 5, message: a },
        { eventId: '2', timestamp: 6, message: 'plain text about o-1' },
        { eventId: '3', timestamp: 7, message: JSON.stringify({ message: 'other', orderId: 'o-2' }) },
      ],
    });
    const lines = await orderLogLines(client, { logGroupName: '/aws/lambda/f', orderId: 'o-1', since: 3 });
    expect(lines).toEqual([
      {
        logGroup: '/aws/lambda/f',
        timestamp: 5,
        fields: { message: 'saga task done', orderId: 'o-1', correlationId: 'c' },
      },
    ]);
    expect(logs.commandCalls(FilterLogEventsCommand)[0].args[0].input).toMatchObject({
      logGroupName: '/aws/lambda/f',
      filterPattern: '"o-1"',
      startTime: 3,
    });
  });

  it('refuses an order id that cannot be one quoted term', async () => {
    await expect(orderLogLines(client, { logGroupName: 'g', orderId: 'a"b', since: 0 })).rejects.toThrow(
      /without double quotes/,
    );
    await expect(orderLogLines(client, { logGroupName: 'g', orderId: '', since: 0 })).rejects.toThrow();
  });

  it("finds a function's configured log group, else the default one", async () => {
    const lambdaClient = new LambdaClient({ region: 'us-east-1' });
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: 'a' })
      .resolves({ FunctionName: 'a', LoggingConfig: { LogGroup: '/custom/a' } })
      .on(GetFunctionConfigurationCommand, { FunctionName: 'arn:aws:lambda:us-east-1:1:function:b' })
      .resolves({ FunctionName: 'b' });
    expect(await functionLogGroup(lambdaClient, 'a')).toBe('/custom/a');
    expect(await functionLogGroup(lambdaClient, 'arn:aws:lambda:us-east-1:1:function:b')).toBe('/aws/lambda/b');
  });
});
