import { describe, expect, it } from 'vitest';
import { mismatch } from './engine-gaps';

describe('a known engine gap’s symptom', () => {
  const invalidAction = Object.assign(new Error('The action StartMessageMoveTask is not valid for this endpoint.'), {
    name: 'InvalidAction',
  });

  it('matches the documented error by name and message', () => {
    expect(mismatch({ name: 'InvalidAction', message: /StartMessageMoveTask is not valid/ }, invalidAction)).toBe(
      undefined,
    );
    const timedOut = new Error('Timed out after 5000 ms waiting for IteratorAge of fn; last value: []');
    expect(mismatch({ message: /waiting for IteratorAge of \S+; last value: \[\]$/ }, timedOut)).toBeUndefined();
  });

  it('turns down any other error, saying what it expected', () => {
    const unrelated = Object.assign(new Error('Could not connect to the endpoint URL'), { name: 'NetworkingError' });
    expect(mismatch({ name: 'InvalidAction', message: /not valid/ }, unrelated)).toMatch(
      /expected an error named InvalidAction, got NetworkingError/,
    );
    expect(mismatch({ message: /last value: \[\]$/ }, new Error('Timed out …; last value: [{"Maximum":3}]'))).toMatch(
      /expected a message matching/,
    );
    expect(mismatch({ message: /x/ }, 'a thrown string')).toMatch(/got a thrown string/);
  });
});
