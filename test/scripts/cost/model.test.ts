import { describe, expect, it } from 'vitest';
import { blendUsage, fixedMonthlyLines, modeResult, type PerOrderUsage } from '../../../scripts/lib/cost/model';
import { parsePriceTable, REQUIRED_PRICES } from '../../../scripts/lib/cost/prices';
import { countFixedResources } from '../../../scripts/lib/cost/template';

/** A price table where every unit costs $1 per `per`, with a few real-looking prices set by the test. */
function prices(overrides: Record<string, { usd: number; per: number }> = {}) {
  const entries = Object.fromEntries(
    REQUIRED_PRICES.map((key) => [
      key,
      {
        usd: overrides[key]?.usd ?? 0,
        per: overrides[key]?.per ?? 1,
        unit: 'u',
        source: 'https://aws.amazon.com/p/',
        read: '2026-11-23',
        confidence: 'secondary',
      },
    ]),
  );
  return parsePriceTable({ region: 'us-east-1', currency: 'USD', prices: entries });
}

function usage(over: Partial<PerOrderUsage> = {}): PerOrderUsage {
  return {
    eventBridge: {
      customEventChunks: 5,
      eventBytes: 2000,
      deliveriesToSqs: 5,
      deliveriesToSns: 1,
      deliveriesToStepFunctions: 1,
    },
    sns: { publishChunks: 1, sqsDeliveries: 3, publishesToCmkTopics: 1 },
    sqs: { standardRequests: 9, fifoRequests: 11, detail: {} },
    dynamodb: { writeUnits: 80, readUnits: 16, byOperation: {} },
    streams: { lambdaBatches: 7, records: 10 },
    lambda: {
      Saga: { invocations: 5, billedMs: 1000, memoryMb: 256, architecture: 'arm64', logBytes: 1000 },
      Legacy: { invocations: 1, billedMs: 1000, memoryMb: 1024, architecture: 'x86_64', logBytes: 0 },
    },
    stepFunctions: {
      type: 'STANDARD',
      executions: 1,
      transitions: 12,
      retries: 0,
      durationMs: 1800,
      expressGbSeconds: 0.125,
      historyEvents: 36,
      logBytes: 0,
    },
    apiCalls: {},
    ...over,
  };
}

describe('cost lines per million orders', () => {
  const table = prices({
    'stepfunctions.standardTransition': { usd: 0.025, per: 1000 },
    'stepfunctions.expressRequest': { usd: 1, per: 1_000_000 },
    'stepfunctions.expressGbSecond': { usd: 0.00001667, per: 1 },
    'lambda.gbSecond.arm64': { usd: 0.0000133334, per: 1 },
    'lambda.gbSecond.x86_64': { usd: 0.0000166667, per: 1 },
    'dynamodb.writeRequestUnit': { usd: 0.625, per: 1_000_000 },
    'dynamodb.streamsReadRequest': { usd: 0.2, per: 1_000_000 },
  });

  it('prices Standard state transitions from the measured count', () => {
    const result = modeResult(usage(), table, 'standard');
    const transitions = result.lines.find((l) => l.id === 'stepfunctions.transitions')!;
    expect(transitions.usd).toBeCloseTo(300, 9);
    expect(result.lines.some((l) => l.id.startsWith('stepfunctions.express'))).toBe(false);
  });

  it('prices Express as requests plus billed GB-seconds, and no transitions', () => {
    const result = modeResult(usage(), table, 'express');
    expect(result.lines.find((l) => l.id === 'stepfunctions.expressRequests')!.usd).toBeCloseTo(1, 9);
    expect(result.lines.find((l) => l.id === 'stepfunctions.expressDuration')!.usd).toBeCloseTo(
      0.125 * 1e6 * 0.00001667,
      9,
    );
    expect(result.lines.find((l) => l.id === 'stepfunctions.expressDuration')!.basis).toBe('modelled');
    expect(result.lines.some((l) => l.id === 'stepfunctions.transitions')).toBe(false);
  });

  it('calls the Express lines measured when the executions ran as Express, modelled when they ran as Standard', () => {
    const fromExpress = usage({ stepFunctions: { ...usage().stepFunctions, type: 'EXPRESS' } });
    const lines = modeResult(fromExpress, table, 'express').lines.filter((l) => l.id.startsWith('stepfunctions.'));
    expect(lines.map((l) => [l.id, l.basis])).toEqual([
      ['stepfunctions.expressRequests', 'measured'],
      ['stepfunctions.expressDuration', 'measured'],
    ]);
    expect(lines[1].note).toContain('local durations of the Express executions');
    const modelled = modeResult(usage(), table, 'express').lines.filter((l) => l.id.startsWith('stepfunctions.'));
    expect(modelled.map((l) => l.basis)).toEqual(['modelled', 'modelled']);
  });

  it('bills each architecture at its own GB-second price', () => {
    const result = modeResult(usage(), table, 'standard');
    // 256 MB × 1 s = 0.25 GB-s on arm64; 1,024 MB × 1 s = 1 GB-s on x86
    expect(result.lines.find((l) => l.id === 'lambda.duration.arm64')!.usd).toBeCloseTo(0.25 * 1e6 * 0.0000133334, 9);
    expect(result.lines.find((l) => l.id === 'lambda.duration.x86_64')!.usd).toBeCloseTo(1e6 * 0.0000166667, 9);
  });

  it('charges nothing for stream reads by Lambda triggers, whatever the price table says', () => {
    const streams = modeResult(usage(), table, 'standard').lines.find((l) => l.id === 'dynamodb.streams')!;
    expect(streams.quantityPerOrder).toBe(7);
    expect(streams.usd).toBe(0);
  });

  it('sums the lines and names the dominant one with its share', () => {
    const result = modeResult(usage(), table, 'standard');
    const sum = result.lines.reduce((n, l) => n + l.usd, 0);
    expect(result.total).toBeCloseTo(sum, 9);
    expect(result.dominant.id).toBe('stepfunctions.transitions');
    expect(result.dominant.share).toBeCloseTo(300 / sum, 9);
  });
});

