import { describe, expect, it } from 'vitest';
import { lambdaAccountConcurrency } from '../../localstack/engine';

describe('lambdaAccountConcurrency', () => {
  it("leaves MiniStack's own default when the user sets nothing", () => {
    expect(lambdaAccountConcurrency({})).toBeUndefined();
    expect(lambdaAccountConcurrency({ LAMBDA_ACCOUNT_CONCURRENCY: ' ' })).toBeUndefined();
  });

  it("passes the user's whole number on, 0 (unbounded) included", () => {
    expect(lambdaAccountConcurrency({ LAMBDA_ACCOUNT_CONCURRENCY: '32' })).toBe('32');
    expect(lambdaAccountConcurrency({ LAMBDA_ACCOUNT_CONCURRENCY: '0' })).toBe('0');
    expect(lambdaAccountConcurrency({ LAMBDA_ACCOUNT_CONCURRENCY: '016' })).toBe('16');
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['-1', '8.5', 'eight', '1e3', '1000000']) {
      expect(() => lambdaAccountConcurrency({ LAMBDA_ACCOUNT_CONCURRENCY: bad })).toThrow(
        /LAMBDA_ACCOUNT_CONCURRENCY must be a whole number/,
      );
    }
  });
});
