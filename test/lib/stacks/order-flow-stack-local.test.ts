import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOf, type TemplateJson } from '../../support/cdk/cdk';
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
