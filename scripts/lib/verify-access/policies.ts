import { type CfnTemplate, getAtt, refOf, resolve, targetId } from './intrinsics';

export interface PolicyDocument {
  Version?: string;
  Statement: Statement[];
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** One identity policy of a role: the resource that carries it and its resolved document. */
export interface IdentityPolicy {
  /** Logical id of the AWS::IAM::Policy (or `<role>/<name>` for an inline policy of the role). */
  id: string;
  document: PolicyDocument;
}

/** Every policy the template defines, resolved, indexed the way the evaluator asks for them. */
export interface PolicySet {
  /** Role ARN → its identity policies. */
  identity: Map<string, IdentityPolicy[]>;
  /** Resource ARN (queue, topic, key, role) → its resource policy: queue/topic policy, key policy, trust policy. */
  resource: Map<string, { id: string; document: PolicyDocument }>;
  /** Role ARN → logical id of the role. */
  roleIds: Map<string, string>;
}

const documentOf = (template: CfnTemplate, doc: unknown): PolicyDocument => {
  const d = resolve(template, doc) as PolicyDocument;
  return { Version: d.Version ?? '2012-10-17', Statement: d.Statement };
};

/** Collects the identity, resource, key and trust policies of a template. */
export function policiesOf(template: CfnTemplate): PolicySet {
  const identity = new Map<string, IdentityPolicy[]>();
  const resource = new Map<string, { id: string; document: PolicyDocument }>();
  const roleIds = new Map<string, string>();
  const addIdentity = (roleArn: string, policy: IdentityPolicy) => {
    identity.set(roleArn, [...(identity.get(roleArn) ?? []), policy]);
  };
  const addResource = (arn: string, id: string, document: PolicyDocument) => {
    const existing = resource.get(arn);
    // A resource with two policies: AWS evaluates their union.
    resource.set(
      arn,
      existing
        ? {
            id: `${existing.id}+${id}`,
            document: { ...existing.document, Statement: [...existing.document.Statement, ...document.Statement] },
          }
        : { id, document },
    );
  };
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Role': {
        const roleArn = getAtt(template, id, 'Arn');
        roleIds.set(roleArn, id);
        identity.set(roleArn, identity.get(roleArn) ?? []);
        addResource(roleArn, id, documentOf(template, p.AssumeRolePolicyDocument));
        if (p.ManagedPolicyArns && (p.ManagedPolicyArns as unknown[]).length > 0)
          throw new Error(
            `policies: role ${id} attaches managed policies, which this check does not model; grant inline instead`,
          );
        for (const inline of (p.Policies as { PolicyName: string; PolicyDocument: unknown }[]) ?? [])
          addIdentity(roleArn, {
            id: `${id}/${inline.PolicyName}`,
            document: documentOf(template, inline.PolicyDocument),
          });
        break;
      }
      case 'AWS::IAM::Policy':
        for (const role of p.Roles as unknown[]) {
          const roleId = targetId(role);
          if (!roleId) throw new Error(`policies: ${id} attaches to a role that is not in the template`);
          addIdentity(getAtt(template, roleId, 'Arn'), { id, document: documentOf(template, p.PolicyDocument) });
        }
        break;
      case 'AWS::SQS::QueuePolicy':
        for (const q of p.Queues as unknown[]) {
          const qid = targetId(q);
          if (!qid) throw new Error(`policies: ${id} names a queue that is not in the template`);
          addResource(getAtt(template, qid, 'Arn'), id, documentOf(template, p.PolicyDocument));
        }
        break;
      case 'AWS::SNS::TopicPolicy':
        for (const t of p.Topics as unknown[]) {
          const tid = targetId(t);
          if (!tid) throw new Error(`policies: ${id} names a topic that is not in the template`);
          addResource(refOf(template, tid), id, documentOf(template, p.PolicyDocument));
        }
        break;
      case 'AWS::KMS::Key':
        addResource(getAtt(template, id, 'Arn'), id, documentOf(template, p.KeyPolicy));
        break;
      case 'AWS::Lambda::Permission':
      case 'AWS::Events::EventBusPolicy':
        throw new Error(`policies: ${r.Type} (${id}) is not modelled yet; add it to policies.ts`);
      default:
    }
  }
  return { identity, resource, roleIds };
}
