import { spawnSync } from 'node:child_process';

/** The commit a measurement ran on, and whether the work tree had changes (then the figures are not that commit's alone). */
export interface SourceCommit {
  /** `git rev-parse HEAD`, or `unknown` outside a git checkout. */
  sha: string;
  /** True when `git status --porcelain` listed changes (tracked or untracked, ignored files aside). */
  dirty: boolean;
}

/** Reads the commit of the checkout at `root`. */
export function sourceCommit(root: string): SourceCommit {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0) return { sha: 'unknown', dirty: false };
  const status = git('status', '--porcelain');
  return { sha: head.stdout.trim(), dirty: status.status !== 0 || status.stdout.trim() !== '' };
}

/** `abc1234` or `abc1234 (dirty)`: how a summary names the commit. */
export const describeCommit = (c: SourceCommit) => `${c.sha.slice(0, 12)}${c.dirty ? ' (dirty)' : ''}`;
