/**
 * The smoke check's table and verdict, kept pure so the rules that decide the
 * exit code are unit-tested without an engine: a failing check fails the run,
 * and so does a check that could not be evaluated or never ran. Nothing passes
 * by default.
 */

export type CheckResult = 'pass' | 'fail';

export interface Check {
  /** One of SMOKE_CHECKS. */
  name: string;
  result: CheckResult;
  /** What was seen: counts on a pass, every problem (shortened) on a failure. */
  detail: string;
}

/** Every check a smoke run makes, in table order. A run missing one of them has failed. */
export const SMOKE_CHECKS = [
  'orders placed',
  'outcomes',
  'duplicate delivery',
  'invariants',
  'consumer effects',
  'timeline grouping',
  'dead-letter queues',
  'dashboard',
  'alarms',
] as const;

export type SmokeCheckName = (typeof SMOKE_CHECKS)[number];

export const pass = (name: SmokeCheckName, detail: string): Check => ({ name, result: 'pass', detail });
export const fail = (name: SmokeCheckName, detail: string): Check => ({ name, result: 'fail', detail });

/** A check built from a list of problems: passes only when there are none. */
export function fromProblems(name: SmokeCheckName, problems: readonly string[], passDetail: string, max = 5): Check {
  if (problems.length === 0) return pass(name, passDetail);
  const shown = problems.slice(0, max).join('; ');
  return fail(name, problems.length > max ? `${shown}; … and ${problems.length - max} more` : shown);
}

/**
 * Runs one check; an exception (a call refused, a permission missing, the
 * engine gone) is that check's failure, with the error, never a pass.
 */
export async function evaluate(name: SmokeCheckName, check: () => Promise<Check> | Check): Promise<Check> {
  try {
    const result = await check();
    if (result.name !== name) return fail(name, `internal: the check reported as "${result.name}"`);
    return result;
  } catch (error) {
    return fail(name, `could not be evaluated: ${(error as Error).message ?? String(error)}`);
  }
}

export interface Verdict {
  /** The checks in SMOKE_CHECKS order, a failed row for each one that is missing. */
  checks: Check[];
  passed: boolean;
  exitCode: 0 | 1;
}

/**
 * The run's verdict: passes only when every check of SMOKE_CHECKS is present,
 * exactly once, and passed. A missing or repeated check, an unknown result, or
 * no checks at all is a failure.
 */
export function verdict(checks: readonly Check[]): Verdict {
  const rows: Check[] = [];
  for (const name of SMOKE_CHECKS) {
    const found = checks.filter((c) => c.name === name);
    if (found.length === 0) rows.push(fail(name, 'not evaluated (the run stopped before this check)'));
    else if (found.length > 1) rows.push(fail(name, `reported ${found.length} times`));
    else if (found[0].result !== 'pass' && found[0].result !== 'fail') {
      rows.push(fail(name, `unknown result "${String(found[0].result)}": ${found[0].detail}`));
    } else rows.push(found[0]);
  }
  for (const extra of checks.filter((c) => !(SMOKE_CHECKS as readonly string[]).includes(c.name))) {
    rows.push({ ...extra, result: 'fail', detail: `not a smoke check: ${extra.detail}` });
  }
  const passed = rows.every((r) => r.result === 'pass');
  return { checks: rows, passed, exitCode: passed ? 0 : 1 };
}

/** The pass/fail table: check, result, detail (details wrap at `width` characters, indented under their column). */
export function formatTable(checks: readonly Check[], width = 100): string {
  const nameWidth = Math.max('check'.length, ...checks.map((c) => c.name.length));
  const resultWidth = 'result'.length;
  const indent = ' '.repeat(nameWidth + resultWidth + 4);
  const detailWidth = Math.max(30, width - indent.length);
  const wrap = (text: string) => {
    const lines: string[] = [];
    let line = '';
    for (const word of text.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > detailWidth) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
    return lines.join(`\n${indent}`);
  };
  const row = (a: string, b: string, c: string) => `${a.padEnd(nameWidth)}  ${b.padEnd(resultWidth)}  ${c}`;
  return [
    row('check', 'result', 'detail'),
    row('-'.repeat(nameWidth), '-'.repeat(resultWidth), '-'.repeat(6)),
    ...checks.map((c) => row(c.name, c.result === 'pass' ? 'PASS' : 'FAIL', wrap(c.detail))),
  ].join('\n');
}
