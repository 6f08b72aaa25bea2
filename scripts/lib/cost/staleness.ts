import { spawnSync } from 'node:child_process';

/**
 * Whether a cost measurement is older than the code `npm run cost` prices it for. The per-order counts
 * come from the code deployed when they were measured; the price table and the template are read fresh
 * every run, so only the measured code can be stale: the handlers and the CDK app that deploys them.
 */
export const MEASURED_CODE = ['lambdas', 'lib', 'bin', 'cdk.json'] as const;

/** The command that measures again at HEAD. */
export const REMEASURE = 'npm run cost -- --measure';

/** What a git command answered: its exit status and output, or the error that kept it from running. */
export interface GitAnswer {
  status: number | null;
  stdout: string;
  stderr?: string;
  error?: Error;
}

/** Runs `git <args>` in the repository; injected so the decision can be tested without a repository. */
export type Git = (args: readonly string[]) => GitAnswer;

/** `git` in `root`, through spawnSync (no shell). */
export function gitIn(root: string): Git {
  return (args) => {
    const r = spawnSync('git', [...args], { cwd: root, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
  };
}

/** The commit a measurement file records (absent in files written before cost files recorded one). */
export interface MeasuredAt {
  /** ISO time of the measurement. */
  measuredAt: string;
  /** `git rev-parse HEAD` when measured, or `unknown` outside a git checkout. */
  commit?: { sha: string; dirty: boolean };
}

export type Freshness =
  /** The measured code is the code at HEAD (`measured` absent when that was found by date). */
  | { kind: 'current'; head: string; measured?: string; notes: string[] }
  /**
   * The code changed since the measurement. `basis` says how that was found: from the recorded commit,
   * or (a file without a usable commit) from the commits dated after the measurement.
   */
  | {
      kind: 'stale';
      basis: 'commit' | 'date';
      head: string;
      measured?: string;
      /** The commits that changed the measured code, `git log --oneline`, newest first. */
      commits: string[];
      /** The git command that lists them. */
      command: string;
      notes: string[];
    }
  /** It could not be told (no git, not a checkout, the measured commit unknown here with no date to go by). */
  | { kind: 'unknown'; reason: string; notes: string[] };

const short = (sha: string) => sha.slice(0, 12);
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
const paths = MEASURED_CODE.join(' ');

/** Why git could not answer, in words. */
function gitFailure(answer: GitAnswer): string {
  if (answer.error) {
    const code = (answer.error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'git is not installed (not on PATH)' : `git could not run (${answer.error.message})`;
  }
  const said = (answer.stderr ?? '').trim().split('\n')[0];
  return `git exited ${answer.status}${said ? `: ${said}` : ''}`;
}

/**
 * Decides whether the measurement is older than the code at HEAD. Never throws: whatever git cannot
 * answer becomes an `unknown` with the reason, so pricing goes on and says why it could not check.
 *
 * With a recorded commit the test is the content: `git diff --quiet <measured> HEAD -- <measured code>`
 * (stale when it differs, so a change made and reverted does not count), and the commits listed are
 * `git log --oneline <measured>..HEAD -- <measured code>`. Without one (an older file, or a commit this
 * clone does not have: a shallow clone, a branch not merged here), the commits dated after the
 * measurement that changed the measured code are the evidence.
 */
export function checkFreshness(file: MeasuredAt, git: Git): Freshness {
  const notes: string[] = [];
  const head = git(['rev-parse', '--verify', 'HEAD']);
  if (head.error || head.status !== 0)
    return {
      kind: 'unknown',
      reason: `cannot read this checkout's commit (${gitFailure(head)}), so cannot tell whether the measurement is older than the code`,
      notes,
    };
  const headSha = head.stdout.trim();

  const local = git(['status', '--porcelain', '--', ...MEASURED_CODE]);
  if (!local.error && local.status === 0 && lines(local.stdout).length > 0)
    notes.push(
      `the work tree has uncommitted changes under ${paths}; no measurement includes them (${lines(local.stdout).length} paths: git status -- ${paths})`,
    );

  const recorded = file.commit?.sha;
  if (file.commit?.dirty)
    notes.push(
      `the measurement was taken with uncommitted changes in the work tree, so its figures are not commit ${short(recorded ?? '')}'s alone`,
    );

  const usable = recorded !== undefined && /^[0-9a-f]{7,40}$/i.test(recorded);
  if (usable) {
    const known = git(['cat-file', '-e', `${recorded}^{commit}`]);
    if (!known.error && known.status === 0) {
      const diff = git(['diff', '--quiet', recorded, headSha, '--', ...MEASURED_CODE]);
      if (diff.error || (diff.status !== 0 && diff.status !== 1))
        return {
          kind: 'unknown',
          reason: `cannot compare commit ${short(recorded)} with HEAD (${gitFailure(diff)})`,
          notes,
        };
      if (diff.status === 0) return { kind: 'current', head: headSha, measured: recorded, notes };
      const command = `git log --oneline ${short(recorded)}..HEAD -- ${paths}`;
      const log = git(['log', '--oneline', `${recorded}..${headSha}`, '--', ...MEASURED_CODE]);
      return {
        kind: 'stale',
        basis: 'commit',
        head: headSha,
        measured: recorded,
        commits: log.error || log.status !== 0 ? [] : lines(log.stdout),
        command,
        notes,
      };
    }
    notes.push(
      `the measurement's commit ${short(recorded)} is not in this clone (a shallow clone, or a branch not merged here); going by its date instead`,
    );
  } else {
    notes.push(
      recorded === undefined
        ? 'the measurement records no commit (written before cost files recorded one); going by its date instead'
        : `the measurement records commit "${recorded}" (measured outside a git checkout); going by its date instead`,
    );
  }

  const when = Date.parse(file.measuredAt);
  if (Number.isNaN(when))
    return {
      kind: 'unknown',
      reason: `the measurement has neither a usable commit nor a readable date (measuredAt ${JSON.stringify(file.measuredAt)})`,
      notes,
    };
  const since = new Date(when).toISOString();
  const log = git(['log', '--oneline', `--since=${since}`, headSha, '--', ...MEASURED_CODE]);
  if (log.error || log.status !== 0)
    return { kind: 'unknown', reason: `cannot list the commits since ${since} (${gitFailure(log)})`, notes };
  const commits = lines(log.stdout);
  if (commits.length === 0) return { kind: 'current', head: headSha, notes };
  return {
    kind: 'stale',
    basis: 'date',
    head: headSha,
    commits,
    command: `git log --oneline --since=${since} -- ${paths}`,
    notes,
  };
}

/**
 * The warning lines for stderr: empty when the measurement is current and nothing needs saying. A stale
 * measurement says how many commits changed the measured code and the command that measures again.
 */
export function freshnessWarning(freshness: Freshness, measuredAt: string): string[] {
  const out: string[] = [];
  if (freshness.kind === 'stale') {
    const n = freshness.commits.length;
    const counted =
      n === 0
        ? 'the measured code differs from HEAD'
        : `${n} commit${n === 1 ? '' : 's'} changed the measured code (${paths}) since`;
    const from =
      freshness.basis === 'commit'
        ? `commit ${short(freshness.measured ?? '')} (${measuredAt})`
        : `${measuredAt} (by date: the file records no commit this clone has)`;
    out.push(
      'WARNING: the measurement priced here is older than the code at HEAD; its per-order counts may not be this code’s.',
      `  measured at ${from}; HEAD is ${short(freshness.head)}: ${counted}`,
      `  list them: ${freshness.command}`,
      `  measure again at HEAD: ${REMEASURE}   (engine on AWS_ENDPOINT_URL, loopback only)`,
    );
  } else if (freshness.kind === 'unknown') {
    out.push(
      `WARNING: cannot tell whether the measurement priced here (${measuredAt}) is older than the code: ${freshness.reason}.`,
      `  to be sure, measure again at HEAD: ${REMEASURE}`,
    );
  }
  const prefix = out.length > 0 ? '  ' : 'note: ';
  for (const note of freshness.notes) out.push(`${prefix}${note}`);
  return out;
}
