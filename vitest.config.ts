import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Three suites with different needs:
 * - unit: pure logic with injected fakes, milliseconds;
 * - infra: synthesizes the CDK app (esbuild bundling), seconds;
 * - integration: deploys to the local engine once (global setup) and drives
 *   real messages through it, so files run one after another.
 */
export default defineConfig({
  test: {
    reporters: ['default', './tools/summary-reporter.ts'],
    // Node 20 is what these machines run; the SDK's notice that it wants Node 22 from 2027 is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/lib/**', 'test/integration/**'],
        },
      },
      { test: { name: 'infra', include: ['test/lib/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 300_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          // One deployment, shared by every file: run the files one at a time.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
