/**
 * The order-flow stack synthesized in process, the way bin/app.ts builds it for `cdk synth`: cdk.json's
 * context, the stack name, the saga mode from the `sagaMode` context and the fault-injection switch from the
 * `faultInjection` context or the stage's default, with cdk-nag's checks. Shared by `npm run lint:cfn`
 * (scripts/lint-cfn.ts) and the infra tests, so the command and the tests read the same templates; an
 * operator command must not import test code, so it lives here rather than in test/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FAULT_INJECTION_CONTEXT_KEY, parseFaultInjection } from '../../lib/config/fault-injection';
import { parseSagaMode, SAGA_MODE_CONTEXT_KEY } from '../../lib/config/saga-mode';
import { OrderFlowStack, type Stage } from '../../lib/stacks/order-flow-stack';
import { ROOT } from '../../localstack/engine';

/** The context of cdk.json (feature flags and the default stage), so an in-process synth is what `cdk synth` does. */
export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return { ...cdkJson.context };
}

/** A synthesized CloudFormation template, as JSON. */
export type SynthesizedTemplate = { Resources: Record<string, unknown>; Outputs?: Record<string, unknown> };

/**
 * Synthesizes the stack of `stage`; `context` is added on top of cdk.json's, as `-c key=value` would be.
 * The template carries every cdk-nag acknowledgement of a resource (its own and its ancestors') as
 * `Metadata.cdk_nag.rules_to_suppress`, cdk-nag's audit-trail format, so checks can read them back;
 * `nag` is cdk-nag's report (its unacknowledged findings are in `violations`).
 */
export function synthOrderFlowApp(
  stage: Stage,
  context: Record<string, unknown> = {},
): { app: App; stack: OrderFlowStack; json: SynthesizedTemplate; nag: PolicyValidationPluginReport } {
  const app = new App({ context: { ...cdkContext(), stage, ...context } });
  const sagaMode = parseSagaMode(app.node.tryGetContext(SAGA_MODE_CONTEXT_KEY));
  const faultInjection = parseFaultInjection(app.node.tryGetContext(FAULT_INJECTION_CONTEXT_KEY), stage);
  const stack = new OrderFlowStack(app, 'OrderFlow', { stackName: 'OrderFlow', stage, sagaMode, faultInjection });
  // Created before synthesis: with writeSuppressionsToCloudFormation it adds the aspect that writes the metadata.
  const checks = new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true });
  const json = app.synth().getStackArtifact(stack.artifactId).template as SynthesizedTemplate;
  // cdk-nag 3 is a policy-validation plugin; validateScope runs the same checks synth runs.
  const nag = checks.validateScope(app);
  return { app, stack, json, nag };
}
