import { resourcesOf, type TemplateJson } from './cdk';

/**
 * Security checks over a whole synthesized template (issue 6): least privilege,
 * encryption and TLS-only access, and confused-deputy protection on service grants.
 *
 * Each check walks every resource of the types it covers, so a resource added
 * later is checked too, and returns one line per finding that names the
 * resource's logical id, its type and the offending statement; `[]` means clean.
 * They read plain template JSON, so a hand-built template can prove that each
 * one fails when it should.
 *
 * Hand-written: cdk-nag's AwsSolutions pack (which the infra tests also run)
 * flags wildcards but has no rule for an SNS topic policy or a KMS key policy
 * that grants a service principal without `aws:SourceArn`, and none for a
 * queue's TLS-only policy.
 */

type Json = Record<string, unknown>;

/** One IAM policy statement as it appears in a template. */
export interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const describe = (id: string, type: string, statement: Statement) => `${id} (${type}): ${JSON.stringify(statement)}`;

/**
 * A policy document from a template value: an object, a JSON string, or an
 * `Fn::Join` of strings and intrinsics (as AWS::Logs::ResourcePolicy has), with
 * every intrinsic replaced by the placeholder `INTRINSIC`.
 */
export function policyDocumentOf(value: unknown): { Statement?: Statement | Statement[] } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return JSON.parse(value);
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) {
    const [separator, parts] = join;
    return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'INTRINSIC')).join(separator));
  }
  return value as { Statement?: Statement | Statement[] };
}

/** The statements of a policy document value (see {@link policyDocumentOf}). */
export function statementsOf(document: unknown): Statement[] {
  return asArray(policyDocumentOf(document)?.Statement);
}

/**
 * The cdk-nag acknowledgements of a resource, rule id → reason, from the
 * `Metadata.cdk_nag.rules_to_suppress` that cdk-nag writes into the template
 * (`new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true })`)
 * for every `Validations.of(construct).acknowledge(...)` on the resource or one
 * of its ancestors.
 */
export function nagAcknowledgements(resource: { Metadata?: Json }): Map<string, string> {
  const rules = (resource.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason?: string }[] } | undefined)
    ?.rules_to_suppress;
  return new Map((rules ?? []).map((rule) => [rule.id, rule.reason ?? '']));
}

/** Every identity policy statement of the template, with the resource that holds it. */
function identityStatements(template: TemplateJson): { id: string; type: string; statement: Statement }[] {
  const found: { id: string; type: string; statement: Statement }[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, r] of resourcesOf(template, type)) {
      for (const statement of statementsOf(r.Properties.PolicyDocument)) found.push({ id, type, statement });
    }
  }
  for (const [id, r] of resourcesOf(template, 'AWS::IAM::Role')) {
    for (const policy of asArray(r.Properties.Policies as { PolicyDocument: unknown }[] | undefined)) {
      for (const statement of statementsOf(policy.PolicyDocument))
        found.push({ id, type: 'AWS::IAM::Role', statement });
    }
  }
  return found;
}

/**
 * Least privilege: every `Allow` statement of an IAM policy, managed policy or
 * role inline policy names its actions without `*`, unless the resource carries
 * the cdk-nag acknowledgement of exactly that finding
 * (`AwsSolutions-IAM5[Action::<action>]`) with a reason. `NotAction` in an
 * `Allow` grants everything else and is always a finding.
 */
export function wildcardActionFindings(template: TemplateJson): string[] {
  const findings: string[] = [];
  for (const { id, type, statement } of identityStatements(template)) {
    if (statement.Effect !== 'Allow') continue;
    if (statement.NotAction !== undefined) {
      findings.push(`${describe(id, type, statement)}: Allow with NotAction`);
    }
    const acknowledged = nagAcknowledgements(template.Resources[id]);
    for (const action of asArray(statement.Action)) {
      if (typeof action !== 'string' || !action.includes('*')) continue;
      const reason = acknowledged.get(`AwsSolutions-IAM5[Action::${action}]`)?.trim();
      if (!reason) {
        findings.push(
          `${describe(id, type, statement)}: wildcard action ${action} without an AwsSolutions-IAM5[Action::${action}] acknowledgement and reason`,
        );
      }
    }
  }
  return findings;
}

/** Whether `statement` denies every request made without TLS. */
function deniesInsecureTransport(statement: Statement): boolean {
  const secure = statement.Condition?.Bool?.['aws:SecureTransport'];
  return statement.Effect === 'Deny' && (secure === 'false' || secure === false);
}

/**
 * The statements of every policy resource of `policyType` attached (through
 * `listProperty`, e.g. `Queues`) to the resource with logical id `targetId`.
 */
function attachedStatements(
  template: TemplateJson,
  policyType: string,
  listProperty: string,
  targetId: string,
): Statement[] {
  return resourcesOf(template, policyType)
    .filter(([, p]) =>
      asArray(p.Properties[listProperty] as unknown[]).some((ref) => {
        const r = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
        return r.Ref === targetId || r['Fn::GetAtt']?.[0] === targetId;
      }),
    )
    .flatMap(([, p]) => statementsOf(p.Properties.PolicyDocument));
}

/**
 * Encryption at rest and TLS-only access: every SQS queue is encrypted
 * (`SqsManagedSseEnabled` or `KmsMasterKeyId`) and has a queue policy denying
 * `aws:SecureTransport` false; every SNS topic has `KmsMasterKeyId` and a topic
 * policy denying non-TLS; every DynamoDB table and global table has
 * server-side encryption enabled.
 */
