import { describe, expect, it } from 'vitest';
import {
  BUSINESS_METRIC,
  BUSINESS_METRIC_NAMES,
  BUSINESS_METRICS_NAMESPACE,
  BUSINESS_METRICS_SERVICE,
} from '../../../lambdas/contracts/metrics';
import { BusinessMetrics } from '../../../lambdas/platform/metrics';
import { captureJsonLines, emfRecords } from '../../support/capture-output';

describe('BusinessMetrics', () => {
  it('writes one EMF record per publish, in the shared namespace with only the service dimension', async () => {
    const figures = new BusinessMetrics('order-service');
    const { lines } = await captureJsonLines(async () => {
      figures.count(BUSINESS_METRIC.OrdersPlaced);
      figures.count(BUSINESS_METRIC.OrdersPlaced);
      figures.count(BUSINESS_METRIC.DuplicatesSuppressed);
      figures.publish();
    });
    const records = emfRecords(lines);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: BUSINESS_METRICS_NAMESPACE,
          Dimensions: [['service']],
          Metrics: expect.arrayContaining([
            { Name: 'OrdersPlaced', Unit: 'Count' },
            { Name: 'DuplicatesSuppressed', Unit: 'Count' },
          ]),
        },
      ],
    });
    expect(record).toMatchObject({
      service: BUSINESS_METRICS_SERVICE,
      function: 'order-service',
      OrdersPlaced: [1, 1],
      DuplicatesSuppressed: 1,
    });
  });

  it('writes nothing for an invocation that counted nothing, and starts each invocation empty', async () => {
    const figures = new BusinessMetrics('email-consumer');
    const { lines } = await captureJsonLines(async () => {
      figures.publish();
      figures.count(BUSINESS_METRIC.OrdersCompleted);
      figures.publish();
      figures.publish();
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ OrdersCompleted: 1 });
  });

  it('names the seven figures the dashboard draws', () => {
    expect(BUSINESS_METRIC_NAMES).toEqual([
      'OrdersPlaced',
      'OrdersCompleted',
      'OrdersCompensated',
      'OrdersNeedingAttention',
      'DuplicatesSuppressed',
      'OrderConflicts',
      'EventConflicts',
    ]);
  });
});
