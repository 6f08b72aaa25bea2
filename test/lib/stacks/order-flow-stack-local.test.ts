import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { definitionOf, resourcesOf, type TemplateJson } from '../../support/cdk/cdk';
import { nagFindings, synthOrderFlow } from '../../support/cdk/order-flow';

describe('OrderFlowStack (local stage)', () => {
  let json: TemplateJson;
  let nag: PolicyValidationPluginReport;

  beforeAll(() => {
    ({ json, nag } = synthOrderFlow('local'));
  });

  it('has no unacknowledged cdk-nag AwsSolutions findings', () => {
    expect(nagFindings(nag)).toEqual([]);
  });

  it('gives consumers a 5-second timeout and their queues 30 seconds of visibility', () => {
    const consumers = resourcesOf(json, 'AWS::Lambda::Function').filter(([id]) => id.includes('ConsumerFunction'));
    expect(consumers).toHaveLength(4);
    for (const [, fn] of consumers) expect(fn.Properties.Timeout).toBe(5);
    const sources = resourcesOf(json, 'AWS::SQS::Queue').filter(([, q]) => q.Properties.RedrivePolicy);
    for (const [, queue] of sources) expect(queue.Properties.VisibilityTimeout).toBe(30);
  });

  it('gives the saga services and stream processors a 30-second timeout', () => {
    const others = resourcesOf(json, 'AWS::Lambda::Function').filter(([id]) => !id.includes('ConsumerFunction'));
    expect(others).toHaveLength(6);
    for (const [, fn] of others) expect(fn.Properties.Timeout).toBe(30);
  });

  // Engine gap (localstack/README.md, "Lambda throttle reported as Lambda.Unknown"): MiniStack 1.5.33 reports a
  // throttled task as Lambda.Unknown, where AWS reports Lambda.TooManyRequestsException; only this stage adds it.
  it("retries the engine's name for a throttle (Lambda.Unknown) beside AWS's, on the throttle policy, before States.ALL", () => {
    const { States, TimeoutSeconds } = definitionOf(json);
    const tasks = Object.entries(States).filter(([, s]) => s.Type === 'Task');
    expect(tasks).toHaveLength(13);
    for (const [name, task] of tasks) {
      expect(task.Retry, name).toEqual([
        {
          ErrorEquals: ['Lambda.TooManyRequestsException', 'Lambda.Unknown'],
          IntervalSeconds: 1,
          BackoffRate: 1.5,
          MaxDelaySeconds: 10,
          MaxAttempts: 10,
          JitterStrategy: 'FULL',
        },
        expect.objectContaining({ ErrorEquals: ['States.ALL'] }),
      ]);
    }
    // 30 s task timeouts: 5 × (4 × 30 + 7) + 8 × (7 × 30 + 35) = 2595 s, plus 13 × (10 × 30 + 60.78125) s of
    // throttled attempts and delays = 7285.16 s → 7286 s → 122 min, plus one.
    expect(TimeoutSeconds).toBe(123 * 60);
  });

  it('destroys tables, log groups and keys with the stack', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
      for (const [id, resource] of resourcesOf(json, type)) expect(resource.DeletionPolicy, id).toBe('Delete');
    }
  });

  it('still declares the archive, conditioned so the local deploy can turn it off', () => {
    const [[, archive]] = resourcesOf(json, 'AWS::Events::Archive');
    expect(archive.Condition).toBe('CreateEventArchiveCondition');
  });
});
