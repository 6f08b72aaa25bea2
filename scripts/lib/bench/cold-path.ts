import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../../localstack/engine';
import { percentile } from '../stats';

export interface HandlerColdPath {
  /** The function's construct id (e.g. OrderService). */
  function: string;
  bundleBytes: number;
  /** Median wall time of `require(bundle)` in a fresh node process, over `runs`. */
  initMsMedian: number;
  initMsAll: number[];
}

export interface ColdPath {
  synthSeconds: number[];
  synthSecondsMedian: number;
  handlers: HandlerColdPath[];
}

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

/**
 * `cdk synth` wall time (the aws stage, every handler bundled by esbuild), then
 * for each handler its minified bundle size and its module init time: the
 * median over `initRuns` fresh `node` processes of the time `require()` of the
 * bundle takes, with the function's environment variables set (handlers read
 * them at init) to placeholder values.
 */
export async function measureColdPath({
  synthRuns = 1,
  initRuns = 7,
  root = ROOT,
  log = console.log,
} = {}): Promise<ColdPath> {
  const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  try {
    const synthSeconds: number[] = [];
    for (let run = 0; run < synthRuns; run++) {
      const started = process.hrtime.bigint();
      const result = spawnSync('npx', ['cdk', 'synth', '-q', '-o', out], { cwd: root, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`cdk synth failed: ${result.stderr.slice(-2000)}`);
      synthSeconds.push(Number(process.hrtime.bigint() - started) / 1e9);
      log(`bench: cdk synth ${synthSeconds[synthSeconds.length - 1].toFixed(1)} s`);
    }
    const template = JSON.parse(readFileSync(join(out, 'OrderFlow.template.json'), 'utf8')) as {
      Resources: Record<string, Resource>;
    };
    const handlers: HandlerColdPath[] = [];
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') continue;
      const bundle = join(out, assetPath, 'index.js');
      const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      const env = {
        ...process.env,
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...Object.fromEntries(
          Object.entries(variables ?? {}).map(([k, v]) => [
            k,
            typeof v === 'string' ? v : `placeholder-${k.toLowerCase()}`,
          ]),
        ),
      };
      const initMsAll: number[] = [];
      for (let run = 0; run < initRuns; run++) {
        const probe = spawnSync(
          process.execPath,
          [
            '-e',
            `const t=process.hrtime.bigint();require(${JSON.stringify(bundle)});console.log(Number(process.hrtime.bigint()-t)/1e6)`,
          ],
          { env, encoding: 'utf8' },
        );
        if (probe.status !== 0) throw new Error(`init of ${logicalId} failed: ${probe.stderr.slice(-1000)}`);
        initMsAll.push(Number(probe.stdout.trim()));
      }
      const name = String(resource.Metadata?.['aws:cdk:path'] ?? logicalId).split('/')[1] ?? logicalId;
      const sorted = [...initMsAll].sort((a, b) => a - b);
      handlers.push({
        function: name,
        bundleBytes: statSync(bundle).size,
        initMsMedian: percentile(sorted, 50),
        initMsAll,
      });
    }
    handlers.sort((a, b) => b.bundleBytes - a.bundleBytes);
    for (const h of handlers) {
      log(
        `bench: ${h.function.padEnd(24)} ${(h.bundleBytes / 1024).toFixed(0).padStart(6)} KiB  init ${h.initMsMedian.toFixed(1)} ms`,
      );
    }
    const sortedSynth = [...synthSeconds].sort((a, b) => a - b);
    return { synthSeconds, synthSecondsMedian: percentile(sortedSynth, 50), handlers };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
