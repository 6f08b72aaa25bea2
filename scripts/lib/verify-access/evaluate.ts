// The IAM evaluator is AGPL-3.0: this check (scripts/, a devDependency) is its only user; nothing under
// lib/ or lambdas/ imports it, so it is never bundled into a handler or a construct.
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT } from './intrinsics';
import type { AccessRequest, Evaluated } from './model';
import type { PolicySet } from './policies';

/**
 * Evaluates one request with @cloud-copilot/iam-simulate: the principal's identity policies (none for a
 * service principal), the resource's own policy (queue/topic policy, key policy, trust policy) and the
 * context AWS sends. Same-account requests: an identity allow or a resource-policy allow suffices, an
 * explicit deny anywhere wins, and a KMS key only trusts IAM policies where its key policy lets the account.
 */
export async function evaluate(request: AccessRequest, policies: PolicySet): Promise<Evaluated> {
  const isRole = request.principal.startsWith('arn:');
  if (isRole && !policies.identity.has(request.principal))
    return { ...request, decision: 'DENY', detail: `no role ${request.principal} in the template` };
  const identity = isRole ? (policies.identity.get(request.principal) ?? []) : [];
  const resourcePolicy = request.resource === '*' ? undefined : policies.resource.get(request.resource);
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT },
      contextVariables: request.context,
    },
    identityPolicies: identity.map((p) => ({ name: p.id, policy: p.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourcePolicy ? { resourcePolicy: resourcePolicy.document } : {}),
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') {
    throw new Error(
      `verify-access: the evaluator rejected ${request.action} on ${request.resource} by ${request.principal}: ${JSON.stringify(response.errors)}`,
    );
  }
  const allowed = response.overallResult === 'Allowed';
  return {
    ...request,
    decision: allowed ? 'ALLOW' : 'DENY',
    ...(allowed
      ? {}
      : {
          detail: `${response.overallResult}; identity: ${identity.map((p) => p.id).join(', ') || 'none'}; resource policy: ${resourcePolicy?.id ?? 'none'}`,
        }),
  };
}
