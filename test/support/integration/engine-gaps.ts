import { inject, it } from 'vitest';

/**
 * What a known engine gap looks like when the test meets it: the error the
 * AWS expectation fails with on that engine, as its localstack/README.md row
 * describes it (an error name such as `InvalidAction`, or a bounded wait that
 * ended with the thing absent). Both given fields must match.
 */
export interface GapSymptom {
  /** The error's `name` (an AWS SDK error carries the service's error code there). */
  name?: string;
  /** What the error's message must match. */
  message: RegExp;
}

type TestBody = () => unknown;

/** A test declared with {@link knownEngineGap}. */
export interface GapTest {
  (title: string, body: TestBody, timeout?: number): void;
  /** True when this run's engine has the gap: the test then expects the symptom. */
  readonly present: boolean;
}

/**
 * Marks a test whose AWS expectation a given engine is known not to meet. On
 * other engines it is a plain test. On those engines it must fail, and fail
 * with `symptom`: any other error (a typo, a timeout somewhere else, a broken
 * deployment) fails it with that error, and a pass fails it too, saying the
 * engine caught up (remove the mark and the README row then). Every gap id has
 * an entry in localstack/README.md. `present` lets the body keep its waits
 * short on such an engine, where the behaviour it waits for is known not to come.
 */
export function knownEngineGap(gapId: string, engines: readonly string[], symptom: GapSymptom): GapTest {
  if (!gapId) throw new Error('a known engine gap needs the id of its localstack/README.md entry');
  const engine = inject('engine');
  const present = engines.includes(engine);
  const declare = (title: string, body: TestBody, timeout?: number) => {
    if (!present) {
      it(title, async () => void (await body()), timeout);
      return;
    }
    it(
      title,
      async () => {
        let failure: unknown;
        try {
          await body();
        } catch (error) {
          failure = error;
        }
        if (failure === undefined) {
          throw new Error(
            `known engine gap ${gapId} no longer holds on ${engine}: the AWS expectation passed. ` +
              'Remove the knownEngineGap mark and its localstack/README.md row.',
          );
        }
        const problem = mismatch(symptom, failure);
        if (problem) {
          throw new Error(`known engine gap ${gapId}: the test failed, but not with the gap's symptom (${problem})`, {
            cause: failure,
          });
        }
      },
      timeout,
    );
  };
  return Object.assign(declare, { present });
}

/** Why `error` is not the symptom, or undefined when it is. */
export function mismatch(symptom: GapSymptom, error: unknown): string | undefined {
  const name = error instanceof Error ? error.name : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (symptom.name !== undefined && name !== symptom.name) {
    return `expected an error named ${symptom.name}, got ${name ?? typeof error}: ${message}`;
  }
  if (!symptom.message.test(message)) {
    return `expected a message matching ${symptom.message}, got ${name ? `${name}: ` : ''}${message}`;
  }
  return undefined;
}
