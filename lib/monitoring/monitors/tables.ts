import { aws_cloudwatch as cloudwatch, type aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import { labelOf } from '../alarm-factory';
import type { Monitor } from '../dashboard';
import { SUM_PER_MINUTE } from '../metrics';

/**
 * Tables: one section with read and write throttle events and consumed read and write capacity. No alarms of
 * their own: an on-demand table throttles rarely (past the table's throughput quota, on a hot partition, or
 * when traffic more than doubles its previous peak within 30 minutes), and the functions' error alarms catch
 * what a throttle breaks.
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TroubleshootingThrottlingOnDemand.html
 */
export function monitorTables(tables: readonly dynamodb.ITable[]): Monitor {
  if (tables.length === 0) return { alarms: [], sections: [] };
  const lines = (metricName: string, what: string) =>
    tables.map((table) => table.metric(metricName, { ...SUM_PER_MINUTE, label: `${labelOf(table)} ${what}` }));
  return {
    alarms: [],
    sections: [
      {
        heading: { title: 'Tables', description: 'Throttle events and consumed capacity units.' },
        rows: [
          [
            new cloudwatch.GraphWidget({
              title: 'Throttle events',
              left: [...lines('ReadThrottleEvents', 'read'), ...lines('WriteThrottleEvents', 'write')],
              width: 12,
            }),
            new cloudwatch.GraphWidget({
              title: 'Consumed capacity units',
              left: lines('ConsumedReadCapacityUnits', 'read'),
              right: lines('ConsumedWriteCapacityUnits', 'write'),
              width: 12,
            }),
          ],
        ],
      },
    ],
  };
}
