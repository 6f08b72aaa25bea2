import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { SMOKE_CHECKS } from '../../scripts/lib/smoke/verdict';

const ROOT = resolve(__dirname, '..', '..');

/** Runs `npm run smoke` the way a team would after deploying (tsx directly, same script), against the test's engine. */
function smoke(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, failed) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/smoke.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...inject('awsEnv') },
      timeout: 400_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', failed);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The table's rows: `<check>  PASS|FAIL  <detail>` (continuation lines of a long detail are indented). */
function tableRows(stdout: string): Map<string, { result: string; detail: string }> {
  const rows = new Map<string, { result: string; detail: string }>();
  for (const line of stdout.split('\n')) {
    const match = /^(\S.*?)\s{2,}(PASS|FAIL)\s{2}(.*)$/.exec(line);
    if (match) rows.set(match[1], { result: match[2], detail: match[3] });
  }
  return rows;
}

/**
 * The post-deploy smoke check (issue 11) run against the stack the global
 * setup deployed, as the command a team runs: it places its own `smoke-<run>-`
 * orders, so it leaves the other files' orders alone. One row per check must
 * be there and pass, and the command must exit 0.
 */
describe('npm run smoke (against the local engine)', () => {
  let run: Awaited<ReturnType<typeof smoke>>;
  let rows: ReturnType<typeof tableRows>;

  beforeAll(async () => {
    run = await smoke('--timeout', '240');
    rows = tableRows(run.stdout);
    console.log(run.stdout.slice(run.stdout.indexOf('================')));
  }, 420_000);

  it('prints a row for every check, and nothing else', () => {
    expect([...rows.keys()]).toEqual([...SMOKE_CHECKS]);
  });

  it.each([...SMOKE_CHECKS])('%s: passes', (name) => {
    // The detail is the message: on a failure it says which orders and what was seen.
    expect(rows.get(name)?.result, `${name}: ${rows.get(name)?.detail ?? 'no row'}`).toBe('PASS');
  });

  it('shows progress while it waits, and exits 0', () => {
    expect(run.stdout).toMatch(/smoke: \d\/5 settled/);
    expect(run.stdout).toContain('smoke: 5/5 settled');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('documents --target aws, --stack-name, the time bound, the prefix, what it writes and production safety in --help', async () => {
    const help = await smoke('--help');
    expect(help.code).toBe(0);
    for (const text of [
      '--target',
      'aws:',
      '--stack-name',
      '--timeout',
      'smoke-<run>-',
      'what it writes',
      'safe on a production stack',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });

  it('refuses bad arguments with exit code 2 before placing anything', async () => {
    const bad = await smoke('--timeout', '5');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout must be a whole number');
  });
});
