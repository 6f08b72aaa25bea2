import { ACCOUNT, type CfnTemplate, getAtt, REGION, refOf, resolve, targetId } from './intrinsics';
import type { AccessRequest } from './model';

/**
 * Where AWS documents each service-to-service request this module derives (one page per claim). Pages
 * marked "unverified" were not read back when this was written: the request is still what the template
 * wires, but its exact context keys there are this module's reading, not a quoted source.
 */
export const DOCS = {
  trust: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html',
  lambdaLogs: 'https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html',
  xray: 'https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html',
  ruleTargets: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html',
  ruleDlq: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html#eb-rule-dlq',
  snsToSqs: 'https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html',
  snsKms: 'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services',
  sqsKms: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html',
  alarmActions: 'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services',
  sfnLambda: 'https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html (unverified)',
  sfnLogs: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-CloudWatchLogs.html',
  sfnXray: 'https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html (unverified)',
  esmSqs: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html',
  esmStream:
    'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-example-lamda-process-dynamodb-streams.html',
  esmOnFailure: 'https://docs.aws.amazon.com/lambda/latest/api/API_OnFailure.html',
} as const;

type Resources = CfnTemplate['Resources'];

const ofType = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type) as [string, Resources[string]][];

/** Context every request made by a role carries. */
export function roleContext(roleArn: string): Record<string, string> {
  return { 'aws:PrincipalArn': roleArn, 'aws:PrincipalAccount': ACCOUNT, 'aws:SecureTransport': 'true' };
}

/** Context a service principal sends on behalf of one of our resources (confused-deputy keys). */
export function serviceContext(sourceArn?: string): Record<string, string> {
  return {
    'aws:SecureTransport': 'true',
    'aws:SourceAccount': ACCOUNT,
    ...(sourceArn ? { 'aws:SourceArn': sourceArn } : {}),
  };
}

/** The customer managed key a queue or topic is encrypted with, if any (SSE-SQS and AWS managed keys need no grant). */
export function cmkOf(template: CfnTemplate, id: string): string | undefined {
  const key = template.Resources[id]?.Properties?.KmsMasterKeyId;
  if (key === undefined) return undefined;
  const resolved = resolve(template, key) as string;
  if (resolved.startsWith('alias/aws/')) return undefined;
  const keyId = targetId(key);
  if (!keyId) throw new Error(`wired: ${id} is encrypted with a key outside the template (${resolved}); not modelled`);
  return getAtt(template, keyId, 'Arn');
}

/**
 * The KMS calls an encrypted hop implies: a sender through SNS or SQS needs GenerateDataKey and Decrypt
 * on the key (SNS/SQS docs above). A role's calls arrive with kms:ViaService set to the service
 * (unverified: the KMS condition-key page was not read back here); a service principal calls KMS itself
 * with the same source keys it sent to the queue or topic.
 */
