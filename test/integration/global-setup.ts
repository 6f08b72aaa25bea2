import type { TestProject } from 'vitest/node';
import type { StackOutputs } from '../../lambdas/contracts/stack-outputs';
import { deployLocal } from '../../localstack/deploy';
import { awsEnv, ensureEngine, identifyEngine } from '../../localstack/engine';

declare module 'vitest' {
  export interface ProvidedContext {
    outputs: StackOutputs;
    awsEnv: Record<string, string>;
    /** Which engine answers on the endpoint: `ministack`, or `other` (LocalStack, AWS-like). */
    engine: string;
  }
}

/**
 * Brings the local engine up (or reuses one that answers on AWS_ENDPOINT_URL),
 * deploys the stack once for every integration file, and stops the engine it
 * started when the run ends, whether the tests passed or not.
 */
export default async function setup(project: TestProject) {
  const engine = await ensureEngine();
  try {
    const outputs = await deployLocal();
    project.provide('outputs', outputs);
    project.provide('awsEnv', awsEnv());
    project.provide('engine', await identifyEngine(awsEnv().AWS_ENDPOINT_URL));
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return async () => {
    await engine.stop();
  };
}
