import { describe, expect, it } from 'vitest';
import { quantitiesBySku } from '../../../lambdas/inventory-service/stock';

describe('quantitiesBySku', () => {
  it('adds up lines of the same SKU, so one transaction touches each stock item once', () => {
    const lines = [
      { sku: 'A', quantity: 1, unitPrice: 1 },
      { sku: 'B', quantity: 2, unitPrice: 1 },
      { sku: 'A', quantity: 3, unitPrice: 1 },
    ];
    expect([...quantitiesBySku(lines)]).toEqual([
      ['A', 4],
      ['B', 2],
    ]);
  });
});
