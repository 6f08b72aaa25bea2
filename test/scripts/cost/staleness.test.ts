import { describe, expect, it } from 'vitest';
import {
  checkFreshness,
  freshnessWarning,
  type Git,
  type GitAnswer,
  MEASURED_CODE,
  REMEASURE,
} from '../../../scripts/lib/cost/staleness';

const HEAD = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const MEASURED = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const PATHS = MEASURED_CODE.join(' ');
const ok = (stdout = ''): GitAnswer => ({ status: 0, stdout });
const exit = (status: number, stderr = ''): GitAnswer => ({ status, stdout: '', stderr });

/**
 * A git that answers from a table keyed by the command line; any command the table does not hold fails
 * the test, so each case also pins which git commands the decision runs.
 */
function fakeGit(answers: Record<string, GitAnswer>): Git & { asked: string[] } {
  const asked: string[] = [];
  const git = ((args: readonly string[]) => {
    const key = args.join(' ');
    asked.push(key);
    const answer = answers[key];
    if (!answer) throw new Error(`unexpected git ${key}`);
    return answer;
  }) as Git & { asked: string[] };
  git.asked = asked;
  return git;
}

/** The answers every case starts from: a checkout at HEAD with a clean measured tree that knows MEASURED. */
const base = {
  'rev-parse --verify HEAD': ok(`${HEAD}\n`),
  [`status --porcelain -- ${PATHS}`]: ok(''),
  [`cat-file -e ${MEASURED}^{commit}`]: ok(),
};
const measuredAt = '2026-12-02T07:47:59.584Z';