function kmsHop(
  principal: string,
  keyArn: string,
  via: 'sns' | 'sqs',
  context: Record<string, string>,
  by: string,
): AccessRequest[] {
  const isRole = principal.startsWith('arn:');
  const ctx = isRole
    ? { ...context, 'kms:ViaService': `${via}.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT }
    : context;
  return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
    principal,
    action,
    resource: keyArn,
    context: ctx,
    origin: 'wired',
    by,
    source: via === 'sns' ? DOCS.snsKms : DOCS.sqsKms,
  }));
}

/** A send to a queue or topic, plus the KMS calls its encryption implies. */
function deliver(
  template: CfnTemplate,
  principal: string,
  targetLogicalId: string,
  context: Record<string, string>,
  by: string,
  source: string,
): AccessRequest[] {
  const target = template.Resources[targetLogicalId];
  if (!target) throw new Error(`wired: ${by} targets ${targetLogicalId}, which is not in the template`);
  const isQueue = target.Type === 'AWS::SQS::Queue';
  const isTopic = target.Type === 'AWS::SNS::Topic';
  if (!isQueue && !isTopic) throw new Error(`wired: delivery to ${target.Type} is not modelled`);
  const resource = isQueue ? getAtt(template, targetLogicalId, 'Arn') : refOf(template, targetLogicalId);
  const out: AccessRequest[] = [
    { principal, action: isQueue ? 'sqs:SendMessage' : 'sns:Publish', resource, context, origin: 'wired', by, source },
  ];
  const key = cmkOf(template, targetLogicalId);
  if (key) out.push(...kmsHop(principal, key, isQueue ? 'sqs' : 'sns', context, by));
  return out;
}

/** One wired request for each action, alike in everything else (a service making several calls for one wiring). */
function wiredEach(
  actions: string[],
  request: Pick<AccessRequest, 'principal' | 'resource' | 'context' | 'by' | 'source'>,
): AccessRequest[] {
  return actions.map((action) => ({
    principal: request.principal,
    action,
    resource: request.resource,
    context: request.context,
    origin: 'wired',
    by: request.by,
    source: request.source,
  }));
}

/** Every service-to-service request the template wires. */
export function wiredRequests(template: CfnTemplate): AccessRequest[] {
  const out: AccessRequest[] = [];

  // Role assumption: each service assumes the role of what it runs, sending that resource as aws:SourceArn
  // (the confused-deputy keys; Lambda's own role assumption is checked without a source ARN).
  const assumers = new Map<string, { service: string; sourceArn?: string; by: string }[]>();
  const assumedBy = (roleValue: unknown, service: string, by: string, sourceArn?: string) => {
    const roleId = targetId(roleValue);
    if (!roleId) throw new Error(`wired: ${by} uses a role outside the template`);
    assumers.set(roleId, [...(assumers.get(roleId) ?? []), { service, sourceArn, by }]);
  };
  for (const [id, fn] of ofType(template, 'AWS::Lambda::Function'))
    assumedBy(fn.Properties?.Role, 'lambda.amazonaws.com', id);
  for (const [id, sm] of ofType(template, 'AWS::StepFunctions::StateMachine'))
    assumedBy(sm.Properties?.RoleArn, 'states.amazonaws.com', id, refOf(template, id));
  for (const [id, rule] of ofType(template, 'AWS::Events::Rule'))
    for (const t of (rule.Properties?.Targets as Record<string, unknown>[]) ?? [])
      if (t.RoleArn)
        assumedBy(t.RoleArn, 'events.amazonaws.com', `${id}/${t.Id as string}`, getAtt(template, id, 'Arn'));
  for (const [id] of ofType(template, 'AWS::IAM::Role')) {
    const users = assumers.get(id);
    if (!users) throw new Error(`wired: role ${id} is used by nothing the check models; model its user or remove it`);
    for (const u of users)
      out.push({
        principal: u.service,
        action: 'sts:AssumeRole',
        resource: getAtt(template, id, 'Arn'),
        context: serviceContext(u.sourceArn),
        origin: 'wired',
        by: u.by,
        source: DOCS.trust,
      });
  }

  // Lambda writes each function's logs with its role, and its traces when tracing is active.
  for (const [id, fn] of ofType(template, 'AWS::Lambda::Function')) {
    const p = fn.Properties ?? {};
    const roleArn = resolve(template, p.Role) as string;
    const logGroup = (p.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
    const groupName = logGroup ? (resolve(template, logGroup) as string) : `/aws/lambda/${refOf(template, id)}`;
    const stream = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${groupName}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`;
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
      out.push({
        principal: roleArn,
        action,
        resource: stream,
        context: roleContext(roleArn),
        origin: 'wired',
        by: id,
        source: DOCS.lambdaLogs,
      });
    if ((p.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active')
      for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
        out.push({
          principal: roleArn,
          action,
          resource: '*',
          context: roleContext(roleArn),
          origin: 'wired',
          by: id,
          source: DOCS.xray,
        });
  }

  // Rule targets: with a role EventBridge calls as the role; without, as events.amazonaws.com with the rule as source.
  for (const [id, rule] of ofType(template, 'AWS::Events::Rule')) {
    const ruleArn = getAtt(template, id, 'Arn');
    for (const t of (rule.Properties?.Targets as Record<string, unknown>[]) ?? []) {
      const targetLogical = targetId(t.Arn);
      if (!targetLogical) throw new Error(`wired: rule ${id} targets a resource outside the template`);
      const by = `${id}/${t.Id as string}`;
      const roleArn = t.RoleArn ? (resolve(template, t.RoleArn) as string) : undefined;
      const principal = roleArn ?? 'events.amazonaws.com';
      const ctx = roleArn ? roleContext(roleArn) : serviceContext(ruleArn);
      const targetType = template.Resources[targetLogical].Type;
      if (targetType === 'AWS::StepFunctions::StateMachine') {
        if (!roleArn) throw new Error(`wired: rule ${id} starts a state machine without a role; EventBridge needs one`);
        out.push({
          principal,
          action: 'states:StartExecution',
          resource: refOf(template, targetLogical),
          context: ctx,
          origin: 'wired',
          by,
          source: DOCS.ruleTargets,
        });
      } else {
        out.push(...deliver(template, principal, targetLogical, ctx, by, DOCS.ruleTargets));
      }
      // EventBridge sends to a target's DLQ as itself, with the rule as source, whatever the target's role.
      const dlq = targetId((t.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn);
      if (dlq)
        out.push(...deliver(template, 'events.amazonaws.com', dlq, serviceContext(ruleArn), `${by}/dlq`, DOCS.ruleDlq));
    }
  }

  // SNS delivers to each subscribed queue, and to the subscription's DLQ, as sns.amazonaws.com with the topic as source.
  for (const [id, sub] of ofType(template, 'AWS::SNS::Subscription')) {
    const p = sub.Properties ?? {};
    if (p.Protocol !== 'sqs')
      throw new Error(`wired: subscription ${id} uses protocol ${String(p.Protocol)}, not modelled`);
    const topicArn = resolve(template, p.TopicArn) as string;
    const queue = targetId(p.Endpoint);
    if (!queue) throw new Error(`wired: subscription ${id} delivers to a queue outside the template`);
    out.push(...deliver(template, 'sns.amazonaws.com', queue, serviceContext(topicArn), id, DOCS.snsToSqs));
    const dlq = targetId((p.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn);
    if (dlq)
      out.push(...deliver(template, 'sns.amazonaws.com', dlq, serviceContext(topicArn), `${id}/dlq`, DOCS.snsToSqs));
  }

  // Alarm actions: CloudWatch publishes as cloudwatch.amazonaws.com with the alarm as source.
  for (const [id, alarm] of ofType(template, 'AWS::CloudWatch::Alarm')) {
    const p = alarm.Properties ?? {};
    const alarmArn = getAtt(template, id, 'Arn');
    const actions = [
      ...((p.AlarmActions as unknown[]) ?? []),
      ...((p.OKActions as unknown[]) ?? []),
      ...((p.InsufficientDataActions as unknown[]) ?? []),
    ];
    const topics = new Set(actions.map((a) => targetId(a)).filter((t): t is string => t !== undefined));
    if (topics.size !== actions.length && actions.some((a) => !targetId(a)))
      throw new Error(`wired: alarm ${id} has an action outside the template`);
    for (const topic of topics)
      out.push(
        ...deliver(template, 'cloudwatch.amazonaws.com', topic, serviceContext(alarmArn), id, DOCS.alarmActions),
      );
  }

  // Step Functions: invokes each function its definition names, delivers logs, sends traces, all as its role.
  for (const [id, sm] of ofType(template, 'AWS::StepFunctions::StateMachine')) {
    const p = sm.Properties ?? {};
    const roleArn = resolve(template, p.RoleArn) as string;
    const ctx = roleContext(roleArn);
    const functions = new Set<string>();
    JSON.stringify(p.DefinitionString ?? p.Definition, (_k, v) => {
      const tid = targetId(v);
      if (tid && template.Resources[tid]?.Type === 'AWS::Lambda::Function') functions.add(tid);
      return v;
    });
    for (const fn of functions)
      out.push({
        principal: roleArn,
        action: 'lambda:InvokeFunction',
        resource: getAtt(template, fn, 'Arn'),
        context: ctx,
        origin: 'wired',
        by: id,
        source: DOCS.sfnLambda,
      });
    if (p.LoggingConfiguration)
      out.push(
        ...wiredEach(
          [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          { principal: roleArn, resource: '*', context: ctx, by: `${id}/logs`, source: DOCS.sfnLogs },
        ),
      );
    if ((p.TracingConfiguration as { Enabled?: boolean } | undefined)?.Enabled)
      out.push(
        ...wiredEach(
          ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
          { principal: roleArn, resource: '*', context: ctx, by: `${id}/xray`, source: DOCS.sfnXray },
        ),
      );
  }

  // Event source mappings: Lambda polls with the function's role and writes failed batches to the on-failure destination.
  for (const [id, esm] of ofType(template, 'AWS::Lambda::EventSourceMapping')) {
    const p = esm.Properties ?? {};
    const fnId = targetId(p.FunctionName);
    if (!fnId) throw new Error(`wired: event source mapping ${id} names a function outside the template`);
    const roleArn = resolve(template, template.Resources[fnId].Properties?.Role) as string;
    const ctx = roleContext(roleArn);
    const source = resolve(template, p.EventSourceArn) as string;
    const sourceId = targetId(p.EventSourceArn);
    /** The requests Lambda makes with the function's role while it polls the source. */
    const polls = (actions: string[], resource: string, doc: string) =>
      wiredEach(actions, { principal: roleArn, resource, context: ctx, by: id, source: doc });
    if (source.startsWith('arn:aws:sqs:')) {
      out.push(...polls(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], source, DOCS.esmSqs));
      const key = sourceId ? cmkOf(template, sourceId) : undefined;
      if (key)
        out.push({
          principal: roleArn,
          action: 'kms:Decrypt',
          resource: key,
          context: { ...ctx, 'kms:ViaService': `sqs.${REGION}.amazonaws.com` },
          origin: 'wired',
          by: id,
          source: DOCS.sqsKms,
        });
    } else if (source.includes(':dynamodb:') && source.includes('/stream/')) {
      const streamActions = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];
      out.push(
        ...polls(streamActions, source, DOCS.esmStream),
        ...polls(['dynamodb:ListStreams'], '*', DOCS.esmStream),
      );
    } else {
      throw new Error(`wired: event source ${source} of ${id} is not modelled`);
    }
    const onFailure = targetId(
      (p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination,
    );
    if (onFailure) out.push(...deliver(template, roleArn, onFailure, ctx, `${id}/on-failure`, DOCS.esmOnFailure));
  }
  return out;
}