export function encryptionFindings(template: TemplateJson): string[] {
  const findings: string[] = [];
  for (const [id, queue] of resourcesOf(template, 'AWS::SQS::Queue')) {
    const p = queue.Properties;
    if (p.SqsManagedSseEnabled !== true && p.KmsMasterKeyId === undefined) {
      findings.push(`${id} (AWS::SQS::Queue): not encrypted (neither SqsManagedSseEnabled nor KmsMasterKeyId)`);
    }
    if (!attachedStatements(template, 'AWS::SQS::QueuePolicy', 'Queues', id).some(deniesInsecureTransport)) {
      findings.push(`${id} (AWS::SQS::Queue): no queue policy denies aws:SecureTransport false`);
    }
  }
  for (const [id, topic] of resourcesOf(template, 'AWS::SNS::Topic')) {
    if (topic.Properties.KmsMasterKeyId === undefined) {
      findings.push(`${id} (AWS::SNS::Topic): not encrypted (no KmsMasterKeyId)`);
    }
    if (!attachedStatements(template, 'AWS::SNS::TopicPolicy', 'Topics', id).some(deniesInsecureTransport)) {
      findings.push(`${id} (AWS::SNS::Topic): no topic policy denies aws:SecureTransport false`);
    }
  }
  for (const [id, table] of resourcesOf(template, 'AWS::DynamoDB::Table')) {
    if ((table.Properties.SSESpecification as { SSEEnabled?: boolean } | undefined)?.SSEEnabled !== true) {
      findings.push(`${id} (AWS::DynamoDB::Table): SSESpecification.SSEEnabled is not true`);
    }
  }
  for (const [id, table] of resourcesOf(template, 'AWS::DynamoDB::GlobalTable')) {
    // A global table's SSESpecification is table-wide; without it, replicas use an AWS owned key.
    if ((table.Properties.SSESpecification as { SSEEnabled?: boolean } | undefined)?.SSEEnabled !== true) {
      findings.push(`${id} (AWS::DynamoDB::GlobalTable): SSESpecification.SSEEnabled is not true`);
    }
  }
  return findings;
}

/** The condition operators that pin a request's source; `...IfExists` would let a request without one through. */
const SOURCE_OPERATORS = ['ArnEquals', 'ArnLike', 'StringEquals', 'StringLike'];

/** Whether `statement` has a non-empty `aws:SourceArn` under one of {@link SOURCE_OPERATORS}. */
function hasSourceArnCondition(statement: Statement): boolean {
  return Object.entries(statement.Condition ?? {}).some(
    ([operator, keys]) =>
      SOURCE_OPERATORS.includes(operator) &&
      Object.entries(keys).some(
        ([key, value]) => key.toLowerCase() === 'aws:sourcearn' && asArray(value as unknown).length > 0,
      ),
  );
}

/** The resource policies checked for service grants: resource type → where its document is. */
const RESOURCE_POLICIES: Record<string, (properties: Json) => Statement[]> = {
  'AWS::SQS::QueuePolicy': (p) => statementsOf(p.PolicyDocument),
  'AWS::SNS::TopicPolicy': (p) => statementsOf(p.PolicyDocument),
  'AWS::KMS::Key': (p) => statementsOf(p.KeyPolicy),
  'AWS::S3::BucketPolicy': (p) => statementsOf(p.PolicyDocument),
  'AWS::Logs::ResourcePolicy': (p) => statementsOf(p.PolicyDocument),
  // One statement (`Statement`), or the legacy Principal/Action/Condition properties, which name accounts only.
  'AWS::Events::EventBusPolicy': (p) => asArray(p.Statement as Statement | undefined),
};

/**
 * Confused-deputy protection: every `Allow` statement of a resource policy
 * (queue, topic, KMS key, bucket, event bus and log resource policies) with a
 * `Service` principal carries an `aws:SourceArn` condition, and every
 * AWS::Lambda::Permission for a service principal has a `SourceArn`. Role trust
 * policies are not resource policies and are not checked here.
 */
export function serviceGrantFindings(template: TemplateJson): string[] {
  const findings: string[] = [];
  for (const [type, statementsOfResource] of Object.entries(RESOURCE_POLICIES)) {
    for (const [id, r] of resourcesOf(template, type)) {
      for (const statement of statementsOfResource(r.Properties)) {
        const principal = statement.Principal as { Service?: unknown } | string | undefined;
        const services = typeof principal === 'object' ? asArray(principal.Service) : [];
        if (statement.Effect === 'Allow' && services.length > 0 && !hasSourceArnCondition(statement)) {
          findings.push(
            `${describe(id, type, statement)}: grants ${services.join(', ')} without an aws:SourceArn condition`,
          );
        }
      }
    }
  }
  for (const [id, permission] of resourcesOf(template, 'AWS::Lambda::Permission')) {
    const principal = permission.Properties.Principal;
    if (typeof principal === 'string' && principal.endsWith('.amazonaws.com') && !permission.Properties.SourceArn) {
      findings.push(
        `${id} (AWS::Lambda::Permission): grants ${principal} ${JSON.stringify(permission.Properties.Action)} without a SourceArn`,
      );
    }
  }
  return findings;
}
