import type { AccessRequest } from './model';
import type { PolicySet } from './policies';

/** One (action, resource) a role's identity policy allows. */
export interface Grant {
  role: string;
  roleArn: string;
  policy: string;
  action: string;
  resource: string;
}

/** One reason to keep a grant no request uses: matched by role logical-id prefix, exact action, resource substring. */
export interface KeptGrant {
  role: string;
  action: string;
  resource?: string;
  reason: string;
}

/** IAM's wildcard match (`*` any run, `?` one character); actions compare case-insensitively. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, ignoreCase ? 'i' : '').test(value);
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every Allow (action, resource) pair of every role's identity policies. */
export function grantsOf(policies: PolicySet): Grant[] {
  const out: Grant[] = [];
  for (const [roleArn, attached] of policies.identity) {
    const role = policies.roleIds.get(roleArn) ?? roleArn;
    for (const p of attached)
      for (const s of p.document.Statement) {
        if (s.Effect !== 'Allow') continue;
        if (s.NotAction || s.NotResource)
          throw new Error(`least-privilege: ${p.id} uses NotAction/NotResource, not modelled`);
        for (const action of list(s.Action))
          for (const resource of list(s.Resource)) out.push({ role, roleArn, policy: p.id, action, resource });
      }
  }
  return out;
}

/** Whether any request by the grant's role is covered by the grant. */
export function used(grant: Grant, requests: AccessRequest[]): boolean {
  return requests.some(
    (r) =>
      r.principal === grant.roleArn && globMatch(grant.action, r.action, true) && globMatch(grant.resource, r.resource),
  );
}

export const keeps = (k: KeptGrant, g: Grant) =>
  g.role.startsWith(k.role) && k.action === g.action && (k.resource === undefined || g.resource.includes(k.resource));

/**
 * The grants no request used, split into those kept with a reason and those nobody explained; and the
 * kept entries that matched no unused grant (stale: the grant went away or is now used).
 */
export function leastPrivilege(
  policies: PolicySet,
  requests: AccessRequest[],
  kept: KeptGrant[],
): { unexplained: Grant[]; kept: { grant: Grant; reason: string }[]; staleKeeps: KeptGrant[] } {
  const unused = grantsOf(policies).filter((g) => !used(g, requests));
  const out = {
    unexplained: [] as Grant[],
    kept: [] as { grant: Grant; reason: string }[],
    staleKeeps: [] as KeptGrant[],
  };
  for (const g of unused) {
    const k = kept.find((x) => keeps(x, g));
    if (k) out.kept.push({ grant: g, reason: k.reason });
    else out.unexplained.push(g);
  }
  out.staleKeeps = kept.filter((k) => !unused.some((g) => keeps(k, g)));
  return out;
}
