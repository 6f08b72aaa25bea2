import { App, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FAULT_INJECTION_CONTEXT_KEY, parseFaultInjection } from '../../../lib/config/fault-injection';
import { parseSagaMode, SAGA_MODE_CONTEXT_KEY } from '../../../lib/config/saga-mode';
import { OrderFlowStack, type Stage } from '../../../lib/stacks/order-flow-stack';
import { cdkContext, refOf, resourcesOf, type TemplateJson } from './cdk';

/**
 * The stack as bin/app.ts builds it (cdk.json context, stack name, saga mode from the `sagaMode` context, the
 * fault-injection switch from the `faultInjection` context or the stage's default),
 * its template and the cdk-nag report. `context` is added on top of cdk.json's, as `-c key=value` would be.
 * The template carries every cdk-nag acknowledgement of a resource (its own and its ancestors') as
 * `Metadata.cdk_nag.rules_to_suppress`, cdk-nag's audit-trail format, so checks can read them back.
 */
export function synthOrderFlow(
  stage: Stage,
  context: Record<string, unknown> = {},
): {
  stack: OrderFlowStack;
  template: Template;
  json: TemplateJson;
  nag: PolicyValidationPluginReport;
} {
  const app = new App({ context: { ...cdkContext(), stage, ...context } });
  const sagaMode = parseSagaMode(app.node.tryGetContext(SAGA_MODE_CONTEXT_KEY));
  const faultInjection = parseFaultInjection(app.node.tryGetContext(FAULT_INJECTION_CONTEXT_KEY), stage);
  const stack = new OrderFlowStack(app, 'OrderFlow', { stackName: 'OrderFlow', stage, sagaMode, faultInjection });
  // Created before synthesis: with writeSuppressionsToCloudFormation it adds the aspect that writes the metadata.
  const checks = new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true });
  const template = Template.fromStack(stack);
  // cdk-nag 3 is a policy-validation plugin; validateScope runs the same checks synth runs.
  const nag = checks.validateScope(app);
  return { stack, template, json: template.toJSON() as TemplateJson, nag };
}

/** One line per unacknowledged cdk-nag finding, for a readable assertion failure. */
export function nagFindings(report: PolicyValidationPluginReport): string[] {
  return report.violations.flatMap((v) =>
    v.violatingResources.map(
      (r) => `${v.severity ?? 'error'} ${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}`,
    ),
  );
}

/** Logical ids of queues used as a dead-letter queue by anything: a queue, a subscription, a rule target, an event source. */
export function deadLetterQueueIds(json: TemplateJson): Set<string> {
  const ids = new Set<string>();
  for (const [, q] of resourcesOf(json, 'AWS::SQS::Queue')) {
    const id = refOf((q.Properties.RedrivePolicy as { deadLetterTargetArn?: unknown })?.deadLetterTargetArn);
    if (id) ids.add(id);
  }
  for (const [, s] of resourcesOf(json, 'AWS::SNS::Subscription')) {
    const id = refOf((s.Properties.RedrivePolicy as { deadLetterTargetArn?: unknown })?.deadLetterTargetArn);
    if (id) ids.add(id);
  }
  for (const [, rule] of resourcesOf(json, 'AWS::Events::Rule')) {
    for (const target of rule.Properties.Targets as { DeadLetterConfig?: { Arn: unknown } }[]) {
      const id = refOf(target.DeadLetterConfig?.Arn);
      if (id) ids.add(id);
    }
  }
  for (const [, esm] of resourcesOf(json, 'AWS::Lambda::EventSourceMapping')) {
    const onFailure = (esm.Properties.DestinationConfig as { OnFailure?: { Destination: unknown } })?.OnFailure;
    const id = refOf(onFailure?.Destination);
    if (id) ids.add(id);
  }
  return ids;
}
