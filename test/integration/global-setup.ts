import type { TestProject } from 'vitest/node';
import { deployLocal } from '../../localstack/deploy';
import { awsEnv, ensureEngine } from '../../localstack/engine';

declare module 'vitest' {
  export interface ProvidedContext {
    outputs: Record<string, string>;
    awsEnv: Record<string, string>;
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
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return async () => {
    await engine.stop();
  };
}
