import { evaluate } from './evaluate';
import type { CfnTemplate } from './intrinsics';
import { KEPT_GRANTS } from './kept-grants';
import { type KeptGrant, leastPrivilege } from './least-privilege';
import type { AccessRequest, Evaluated } from './model';
import { policiesOf } from './policies';
import { lambdasHash, type RecordedFixture, readFixture, recordedRequests, unrecordedFunctions } from './recorded';
import { synthAwsTemplate } from './template';
import { wiredRequests } from './wired';

export interface AccessCheckResult {
  ok: boolean;
  evaluated: Evaluated[];
  denied: Evaluated[];
  /** Why the check failed besides a DENY: stale recording, unrecorded function, unexplained grant ... */
  problems: string[];
  lines: string[];
}

const short = (arn: string) => arn.replace(/^arn:aws:iam::\d+:role\//, 'role/');

/** All requests: the functions' recorded calls and the wired service-to-service ones. */
export function allRequests(template: CfnTemplate, fixture: RecordedFixture): AccessRequest[] {
  return [...recordedRequests(template, fixture).requests, ...wiredRequests(template)];
}

/**
 * The whole check: evaluates every request against the template's policies, checks the recording is
 * current and covers every function, and shows least privilege (unused grants removed or kept with a
 * reason). `template`, `fixture` and `kept` default to the aws-stage synth, the committed recording and
 * kept-grants.ts; tests pass their own to show each failure.
 */
export async function runAccessCheck(
  options: { template?: CfnTemplate; fixture?: RecordedFixture; kept?: KeptGrant[]; checkFreshness?: boolean } = {},
): Promise<AccessCheckResult> {
  const template = options.template ?? synthAwsTemplate();
  const fixture = options.fixture ?? readFixture();
  const kept = options.kept ?? KEPT_GRANTS;
  const problems: string[] = [];
  if ((options.checkFreshness ?? true) && fixture.lambdasHash !== lambdasHash())
    problems.push(
      'the recorded requests are stale: lambdas/ changed since they were recorded; re-record with `npm run verify:access -- --record` (needs the local engine)',
    );
  for (const fn of unrecordedFunctions(template, fixture))
    problems.push(`function ${fn} has no recorded request; re-record with \`npm run verify:access -- --record\``);

  const policies = policiesOf(template);
  const { requests: recorded, notOnStage } = recordedRequests(template, fixture);
  const requests = [...recorded, ...wiredRequests(template)];
  const evaluated: Evaluated[] = [];
  for (const r of requests) evaluated.push(await evaluate(r, policies));
  const denied = evaluated.filter((e) => e.decision === 'DENY');

  const lp = leastPrivilege(policies, requests, kept);
  for (const g of lp.unexplained)
    problems.push(
      `unused grant: ${g.role} may ${g.action} on ${g.resource} (${g.policy}) and no request uses it; remove it at its source in lib/ or keep it with a reason in scripts/lib/verify-access/kept-grants.ts`,
    );
  for (const k of lp.staleKeeps)
    problems.push(
      `kept-grants.ts keeps ${k.role} ${k.action}${k.resource ? ` on *${k.resource}*` : ''}, which is no longer an unused grant; remove the entry`,
    );

  const lines = evaluated.map(
    (e) =>
      `${e.decision} ${short(e.principal)} ${e.action} ${e.resource}${e.decision === 'DENY' ? `  (${e.by}: ${e.detail})` : ''}`,
  );
  for (const r of notOnStage)
    lines.push(
      `skip ${r.function} ${r.action} ${JSON.stringify(r.resource)}: not made on the aws stage (its environment does not name it)`,
    );
  for (const k of lp.kept) lines.push(`kept ${k.grant.role} ${k.grant.action} ${k.grant.resource}: ${k.reason}`);
  for (const p of problems) lines.push(`problem: ${p}`);
  lines.push(
    `access: ${evaluated.length} requests, ${evaluated.length - denied.length} allowed, ${denied.length} denied`,
  );
  return { ok: denied.length === 0 && problems.length === 0, evaluated, denied, problems, lines };
}
