import { describe, expect, it } from 'vitest';
import { DECLINED_PAYMENT_TOKEN } from '../../../lambdas/contracts/order-rules';
import { authorize } from '../../../lambdas/payment-service/payments';

describe('authorize', () => {
  it('declines the deterministic decline token', () => {
    expect(authorize(DECLINED_PAYMENT_TOKEN)).toEqual({ approved: false, reason: 'CARD_DECLINED' });
  });

  it('approves any other token', () => {
    expect(authorize('tok_visa')).toEqual({ approved: true });
  });
});