describe('is the measurement older than the code it prices?', () => {
  it('is current when the measured code is the same at HEAD (a change made and reverted does not count)', () => {
    const git = fakeGit({ ...base, [`diff --quiet ${MEASURED} ${HEAD} -- ${PATHS}`]: exit(0) });
    const f = checkFreshness({ measuredAt, commit: { sha: MEASURED, dirty: false } }, git);
    expect(f).toEqual({ kind: 'current', head: HEAD, measured: MEASURED, notes: [] });
    expect(freshnessWarning(f, measuredAt)).toEqual([]);
    expect(git.asked).not.toContain(`log --oneline ${MEASURED}..${HEAD} -- ${PATHS}`);
  });

  it('is stale when the measured code changed since, and counts the commits that changed it', () => {
    const git = fakeGit({
      ...base,
      [`diff --quiet ${MEASURED} ${HEAD} -- ${PATHS}`]: exit(1),
      [`log --oneline ${MEASURED}..${HEAD} -- ${PATHS}`]: ok('c3 third\nc2 second\nc1 first\n'),
    });
    const f = checkFreshness({ measuredAt, commit: { sha: MEASURED, dirty: false } }, git);
    expect(f).toMatchObject({
      kind: 'stale',
      basis: 'commit',
      measured: MEASURED,
      commits: ['c3 third', 'c2 second', 'c1 first'],
    });
    const warning = freshnessWarning(f, measuredAt);
    expect(warning[0]).toMatch(/^WARNING: the measurement priced here is older than the code at HEAD/);
    expect(warning.join('\n')).toContain(
      `measured at commit bbbbbbbbbbbb (${measuredAt}); HEAD is aaaaaaaaaaaa: 3 commits changed the measured code`,
    );
    expect(warning.join('\n')).toContain(`list them: git log --oneline bbbbbbbbbbbb..HEAD -- ${PATHS}`);
    expect(warning.join('\n')).toContain(`measure again at HEAD: ${REMEASURE}`);
  });

  it('says one commit, not one commits', () => {
    const git = fakeGit({
      ...base,
      [`diff --quiet ${MEASURED} ${HEAD} -- ${PATHS}`]: exit(1),
      [`log --oneline ${MEASURED}..${HEAD} -- ${PATHS}`]: ok('c1 only\n'),
    });
    const warning = freshnessWarning(
      checkFreshness({ measuredAt, commit: { sha: MEASURED, dirty: false } }, git),
      measuredAt,
    );
    expect(warning.join('\n')).toContain('1 commit changed the measured code');
  });

  it('notes a measurement taken on a dirty tree, and uncommitted changes to the measured code now', () => {
    const git = fakeGit({
      ...base,
      [`status --porcelain -- ${PATHS}`]: ok(' M lambdas/runtime/saga-step.ts\n?? lib/new.ts\n'),
      [`diff --quiet ${MEASURED} ${HEAD} -- ${PATHS}`]: exit(0),
    });
    const f = checkFreshness({ measuredAt, commit: { sha: MEASURED, dirty: true } }, git);
    expect(f.kind).toBe('current');
    const warning = freshnessWarning(f, measuredAt);
    expect(warning).toHaveLength(2);
    expect(warning[0]).toMatch(
      /^note: the work tree has uncommitted changes under lambdas lib bin cdk.json; no measurement includes them \(2 paths/,
    );
    expect(warning[1]).toMatch(
      /^note: the measurement was taken with uncommitted changes in the work tree, so its figures are not commit bbbbbbbbbbbb's alone/,
    );
  });

  it('goes by date for a file that records no commit, and says so', () => {
    const git = fakeGit({
      ...base,
      [`log --oneline --since=${measuredAt} ${HEAD} -- ${PATHS}`]: ok('c2 later\nc1 later still\n'),
    });
    const f = checkFreshness({ measuredAt }, git);
    expect(f).toMatchObject({ kind: 'stale', basis: 'date', commits: ['c2 later', 'c1 later still'] });
    const text = freshnessWarning(f, measuredAt).join('\n');
    expect(text).toContain(`measured at ${measuredAt} (by date: the file records no commit this clone has)`);
    expect(text).toContain('2 commits changed the measured code');
    expect(text).toContain(`list them: git log --oneline --since=${measuredAt} -- ${PATHS}`);
    expect(text).toContain(
      'the measurement records no commit (written before cost files recorded one); going by its date instead',
    );
  });

  it('is current by date when nothing changed the measured code since the measurement', () => {
    const git = fakeGit({ ...base, [`log --oneline --since=${measuredAt} ${HEAD} -- ${PATHS}`]: ok('') });
    expect(checkFreshness({ measuredAt }, git)).toMatchObject({ kind: 'current', head: HEAD });
  });

  it('goes by date when the recorded commit is not in this clone', () => {
    const git = fakeGit({
      ...base,
      [`cat-file -e ${MEASURED}^{commit}`]: exit(128, `fatal: Not a valid object name ${MEASURED}^{commit}`),
      [`log --oneline --since=${measuredAt} ${HEAD} -- ${PATHS}`]: ok('c1 x\n'),
    });
    const f = checkFreshness({ measuredAt, commit: { sha: MEASURED, dirty: false } }, git);
    expect(f).toMatchObject({ kind: 'stale', basis: 'date', commits: ['c1 x'] });
    expect(f.notes[0]).toContain("the measurement's commit bbbbbbbbbbbb is not in this clone");
  });

  it('goes by date for a measurement taken outside a git checkout (commit "unknown")', () => {
    const git = fakeGit({ ...base, [`log --oneline --since=${measuredAt} ${HEAD} -- ${PATHS}`]: ok('') });
    const f = checkFreshness({ measuredAt, commit: { sha: 'unknown', dirty: false } }, git);
    expect(f.kind).toBe('current');
    expect(f.notes).toEqual([
      'the measurement records commit "unknown" (measured outside a git checkout); going by its date instead',
    ]);
    expect(git.asked.some((a) => a.startsWith('cat-file'))).toBe(false);
  });

  it('cannot tell without git, and says so instead of crashing', () => {
    const enoent = Object.assign(new Error('spawnSync git ENOENT'), { code: 'ENOENT' });
    const git = fakeGit({ 'rev-parse --verify HEAD': { status: null, stdout: '', error: enoent } });
    const f = checkFreshness({ measuredAt, commit: { sha: MEASURED, dirty: false } }, git);
    expect(f).toMatchObject({ kind: 'unknown' });
    const warning = freshnessWarning(f, measuredAt);
    expect(warning[0]).toBe(
      `WARNING: cannot tell whether the measurement priced here (${measuredAt}) is older than the code: cannot read this checkout's commit (git is not installed (not on PATH)), so cannot tell whether the measurement is older than the code.`,
    );
    expect(warning[1]).toContain(REMEASURE);
  });

  it('cannot tell outside a git checkout', () => {
    const git = fakeGit({
      'rev-parse --verify HEAD': exit(128, 'fatal: not a git repository (or any of the parent directories): .git'),
    });
    const f = checkFreshness({ measuredAt, commit: { sha: MEASURED, dirty: false } }, git);
    expect(f).toEqual({
      kind: 'unknown',
      reason:
        "cannot read this checkout's commit (git exited 128: fatal: not a git repository (or any of the parent directories): .git), so cannot tell whether the measurement is older than the code",
      notes: [],
    });
  });

  it('cannot tell when the file has neither a usable commit nor a readable date', () => {
    const git = fakeGit(base);
    const f = checkFreshness({ measuredAt: 'yesterday' }, git);
    expect(f).toMatchObject({
      kind: 'unknown',
      reason: 'the measurement has neither a usable commit nor a readable date (measuredAt "yesterday")',
    });
  });

  it('cannot tell when git fails to compare the two commits', () => {
    const git = fakeGit({ ...base, [`diff --quiet ${MEASURED} ${HEAD} -- ${PATHS}`]: exit(128, 'fatal: bad object') });
    const f = checkFreshness({ measuredAt, commit: { sha: MEASURED, dirty: false } }, git);
    expect(f).toMatchObject({
      kind: 'unknown',
      reason: 'cannot compare commit bbbbbbbbbbbb with HEAD (git exited 128: fatal: bad object)',
    });
  });
});
