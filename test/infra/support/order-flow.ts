import { App, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OrderFlowStack, type Stage } from '../../../lib/stacks/order-flow-stack';
import { cdkContext, type TemplateJson } from './cdk';

/** The stack as bin/app.ts builds it (cdk.json context, stack name), its template and the cdk-nag report. */
export function synthOrderFlow(stage: Stage): {
  stack: OrderFlowStack;
  template: Template;
  json: TemplateJson;
  nag: PolicyValidationPluginReport;
} {
  const app = new App({ context: { ...cdkContext(), stage } });
  const stack = new OrderFlowStack(app, 'OrderFlow', { stackName: 'OrderFlow', stage });
  const template = Template.fromStack(stack);
  // cdk-nag 3 is a policy-validation plugin; validateScope runs the same checks synth runs.
  const nag = new AwsSolutionsChecks(app).validateScope(app);
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
