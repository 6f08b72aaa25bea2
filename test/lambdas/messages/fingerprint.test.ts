import { describe, expect, it } from 'vitest';
import { canonicalJson, contentFingerprint } from '../../../lambdas/messages/fingerprint';
import { orderPlaced } from '../../support/events';

describe('contentFingerprint', () => {
  it('is the same for two deliveries of one order that differ only in delivery metadata', () => {
    const first = orderPlaced({ orderId: 'o-1' }, 'event-a');
    const second = {
      ...orderPlaced({ orderId: 'o-1' }, 'event-b'),
      time: '2030-01-01T00:00:00.000Z',
      correlationId: 'another-correlation',
      causationId: 'another-cause',
      source: 'somewhere.else',
      metadata: { aggregateVersion: 7 },
    };
    expect(second.id).not.toBe(first.id);
    expect(contentFingerprint(second)).toBe(contentFingerprint(first));
    expect(contentFingerprint(first)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('differs when the content differs: quantity and total, customer, payment token, destination', () => {
    const base = contentFingerprint(orderPlaced({ orderId: 'o-1' }));
    const changed = [
      orderPlaced({ orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 3, unitPrice: 30 }] }),
      orderPlaced({ orderId: 'o-1', customerId: 'customer-2' }),
      orderPlaced({ orderId: 'o-1', paymentToken: 'tok_other' }),
      orderPlaced({ orderId: 'o-1', shipToCountry: 'FR' }),
    ].map(contentFingerprint);
    for (const fingerprint of changed) expect(fingerprint).not.toBe(base);
    expect(new Set(changed).size).toBe(changed.length);
  });

  it('does not depend on the order of object keys, but does on the order of items', () => {
    const order = orderPlaced({ orderId: 'o-1' });
    const reordered = { type: order.type, data: Object.fromEntries(Object.entries(order.data).reverse()) };
    expect(contentFingerprint(reordered)).toBe(contentFingerprint(order));

    const items = [
      { sku: 'A', quantity: 1, unitPrice: 10 },
      { sku: 'B', quantity: 1, unitPrice: 20 },
    ];
    expect(contentFingerprint(orderPlaced({ orderId: 'o-1', items }))).not.toBe(
      contentFingerprint(orderPlaced({ orderId: 'o-1', items: [...items].reverse() })),
    );
  });

  it('tells event types apart', () => {
    expect(contentFingerprint({ type: 'A', data: { x: 1 } })).not.toBe(
      contentFingerprint({ type: 'B', data: { x: 1 } }),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves out undefined members, as JSON.stringify does', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: true, e: null }], c: 'x' }, z: undefined })).toBe(
      '{"a":{"c":"x","d":[1,{"e":null,"f":true}]},"b":1}',
    );
  });

  it('refuses what JSON cannot hold, rather than hashing it', () => {
    expect(() => canonicalJson({ total: Number.NaN })).toThrow(/no JSON form/);
    expect(() => canonicalJson({ at: 1n })).toThrow(/bigint has no JSON form/);
  });
});
