import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORDER_HISTORY_INDEX } from '../../../lambdas/contracts/keys';
import { RULE_ROUTES } from '../../../lambdas/contracts/routes';
import { readStackOutputs, STACK_OUTPUT_KEYS } from '../../../lambdas/contracts/stack-outputs';
import { definitionOf, refOf, resourcesOf, type TemplateJson } from '../../support/cdk/cdk';
import { deadLetterQueueIds, nagFindings, synthOrderFlow } from '../../support/cdk/order-flow';

describe('OrderFlowStack (aws stage)', () => {
  let template: Template;
  let json: TemplateJson;
  let nag: PolicyValidationPluginReport;

  beforeAll(() => {
    ({ template, json, nag } = synthOrderFlow('aws'));
  });

  it('has no unacknowledged cdk-nag AwsSolutions findings (errors or warnings)', () => {
    expect(nagFindings(nag)).toEqual([]);
    expect(nag.success).toBe(true);
  });

  it('gives every SQS queue that is not a dead-letter queue a redrive policy', () => {
    const dlqs = deadLetterQueueIds(json);
    const sources = resourcesOf(json, 'AWS::SQS::Queue').filter(([id]) => !dlqs.has(id));
    expect(sources.length).toBe(4);
    for (const [id, queue] of sources) {
      expect(queue.Properties.RedrivePolicy, id).toMatchObject({ maxReceiveCount: 5 });
    }
  });

  it("makes a FIFO queue's dead-letter queue FIFO", () => {
    const fifos = resourcesOf(json, 'AWS::SQS::Queue').filter(
      ([, q]) => q.Properties.RedrivePolicy && q.Properties.FifoQueue,
    );
    expect(fifos).toHaveLength(1);
    for (const [, queue] of fifos) {
      const dlqId = refOf((queue.Properties.RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn)!;
      expect(json.Resources[dlqId].Properties.FifoQueue).toBe(true);
    }
    // The relay sends the event id as deduplication id: content-based deduplication stays off.
    expect(fifos[0][1].Properties.ContentBasedDeduplication).toBe(false);
  });

  it("keeps every consumer's queue visibility timeout at least 6 × its function timeout", () => {
    const sqsMappings = resourcesOf(json, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) =>
        refOf(m.Properties.EventSourceArn) &&
        json.Resources[refOf(m.Properties.EventSourceArn)!].Type === 'AWS::SQS::Queue',
    );
    expect(sqsMappings).toHaveLength(4);
    for (const [id, mapping] of sqsMappings) {
      const queue = json.Resources[refOf(mapping.Properties.EventSourceArn)!];
      const fn = json.Resources[refOf(mapping.Properties.FunctionName)!];
      const visibility = (queue.Properties.VisibilityTimeout as number | undefined) ?? 30;
      const timeout = (fn.Properties.Timeout as number | undefined) ?? 3;
      const window = (mapping.Properties.MaximumBatchingWindowInSeconds as number | undefined) ?? 0;
      expect(visibility, id).toBeGreaterThanOrEqual(6 * timeout + window);
      expect(mapping.Properties).toMatchObject({
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    }
  });

  it('filters the loyalty subscription on the message body and delivers raw where the consumer expects it', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { type: ['OrderConfirmed'], data: { total: [{ numeric: ['>=', 100] }] } },
      RawMessageDelivery: true,
    });
    const raw = resourcesOf(json, 'AWS::SNS::Subscription').map(([, s]) => s.Properties.RawMessageDelivery === true);
    // email: SNS notification JSON; analytics and loyalty: raw.
    expect(raw.sort()).toEqual([false, true, true]);
  });

  it('gives every rule target a retry policy and a dead-letter queue', () => {
    const targets = resourcesOf(json, 'AWS::Events::Rule').flatMap(
      ([, r]) => r.Properties.Targets as Record<string, unknown>[],
    );
    expect(targets).toHaveLength(2);
    for (const target of targets) {
      expect(target).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: expect.anything() },
        InputPath: '$.detail',
      });
    }
  });

  it('routes OrderPlaced to the saga and outcomes to the fan-out; no rule feeds the FIFO timeline', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['shop.checkout'], 'detail-type': ['OrderPlaced'] },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^OrderSagaStateMachine') } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['shop.orders'], 'detail-type': ['OrderConfirmed', 'OrderCancelled'] },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^FanoutTopic') } })],
    });
    // A rule target's message group is one fixed string on AWS: none is a JSON path, and none feeds a FIFO queue.
    const targets = resourcesOf(json, 'AWS::Events::Rule').flatMap(
      ([, r]) => r.Properties.Targets as { SqsParameters?: unknown }[],
    );
    expect(targets.filter((t) => t.SqsParameters !== undefined)).toEqual([]);
  });

  it('has the relay send every stored event to the FIFO timeline queue (its URL in the environment, sqs:SendMessage on it)', () => {
    const [timelineId] = resourcesOf(json, 'AWS::SQS::Queue')
      .filter(([, q]) => q.Properties.RedrivePolicy && q.Properties.FifoQueue)
      .map(([id]) => id);
    expect(timelineId).toMatch(/^OrderTimelineQueue/);
    const [[relayId]] = resourcesOf(json, 'AWS::Lambda::Function').filter(
      ([, f]) => (f.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables?.EVENT_BUS_NAME,
    );
    const relay = json.Resources[relayId];
    expect((relay.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      TIMELINE_QUEUE_URL: { Ref: timelineId },
    });
    const relayRole = (relay.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = resourcesOf(json, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => refOf(r) === relayRole))
      .flatMap(
        ([, p]) => (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
      );
    const sendsToTimeline = statements.filter(
      (st) =>
        [st.Action].flat().includes('sqs:SendMessage') &&
        [st.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': [timelineId, 'Arn'] })),
    );
    expect(sendsToTimeline).toHaveLength(1);
  });

  it('alarms on every dead-letter queue', () => {
    const alarmedQueues = new Set(
      resourcesOf(json, 'AWS::CloudWatch::Alarm')
        .filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')
        .flatMap(([, a]) => (a.Properties.Dimensions as { Name: string; Value: unknown }[]).map((d) => refOf(d.Value))),
    );
    const dlqs = deadLetterQueueIds(json);
    expect(dlqs.size).toBe(10);
    for (const dlq of dlqs) expect(alarmedQueues.has(dlq), dlq).toBe(true);
  });

  it('sends every alarm to the alarm topic and treats missing data as not breaching', () => {
    const topicId = refOf(json.Outputs?.AlarmTopicArn && (json.Outputs.AlarmTopicArn as { Value: unknown }).Value);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: topicId }],
      TreatMissingData: 'notBreaching',
      EvaluationPeriods: 1,
    });
  });

  it('encrypts every queue and denies every queue non-TLS access', () => {
    const tlsOnly = new Set<string>();
    for (const [, policy] of resourcesOf(json, 'AWS::SQS::QueuePolicy')) {
      const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
      const denies = statements.some(
        (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
      );
      if (denies) for (const q of policy.Properties.Queues as unknown[]) tlsOnly.add(refOf(q)!);
    }
    for (const [id, queue] of resourcesOf(json, 'AWS::SQS::Queue')) {
      expect(queue.Properties.SqsManagedSseEnabled === true || queue.Properties.KmsMasterKeyId !== undefined, id).toBe(
        true,
      );
      expect(tlsOnly.has(id), id).toBe(true);
    }
  });

  it('encrypts every table at rest and keeps point-in-time recovery on', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 7);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('encrypts every topic with a customer managed key that only its publisher may use', () => {
    for (const [id, topic] of resourcesOf(json, 'AWS::SNS::Topic')) {
      expect(refOf(topic.Properties.KmsMasterKeyId), id).toBeDefined();
    }
    // The fan-out's publisher is the route's role: sns:Publish on the topic, the two KMS actions SNS needs on its key.
    const fanoutKey = refOf(json.Resources.FanoutTopicF7F675DF.Properties.KmsMasterKeyId);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RouterOrderOutcomesToFanoutRole') }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: 'FanoutTopicF7F675DF' } }),
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: { 'Fn::GetAtt': [fanoutKey, 'Arn'] },
          }),
        ],
      },
    });
    // The alarm topic's publisher is CloudWatch, for this account's alarms only.
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': Match.anyValue() } }),
          }),
        ]),
      },
    });
  });

  it('compensates in reverse step order and retries every task with full jitter, a throttle on its own policy first', () => {
    const { States } = definitionOf(json);
    const chain: string[] = [];
    for (
      let state: string | undefined = 'UndoArrangeShipment';
      state;
      state = States[state].Next as string | undefined
    ) {
      chain.push(state);
    }
    expect(chain).toEqual([
      'UndoArrangeShipment',
      'UndoChargePayment',
      'UndoReserveInventory',
      'UndoAcceptOrder',
      'AllCompensated?',
    ]);
    expect(States['AllCompensated?'].Default).toBe('Compensated');
    expect((States.ConfirmOrder.Catch as { Next: string }[])[0].Next).toBe('UndoArrangeShipment');
    // A compensation that fails for good is reported to the order service, then the chain carries on.
    for (const [undo, next] of [
      ['UndoArrangeShipment', 'UndoChargePayment'],
      ['UndoChargePayment', 'UndoReserveInventory'],
      ['UndoReserveInventory', 'UndoAcceptOrder'],
      ['UndoAcceptOrder', 'AllCompensated?'],
    ]) {
      expect((States[undo].Catch as { Next: string }[])[0].Next).toBe(`${undo}Failed`);
      expect(States[`${undo}Failed`].Next).toBe(next);
      expect(States[`${undo}Failed`].Parameters).toMatchObject({ Payload: { phase: 'compensationFailure' } });
    }
    const tasks = Object.values(States).filter((s) => s.Type === 'Task');
    expect(tasks).toHaveLength(13);
    // A throttle first (its own jittered policy, only AWS's name for it), then any error: the first retrier
    // that matches decides, and States.ALL must be the last one.
    for (const task of tasks) {
      expect(task.Retry).toEqual([
        expect.objectContaining({
          ErrorEquals: ['Lambda.TooManyRequestsException'],
          MaxAttempts: 10,
          JitterStrategy: 'FULL',
        }),
        expect.objectContaining({ ErrorEquals: ['States.ALL'], JitterStrategy: 'FULL' }),
      ]);
    }
    // Lambda.Unknown is an unhandled function error on AWS (out of memory, a timeout): it must not get the
    // throttle policy there (only the local engine reports its throttles under that name).
    expect(JSON.stringify(States)).not.toContain('Lambda.Unknown');
  });

  it('declares the event archive unconditioned, with no CreateEventArchive parameter, and outputs its literal name', () => {
    const [[, archive], ...more] = resourcesOf(json, 'AWS::Events::Archive');
    expect(more).toEqual([]);
    expect(archive.Condition).toBeUndefined();
    expect(Object.keys(template.findParameters('*'))).not.toContain('CreateEventArchive');
    expect(Object.keys(template.findConditions('*'))).not.toContain('CreateEventArchiveCondition');
    template.hasOutput('EventArchiveName', { Value: archive.Properties.ArchiveName });
    expect(archive.Properties.ArchiveName).toMatch(/^[.\-_A-Za-z0-9]{1,48}$/);
  });

  it('indexes the order summaries by customer for the order history, and tells the services how to snapshot', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: ORDER_HISTORY_INDEX,
          KeySchema: [
            { AttributeName: 'customerId', KeyType: 'HASH' },
            { AttributeName: 'placedAt', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
    const services = resourcesOf(json, 'AWS::Lambda::Function').filter(([, fn]) =>
      JSON.stringify(fn.Properties.Environment ?? {}).includes('ORDER_SERVICE_TABLE_NAME'),
    );
    expect(services).toHaveLength(4);
    for (const [id, fn] of services) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables, id).toMatchObject({
        SNAPSHOT_TABLE_NAME: { Ref: expect.any(String) },
        SNAPSHOT_EVERY: '50',
      });
    }
  });

  it('outputs everything the local deploy, the demo and the integration tests read: the contract, no more', () => {
    // lambdas/contracts/stack-outputs.ts is what every reader reads through; the aws stage has no fault switch.
    expect(Object.keys(json.Outputs ?? {}).sort()).toEqual([...STACK_OUTPUT_KEYS].sort());
    expect(() => readStackOutputs(Object.fromEntries(STACK_OUTPUT_KEYS.map((k) => [k, 'x'])))).not.toThrow();
    // Each route's rule ARN output points at that route's rule (the invariants tell rule-target DLQ messages apart by it).
    for (const route of RULE_ROUTES) {
      const outputs = json.Outputs as Record<string, { Value: { 'Fn::GetAtt': [string, string] } }>;
      const value = outputs[`${route.id}RuleArn`].Value;
      expect(value['Fn::GetAtt'][1]).toBe('Arn');
      const rule = json.Resources[value['Fn::GetAtt'][0]];
      expect(rule.Type).toBe('AWS::Events::Rule');
      expect(rule.Properties.Description).toBe(route.description);
    }
    for (const output of Object.values(json.Outputs ?? {})) expect(output).not.toHaveProperty('Export');
  });

  it("tells every consumer its own DLQ and the queue's maxReceiveCount", () => {
    for (const [, mapping] of resourcesOf(json, 'AWS::Lambda::EventSourceMapping')) {
      const source = json.Resources[refOf(mapping.Properties.EventSourceArn)!];
      if (source.Type !== 'AWS::SQS::Queue') continue;
      const dlqId = refOf((source.Properties.RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn);
      const fn = json.Resources[refOf(mapping.Properties.FunctionName)!];
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        DEAD_LETTER_QUEUE_URL: { Ref: dlqId },
        MAX_RECEIVE_COUNT: '5',
        CONSUMER_STATE_TABLE_NAME: expect.anything(),
        IDEMPOTENCY_TABLE_NAME: expect.anything(),
      });
    }
  });

  it('feeds the relay and the projector from the event store stream with bisecting retries and a failure queue', () => {
    const streamMappings = resourcesOf(json, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => m.Properties.StartingPosition === 'TRIM_HORIZON',
    );
    expect(streamMappings).toHaveLength(2);
    for (const [, mapping] of streamMappings) {
      expect(mapping.Properties).toMatchObject({
        BatchSize: 10,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: expect.anything() } },
      });
    }
  });

  it('runs every function on Node.js 22, arm64, with X-Ray and a one-month log group, without AWS-managed policies', () => {
    template.resourceCountIs('AWS::Lambda::Function', 10);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('retains stateful resources on AWS', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
      for (const [id, resource] of resourcesOf(json, type)) expect(resource.DeletionPolicy, id).toBe('Retain');
    }
  });
});
