import { App, Duration, aws_dynamodb as dynamodb, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OPERATIONS_CONTEXT, readOperationsConfig } from '../../../../lib/config/operations-config';
import { StreamConsumer } from '../../../../lib/constructs/stream-consumer';
import { OperationsMonitoring, type OperationsMonitoringProps } from '../../../../lib/monitoring/operations-monitoring';
import { cdkContext, NOOP_ENTRY, resourcesOf, type TemplateJson } from '../../../support/cdk/cdk';

/**
 * A stack with a streamed table, two stream consumers (as the order flow's relay and projector) and an
 * OperationsMonitoring over them, its thresholds read from `context` the way the order-flow stack reads them.
 */
function streamStack(context: Record<string, unknown> = {}, props: Partial<OperationsMonitoringProps> = {}) {
  const app = new App({ context: { ...cdkContext(), ...context } });
  const stack = new Stack(app, 'Test');
  const table = new dynamodb.Table(stack, 'Events', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    stream: dynamodb.StreamViewType.NEW_IMAGE,
  });
  const consumer = (id: string) =>
    new StreamConsumer(stack, id, { entry: NOOP_ENTRY, timeout: Duration.seconds(10), table });
  const relay = consumer('EventRelay');
  const projector = consumer('Projector');
  const operations = new OperationsMonitoring(stack, 'Operations', {
    streamConsumers: [relay, projector],
    thresholds: readOperationsConfig(stack.node).thresholds,
    ...props,
  });
  const template = Template.fromStack(stack);
  return { stack, relay, projector, operations, json: template.toJSON() as TemplateJson };
}

/** The alarms' properties by alarm name. */
function alarmsByName(json: TemplateJson): Map<string, Record<string, unknown>> {
  return new Map(
    resourcesOf(json, 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName as string, a.Properties]),
  );
}

type Widget = { type: string; properties: Record<string, unknown> & { markdown?: string } };

/** The dashboard's widgets, each `Ref` in its body replaced by `Ref:<logical id>`. */
function dashboardWidgets(json: TemplateJson): Widget[] {
  const [[, dashboard]] = resourcesOf(json, 'AWS::CloudWatch::Dashboard');
  const body = dashboard.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const parts = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  const text = parts.map((p) => (typeof p === 'string' ? p : `Ref:${(p as { Ref?: string }).Ref ?? 'other'}`)).join('');
  return JSON.parse(text).widgets;
}

/** The logical id of a construct's CloudFormation resource. */
function logicalIdOf(stack: Stack, consumer: StreamConsumer): string {
  return stack.getLogicalId(consumer.node.defaultChild as never);
}

