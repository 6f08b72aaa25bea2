/**
 * cfn-lint over the synthesized templates: the pinned linter from `.engine/venv` (localstack/requirements.txt,
 * installed by localstack/engine.ts), always with the project's `.cfnlintrc.yaml`.
 * Used by test/lib/stacks/order-flow-stack-cfn-lint.test.ts (in `npm test`) and by `npm run lint:cfn` (scripts/lint-cfn.ts).
 */
import { spawn } from 'node:child_process';
import { basename, join, relative } from 'node:path';
import type { SagaMode } from '../../../lib/config/saga-mode';
import type { Stage } from '../../../lib/stacks/order-flow-stack';
import { ensureVenv, ROOT, venvTool } from '../../../localstack/engine';

export const CFN_LINT_CONFIG = join(ROOT, '.cfnlintrc.yaml');

/** Every variant of the stack that can be deployed: each stage with each saga mode. */
export const STACK_VARIANTS: readonly { stage: Stage; sagaMode: SagaMode; file: string }[] = [
  { stage: 'aws', sagaMode: 'standard', file: 'OrderFlow.aws.standard.template.json' },
  { stage: 'aws', sagaMode: 'express', file: 'OrderFlow.aws.express.template.json' },
  { stage: 'local', sagaMode: 'standard', file: 'OrderFlow.local.standard.template.json' },
  { stage: 'local', sagaMode: 'express', file: 'OrderFlow.local.express.template.json' },
];

/** One finding of cfn-lint's `--format json` output, reduced to what we read. */
export interface CfnLintFinding {
  rule: string;
  level: 'Error' | 'Warning' | 'Informational';
  file: string;
  line: number;
  /** Where in the template: `['Resources', logicalId, 'Properties', …]`. */
  path: (string | number)[];
  message: string;
}

interface RawFinding {
  Filename: string;
  Level: CfnLintFinding['level'];
  Location: { Start: { LineNumber: number }; Path: (string | number)[] };
  Message: string;
  Rule: { Id: string };
}

/**
 * `W3005 OrderFlow.aws.standard.template.json:478 Resources/Fn/DependsOn/1: message`, one line per finding
 * (the file relative to the working directory, or its name alone when it lies outside, as a test's temp dir).
 */
export function formatFinding(finding: CfnLintFinding): string {
  const fromCwd = relative(process.cwd(), finding.file);
  const file = fromCwd.startsWith('..') ? basename(finding.file) : fromCwd;
  return `${finding.rule} ${file}:${finding.line} ${finding.path.join('/')}: ${finding.message}`;
}

/** How a child process ended, and what it wrote (empty where its output went to the terminal). */
export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without blocking the event loop (cfn-lint over the four templates takes tens of seconds,
 * and a vitest worker whose loop is blocked that long loses its connection to the runner).
 */
function runAsync(cmd: string, args: string[], stdio: 'pipe' | 'inherit'): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', stdio, stdio] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', (error) => reject(new Error(`could not run ${cmd}: ${error.message}`)));
    child.once('close', (status, signal) => resolvePromise({ status, signal, stdout, stderr }));
  });
}

/**
 * Runs the pinned cfn-lint with .cfnlintrc.yaml over `templates`; `args` come before the templates and take
 * precedence over the config file (cfn-lint's own rule), e.g. `--mandatory-checks W3005`.
 * Installs the venv first when it lacks the pinned version (the same code path as `npm run engine:up`).
 */
export async function runCfnLint(
  templates: string[],
  args: string[] = [],
  options: { stdio?: 'pipe' | 'inherit'; log?: (line: string) => void } = {},
): Promise<RunResult> {
  if (templates.length === 0) throw new Error('cfn-lint: no template to lint');
  const bin = await venvTool('cfn-lint', options.log);
  return runAsync(bin, ['--config-file', CFN_LINT_CONFIG, ...args, '--', ...templates], options.stdio ?? 'pipe');
}

/**
 * The findings of the pinned cfn-lint over `templates` (see {@link runCfnLint}). Throws when cfn-lint itself
 * fails (exit code bit 1: a crash, a bad option, a config file that does not match its schema) rather than
 * reading that as "no findings".
 */
export async function cfnLintFindings(templates: string[], args: string[] = []): Promise<CfnLintFinding[]> {
  const run = await runCfnLint(templates, [...args, '--format', 'json']);
  // cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational; 1 means it failed.
  let raw: RawFinding[] | undefined;
  try {
    raw = JSON.parse(run.stdout) as RawFinding[];
  } catch {
    raw = undefined;
  }
  if (run.status === null || run.status & 1 || !Array.isArray(raw)) {
    throw new Error(
      `cfn-lint failed (exit ${run.status ?? run.signal}):\n${run.stderr.trim()}\n${run.stdout.slice(0, 2000)}`,
    );
  }
  return raw.map((f) => ({
    rule: f.Rule.Id,
    level: f.Level,
    file: f.Filename,
    line: f.Location.Start.LineNumber,
    path: f.Location.Path,
    message: f.Message,
  }));
}

/**
 * The rules .cfnlintrc.yaml acknowledges (`ignore_checks`), read with the PyYAML that cfn-lint itself
 * depends on in the venv, so the file is parsed exactly as cfn-lint parses it.
 */
export async function acknowledgedRules(): Promise<string[]> {
  const python = await ensureVenv();
  const read = await runAsync(
    python,
    [
      '-c',
      'import json, sys, yaml; print(json.dumps((yaml.safe_load(open(sys.argv[1])) or {}).get("ignore_checks", [])))',
      CFN_LINT_CONFIG,
    ],
    'pipe',
  );
  if (read.status !== 0) throw new Error(`cannot read ${relative(ROOT, CFN_LINT_CONFIG)}: ${read.stderr.trim()}`);
  return JSON.parse(read.stdout) as string[];
}
