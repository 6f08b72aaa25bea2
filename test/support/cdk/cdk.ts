import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { cdkContext } from '../../../scripts/lib/synth';

export const ROOT = resolve(__dirname, '..', '..', '..');

/** A one-line handler entry for construct tests (bundles in milliseconds). */
export const NOOP_ENTRY = join(ROOT, 'test', 'support', 'fixtures', 'noop', 'handler.ts');

export { cdkContext } from '../../../scripts/lib/synth';

/** A fresh app and stack with the project's feature flags, for construct tests. */
export function testStack(id = 'Test'): { app: App; stack: Stack } {
  const app = new App({ context: cdkContext() });
  return { app, stack: new Stack(app, id) };
}

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  Condition?: string;
  DeletionPolicy?: string;
  Metadata?: Record<string, unknown>;
};
export type TemplateJson = { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };

/** Resources of one type, keyed by logical id (`Properties` defaults to `{}`). */
export function resourcesOf(template: TemplateJson, type: string): [string, Resource][] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, { ...r, Properties: r.Properties ?? {} }]);
}

/** The logical id inside `{ Ref }` or `{ Fn::GetAtt: [id, attr] }`, else undefined. */
export function refOf(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    if (typeof v.Ref === 'string') return v.Ref;
    if (Array.isArray(v['Fn::GetAtt'])) return v['Fn::GetAtt'][0];
  }
  return undefined;
}

/**
 * A state machine's definition as JSON: the `Fn::Join` parts of DefinitionString,
 * with every intrinsic replaced by a placeholder string.
 */
export function definitionOf(template: TemplateJson): {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, Record<string, unknown>>;
} {
  const [, machine] = resourcesOf(template, 'AWS::StepFunctions::StateMachine')[0];
  const definition = machine.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof definition === 'string'
      ? definition
      : definition['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'INTRINSIC')).join('');
  return JSON.parse(text);
}

/**
 * The function settings every NodeFunction (and so every QueueConsumer and StreamConsumer) synthesizes
 * with a 10-second timeout: Node.js 22 on arm64, 256 MB, X-Ray tracing.
 */
export const PROJECT_FUNCTION_PROPERTIES = {
  Runtime: 'nodejs22.x',
  Architectures: ['arm64'],
  MemorySize: 256,
  Timeout: 10,
  TracingConfig: { Mode: 'Active' },
} as const;