describe('blending two kinds of order', () => {
  it('averages counts by share and keeps memory and architecture', () => {
    const confirmed = usage();
    const compensated = usage({ stepFunctions: { ...usage().stepFunctions, transitions: 15 } });
    delete (compensated.lambda as Record<string, unknown>).Legacy;
    const blended = blendUsage(confirmed, compensated, 0.8);
    expect(blended.stepFunctions.transitions).toBeCloseTo(0.8 * 12 + 0.2 * 15, 12);
    expect(blended.lambda.Legacy.invocations).toBeCloseTo(0.8, 12);
    expect(blended.lambda.Legacy.memoryMb).toBe(1024);
    expect(blended.lambda.Saga.architecture).toBe('arm64');
  });
});

describe('fixed monthly cost from the template', () => {
  const template = {
    Resources: {
      Dash: { Type: 'AWS::CloudWatch::Dashboard' },
      A1: { Type: 'AWS::CloudWatch::Alarm', Properties: { Namespace: 'AWS/SQS', MetricName: 'X', Period: 60 } },
      A2: { Type: 'AWS::CloudWatch::Alarm', Properties: { Namespace: 'Shop', MetricName: 'Refunds', Period: 300 } },
      A3: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          Metrics: [
            { Id: 'e', Expression: 'a+b' },
            { Id: 'a', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' }, Period: 60 } },
            { Id: 'b', MetricStat: { Metric: { Namespace: 'Shop', MetricName: 'Refunds' }, Period: 60 } },
          ],
        },
      },
      F: {
        Type: 'AWS::Logs::MetricFilter',
        Properties: { MetricTransformations: [{ MetricNamespace: 'Shop', MetricName: 'Orders' }] },
      },
      K1: { Type: 'AWS::KMS::Key' },
      K2: { Type: 'AWS::KMS::Key' },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256, Architectures: ['arm64'] } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: { 'Fn::GetAtt': ['K1', 'Arn'] } } },
    },
  };

  it('counts dashboards, alarm metrics, distinct custom metrics and keys', () => {
    const r = countFixedResources(template);
    expect(r.dashboards).toBe(1);
    expect(r.alarms).toBe(3);
    expect(r.standardAlarmMetrics).toBe(4); // the metric-math alarm reads two metrics
    expect(r.customMetrics).toBe(2); // Shop/Refunds (twice) and Shop/Orders
    expect(r.kmsKeys).toBe(2);
    expect(r.functions.Fn).toEqual({ memoryMb: 256, architecture: 'arm64' });
    expect(r.cmkTopics).toEqual(['Topic']);
  });

  it('prices the fixed lines per month', () => {
    const table = prices({
      'cloudwatch.dashboardMonth': { usd: 3, per: 1 },
      'cloudwatch.standardAlarmMonth': { usd: 0.1, per: 1 },
      'cloudwatch.customMetricMonth': { usd: 0.3, per: 1 },
      'kms.keyMonth': { usd: 1, per: 1 },
    });
    const lines = Object.fromEntries(fixedMonthlyLines(countFixedResources(template), table).map((l) => [l.id, l.usd]));
    expect(lines).toEqual({
      'cloudwatch.dashboards': 3,
      'cloudwatch.alarms': expect.closeTo(0.4, 12),
      'cloudwatch.customMetrics': expect.closeTo(0.6, 12),
      'kms.keys': 2,
    });
  });

  it('refuses alarms it has no price for instead of pricing them as standard', () => {
    const withHighRes = {
      Resources: {
        A: { Type: 'AWS::CloudWatch::Alarm', Properties: { Namespace: 'AWS/SQS', MetricName: 'X', Period: 10 } },
      },
    };
    expect(() => countFixedResources(withHighRes)).toThrow(
      'the price table has no price for these alarms: A (high-resolution, period 10 s)',
    );
  });
});
