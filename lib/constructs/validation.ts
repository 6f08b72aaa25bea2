import { Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One invalid prop: which prop, the value it had, what is wrong and how to fix it. */
export interface PropProblem {
  /** The prop's name as the caller wrote it, e.g. `maxReceiveCount` or `steps[2].name`. */
  readonly prop: string;
  /** The offending value (formatted for the message). */
  readonly value: unknown;
  /** What is wrong with it. */
  readonly problem: string;
  /** What to do instead. */
  readonly fix: string;
}

/**
 * Collects every problem with a construct's props, then throws ONE error that
 * lists them all, so a caller fixes their props in one pass instead of one
 * synth per mistake.
 *
 * The message format is part of the contract (tests match it exactly):
 *
 * ```text
 * <Kind> at <path>: 2 invalid props:
 *   - maxReceiveCount = 0: must be an integer from 1 to 1000. Fix: use at least 5 ...
 *   - ...
 * ```
 *
 * @example
 * const problems = new PropProblems();
 * problems.check(count >= 1, { prop: 'count', value: count, problem: 'must be ≥ 1', fix: 'pass 1 or more' });
 * problems.throwIfAny(this, 'MyConstruct');
 */
export class PropProblems {
  private readonly problems: PropProblem[] = [];

  /** Records `problem` unless `ok` is true. */
  check(ok: boolean, problem: PropProblem): void {
    if (!ok) this.problems.push(problem);
  }

  /** Records a problem unconditionally. */
  add(problem: PropProblem): void {
    this.problems.push(problem);
  }

  /** The problems found so far. */
  get list(): readonly PropProblem[] {
    return this.problems;
  }

  /**
   * Throws one error listing every recorded problem; does nothing when there are none. `scope` is the
   * construct, or its path when the check runs before the construct exists (a subclass validating
   * before its `super()` call).
   */
  throwIfAny(scope: IConstruct | string, kind: string): void {
    const message = this.message(scope, kind);
    if (message) throw new Error(message);
  }

  /** The message {@link throwIfAny} would throw (for a node validation, which returns it), or undefined. */
  message(scope: IConstruct | string, kind: string): string | undefined {
    if (this.problems.length === 0) return undefined;
    const count = this.problems.length;
    const lines = this.problems.map((p) => `  - ${p.prop} = ${formatValue(p.value)}: ${p.problem}. Fix: ${p.fix}`);
    const path = typeof scope === 'string' ? scope : scope.node.path;
    return `${kind} at ${path}: ${count} invalid prop${count === 1 ? '' : 's'}:\n${lines.join('\n')}`;
  }
}

/** Formats a prop value for an error message: durations in seconds, tokens marked as such. */
export function formatValue(value: unknown): string {
  if (value instanceof Duration) {
    return value.isUnresolved() ? '(token)' : `${seconds(value)} s`;
  }
  if (typeof value === 'string') return Token.isUnresolved(value) ? '(token)' : JSON.stringify(value);
  if (typeof value === 'number') return Token.isUnresolved(value) ? '(token)' : String(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** A duration in seconds, with fractions (e.g. 0.5 for 500 ms). */
export function seconds(duration: Duration): number {
  return duration.toMilliseconds() / 1000;
}
