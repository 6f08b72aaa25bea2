import { describe, expect, it } from 'vitest';
import {
  AppendTooLargeError,
  ConcurrencyError,
  EffectConflictError,
  FaultInjectedError,
  InvalidEventError,
  isPermanentError,
  OrderFlowError,
  ProjectionGapError,
  WriteConditionFailedError,
  WrongEventTypeError,
} from '../../../lambdas/contracts/errors';

describe('the error hierarchy', () => {
  const permanent = [
    new InvalidEventError('bad', 'SCHEMA_VIOLATION'),
    new WrongEventTypeError('email-consumer', ['OrderConfirmed', 'OrderCancelled'], 'OrderPlaced'),
    new AppendTooLargeError('too big'),
  ];
  const retryable = [
    new ConcurrencyError('o-1', 1, 2),
    new WriteConditionFailedError([0]),
    new EffectConflictError('moved'),
    new ProjectionGapError('o-1', 2, 4),
    new FaultInjectedError('injected', 'rule-1'),
  ];

  it('has one base, and each error names itself (the name a parked message carries)', () => {
    for (const error of [...permanent, ...retryable]) {
      expect(error).toBeInstanceOf(OrderFlowError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(error.constructor.name);
    }
  });

  it('calls invalid input, a wrong event type and an append too large permanent; the others retryable', () => {
    expect(permanent.map(isPermanentError)).toEqual(permanent.map(() => true));
    expect(retryable.map(isPermanentError)).toEqual(retryable.map(() => false));
  });

  it('counts an error outside the hierarchy as retryable', () => {
    expect(isPermanentError(new Error('network'))).toBe(false);
    expect(isPermanentError('not an error')).toBe(false);
  });

  it('says who refused which type and what it handles', () => {
    expect(new WrongEventTypeError('email-consumer', ['OrderConfirmed', 'OrderCancelled'], 'OrderPlaced').message).toBe(
      'email-consumer only handles OrderConfirmed, OrderCancelled, got OrderPlaced',
    );
  });
});