describe('monitorStreamConsumers (through OperationsMonitoring)', () => {
  it("alarms on each consumer's IteratorAge: AWS/Lambda, its FunctionName, Maximum per minute, above 5 minutes in ms by default", () => {
    const { stack, relay, projector, json } = streamStack();
    const alarms = alarmsByName(json);
    expect([...alarms.keys()]).toEqual(['Test-EventRelay-IteratorAge', 'Test-Projector-IteratorAge']);
    for (const [name, fn] of [
      ['Test-EventRelay-IteratorAge', relay],
      ['Test-Projector-IteratorAge', projector],
    ] as const) {
      expect(alarms.get(name)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, fn) } }],
        Statistic: 'Maximum',
        Period: 60,
        // IteratorAge is in milliseconds (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html).
        Threshold: 300_000,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(alarms.get(name)).not.toHaveProperty('Metrics');
    }
  });

  it('notifies the alarm topic, scoped under each consumer, and tells the operator what the figure is', () => {
    const { operations, json } = streamStack();
    const topic = resourcesOf(json, 'AWS::SNS::Topic').map(([id]) => id);
    expect(topic).toHaveLength(1);
    for (const alarm of alarmsByName(json).values()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic[0] }]);
      expect(alarm.AlarmDescription).toContain('behind its stream');
      expect(alarm.AlarmDescription).toContain('Fires above 300000 in a 1-minute period.');
    }
    expect(operations.alarms.map((a) => a.node.path)).toEqual([
      'Test/Operations/EventRelay/IteratorAge',
      'Test/Operations/Projector/IteratorAge',
    ]);
  });

  it('takes the threshold from operations:streamIteratorAgeSeconds, as -c passes it (a string) or as a number', () => {
    for (const value of ['120', 120]) {
      const { json } = streamStack({ [OPERATIONS_CONTEXT.streamIteratorAgeSeconds]: value });
      const thresholds = [...alarmsByName(json).values()].map((a) => a.Threshold);
      expect(thresholds, String(value)).toEqual([120_000, 120_000]);
    }
  });

  it('draws a graph per consumer of its iterator age, with the threshold on it, under a Stream consumers heading', () => {
    const { json, stack, relay, projector } = streamStack();
    const widgets = dashboardWidgets(json);
    expect(widgets[0].properties.markdown).toMatch(/^### Stream consumers\n/);
    const graphs = widgets.filter((w) => w.type === 'metric').map((w) => w.properties);
    expect(graphs).toEqual([
      expect.objectContaining({
        title: 'EventRelay: iterator age, max (ms)',
        metrics: [
          [
            'AWS/Lambda',
            'IteratorAge',
            'FunctionName',
            `Ref:${logicalIdOf(stack, relay)}`,
            { label: 'iterator age (ms)', period: 60, stat: 'Maximum' },
          ],
        ],
        annotations: { horizontal: [{ value: 300_000, label: 'alarm threshold', yAxis: 'left' }] },
      }),
      expect.objectContaining({
        title: 'Projector: iterator age, max (ms)',
        metrics: [
          [expect.anything(), 'IteratorAge', 'FunctionName', `Ref:${logicalIdOf(stack, projector)}`, expect.anything()],
        ],
      }),
    ]);
  });

  it('makes no alarm and no section without stream consumers', () => {
    const { json } = streamStack({}, { streamConsumers: [] });
    expect(resourcesOf(json, 'AWS::CloudWatch::Alarm')).toEqual([]);
    expect(dashboardWidgets(json)).toEqual([]);
  });

  it('refuses a threshold under 1 second or of 24 hours or more (the stream drops records after 24 hours)', () => {
    for (const [age, shown] of [
      [Duration.millis(500), '0.5 s'],
      [Duration.hours(24), '86400 s'],
    ] as const) {
      expect(() => streamStack({}, { thresholds: { streamIteratorAge: age } }), shown).toThrow(
        'OperationsMonitoring at Test/Operations: 1 invalid prop:\n' +
          `  - thresholds.streamIteratorAge = ${shown}: must be at least 1 second and under 24 hours ` +
          '(a DynamoDB stream drops records after 24 hours). Fix: use e.g. Duration.minutes(5)',
      );
    }
    expect(() => streamStack({}, { thresholds: { streamIteratorAge: Duration.hours(23) } })).not.toThrow();
  });
});

describe('operations:streamIteratorAgeSeconds context', () => {
  const config = (value: unknown) =>
    readOperationsConfig(new App({ context: { [OPERATIONS_CONTEXT.streamIteratorAgeSeconds]: value } }).node);

  it('defaults to 300 seconds and reads whole seconds from 1 to 86,399', () => {
    expect(readOperationsConfig(new App().node).thresholds.streamIteratorAge.toSeconds()).toBe(300);
    expect(config('1').thresholds.streamIteratorAge.toSeconds()).toBe(1);
    expect(config(86_399).thresholds.streamIteratorAge.toSeconds()).toBe(86_399);
  });

  it.each([
    [
      '0',
      'must be from 1 to 86399 (a DynamoDB stream drops records after 24 hours, so a higher threshold fires too late)',
    ],
    [
      '86400',
      'must be from 1 to 86399 (a DynamoDB stream drops records after 24 hours, so a higher threshold fires too late)',
    ],
    ['5m', 'must be a whole number of 0 or more'],
    ['1.5', 'must be a whole number of 0 or more'],
    ['', 'must be a whole number of 0 or more'],
  ])('refuses %j with a message naming the key, the value and the fix', (value, problem) => {
    expect(() => config(value)).toThrow(
      'Invalid operations context (cdk.json "context" or -c): 1 problem:\n' +
        `  - operations:streamIteratorAgeSeconds = ${JSON.stringify(value)}: ${problem}. ` +
        'Fix: use e.g. -c operations:streamIteratorAgeSeconds=300 (the default)',
    );
  });
});
