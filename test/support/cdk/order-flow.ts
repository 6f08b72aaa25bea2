import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { OrderFlowStack, Stage } from '../../../lib/stacks/order-flow-stack';
import { synthOrderFlowApp } from '../../../scripts/lib/synth';
import { refOf, resourcesOf, type TemplateJson } from './cdk';

/**
 * Context that skips esbuild bundling of the functions' code: `aws:cdk:bundling-stacks` lists the stacks
 * whose assets are bundled, and the CDK CLI itself sets it to none for `cdk list` and `cdk destroy`
 * (https://github.com/aws/aws-cdk/pull/9889; the assertions-library workaround in
 * https://github.com/aws/aws-cdk/issues/18125). The template differs only in the code assets' hashes;
 * an in-process synth took 3.0 s instead of 90 s with bundling (one run each on the 2-core machine,
 * BENCHMARKS.md).
 */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/**
 * The stack as bin/app.ts builds it, its template and the cdk-nag report (scripts/lib/synth.ts, which
 * `npm run lint:cfn` uses too), with the template also as an assertions `Template`. The functions' code
 * is not bundled (see {@link SKIP_BUNDLING}) unless `context` asks for it with
 * `'aws:cdk:bundling-stacks': ['**']`: no infra test reads a bundle; `npm run synth`, the deploy and the
 * bundle-size tool do.
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
  const { stack, nag } = synthOrderFlowApp(stage, { ...SKIP_BUNDLING, ...context });
  // The app is synthesized already: this reads the same assembly.
  const template = Template.fromStack(stack);
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
