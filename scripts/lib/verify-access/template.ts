import { readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { App } from 'aws-cdk-lib';
import { parseSagaMode } from '../../../lib/config/saga-mode';
import { OrderFlowStack } from '../../../lib/stacks/order-flow-stack';
import type { CfnTemplate } from './intrinsics';

export const ROOT = resolvePath(__dirname, '..', '..', '..');

/**
 * The aws-stage template as `cdk synth` builds it (cdk.json context, default saga mode), synthesized in
 * process. `mutate` lets a test change the stack before synthesis (e.g. remove one statement).
 */
export function synthAwsTemplate(
  options: { context?: Record<string, unknown>; mutate?: (stack: OrderFlowStack) => void } = {},
): CfnTemplate {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, stage: 'aws', ...options.context } });
  const sagaMode = parseSagaMode(app.node.tryGetContext('sagaMode'));
  const faultInjection = String(app.node.tryGetContext('faultInjection') ?? 'true') === 'true';
  const stack = new OrderFlowStack(app, 'OrderFlow', {
    stackName: 'OrderFlow',
    stage: 'aws',
    sagaMode,
    faultInjection,
  });
  options.mutate?.(stack);
  return app.synth().getStackByName('OrderFlow').template as CfnTemplate;
}
