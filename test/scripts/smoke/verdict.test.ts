import { describe, expect, it } from 'vitest';
import {
  type Check,
  evaluate,
  fail,
  formatTable,
  fromProblems,
  pass,
  SMOKE_CHECKS,
  verdict,
} from '../../../scripts/lib/smoke/verdict';

const allPassing = (): Check[] => SMOKE_CHECKS.map((name) => pass(name, 'ok'));

describe('smoke verdict', () => {
  it('passes, exit code 0, only when every check is present and passed', () => {
    const v = verdict(allPassing());
    expect(v).toMatchObject({ passed: true, exitCode: 0 });
    expect(v.checks.map((c) => c.name)).toEqual([...SMOKE_CHECKS]);
  });

  it('fails with exit code 1 when one check fails', () => {
    const checks = allPassing().map((c) => (c.name === 'timeline grouping' ? fail(c.name as never, 'groups {x}') : c));
    const v = verdict(checks);
    expect(v).toMatchObject({ passed: false, exitCode: 1 });
    expect(v.checks.find((c) => c.name === 'timeline grouping')).toEqual({
      name: 'timeline grouping',
      result: 'fail',
      detail: 'groups {x}',
    });
  });

  it('counts a missing check as a failure, not a pass', () => {
    const v = verdict(allPassing().filter((c) => c.name !== 'alarms'));
    expect(v.exitCode).toBe(1);
    expect(v.checks.find((c) => c.name === 'alarms')).toMatchObject({
      result: 'fail',
      detail: expect.stringMatching(/not evaluated/),
    });
  });

  it('fails a run with no checks at all', () => {
    const v = verdict([]);
    expect(v.exitCode).toBe(1);
    expect(v.checks).toHaveLength(SMOKE_CHECKS.length);
    expect(v.checks.every((c) => c.result === 'fail')).toBe(true);
  });

  it('fails a check reported twice, an unknown result and a check that is not a smoke check', () => {
    expect(
      verdict([...allPassing(), pass('dashboard', 'again')]).checks.find((c) => c.name === 'dashboard'),
    ).toMatchObject({
      result: 'fail',
      detail: 'reported 2 times',
    });
    const odd = allPassing().map((c) => (c.name === 'outcomes' ? { ...c, result: 'skipped' as never } : c));
    expect(verdict(odd)).toMatchObject({ exitCode: 1 });
    const extra = verdict([...allPassing(), { name: 'made up', result: 'pass', detail: '' }]);
    expect(extra.exitCode).toBe(1);
    expect(extra.checks.at(-1)).toMatchObject({ name: 'made up', result: 'fail' });
  });
});

describe('evaluate', () => {
  it('turns a check that throws into a failure that says it could not be evaluated', async () => {
    const check = await evaluate('alarms', () => {
      throw new Error('AccessDenied: cloudwatch:DescribeAlarms');
    });
    expect(check).toEqual({
      name: 'alarms',
      result: 'fail',
      detail: 'could not be evaluated: AccessDenied: cloudwatch:DescribeAlarms',
    });
    expect(verdict([...allPassing().filter((c) => c.name !== 'alarms'), check]).exitCode).toBe(1);
  });

  it('turns a rejected promise into a failure too', async () => {
    const check = await evaluate('dashboard', async () => Promise.reject(new Error('ResourceNotFound')));
    expect(check.result).toBe('fail');
  });

  it('refuses a check that reports under another name', async () => {
    expect(await evaluate('dashboard', () => pass('alarms', 'ok'))).toMatchObject({
      name: 'dashboard',
      result: 'fail',
    });
  });

  it('keeps a passing check as it is', async () => {
    expect(await evaluate('dashboard', async () => pass('dashboard', '31 widgets'))).toEqual(
      pass('dashboard', '31 widgets'),
    );
  });
});

describe('fromProblems', () => {
  it('passes with no problems and fails listing the first few otherwise', () => {
    expect(fromProblems('outcomes', [], 'all good')).toEqual(pass('outcomes', 'all good'));
    const c = fromProblems('outcomes', ['a', 'b', 'c'], 'all good', 2);
    expect(c).toEqual(fail('outcomes', 'a; b; … and 1 more'));
  });
});

describe('formatTable', () => {
  it('prints a row per check with PASS or FAIL and the detail, long details wrapped under their column', () => {
    const text = formatTable([pass('outcomes', 'fine'), fail('timeline grouping', `${'word '.repeat(40)}end`)], 80);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^check\s+result\s+detail$/);
    expect(lines[2]).toMatch(/^outcomes\s+PASS\s+fine$/);
    expect(lines[3]).toMatch(/^timeline grouping\s+FAIL\s+word/);
    expect(lines.length).toBeGreaterThan(4);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines.at(-1)).toMatch(/^\s{20,}.*end$/);
  });
});
