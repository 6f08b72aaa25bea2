import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadPriceTable,
  parsePriceTable,
  REQUIRED_PRICES,
  unitPrice,
  unverifiedPrices,
} from '../../../scripts/lib/cost/prices';

const TABLE_FILE = join(__dirname, '..', '..', '..', 'cost', 'prices.json');

function aTable() {
  const prices = Object.fromEntries(
    REQUIRED_PRICES.map((key) => [
      key,
      {
        usd: 1,
        per: 1_000_000,
        unit: 'request',
        source: 'https://aws.amazon.com/x/pricing/',
        read: '2026-11-23',
        confidence: 'secondary',
      },
    ]),
  );
  return { region: 'us-east-1', currency: 'USD', prices } as {
    region: string;
    currency: string;
    prices: Record<string, Record<string, unknown>>;
  };
}

describe('the checked-in price table', () => {
  const table = loadPriceTable(TABLE_FILE);

  it('has every price the model needs, each with a source and the date it was read', () => {
    for (const key of REQUIRED_PRICES) {
      const entry = table.prices[key];
      expect(entry, key).toBeDefined();
      expect(entry.source, key).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(entry.read, key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('names an evidence page for every figure that is not read on an AWS page and not unverified', () => {
    for (const [key, entry] of Object.entries(table.prices)) {
      if (entry.confidence === 'secondary') expect(entry.evidence, key).toMatch(/^https:\/\//);
    }
  });

  it('lists the unverified figures', () => {
    expect(unverifiedPrices(table).map((u) => u.key)).toEqual(
      Object.entries(table.prices)
        .filter(([, e]) => e.confidence === 'unverified')
        .map(([k]) => k),
    );
  });
});

describe('price table validation', () => {
  it('computes a unit price from usd and per', () => {
    const table = parsePriceTable(aTable());
    expect(unitPrice(table, 'sqs.fifoRequest')).toBeCloseTo(1e-6, 15);
  });

  it('refuses an entry without a source or a date, naming the entry and the field', () => {
    const raw = aTable();
    delete raw.prices['sns.publish'].source;
    raw.prices['kms.request'].read = 'last week';
    expect(() => parsePriceTable(raw, 'prices.json')).toThrow(
      /prices\.sns\.publish\.source[\s\S]*prices\.kms\.request\.read/,
    );
  });

  it('refuses a source that is not an https URL', () => {
    const raw = aTable();
    raw.prices['sns.publish'].source = 'the AWS site';
    expect(() => parsePriceTable(raw)).toThrow(/prices\.sns\.publish\.source/);
  });

  it('refuses an unknown confidence level', () => {
    const raw = aTable();
    raw.prices['sns.publish'].confidence = 'pretty sure';
    expect(() => parsePriceTable(raw)).toThrow(/prices\.sns\.publish\.confidence/);
  });

  it('says clearly which price is missing', () => {
    const raw = aTable();
    delete raw.prices['stepfunctions.standardTransition'];
    delete raw.prices['kms.keyMonth'];
    expect(() => parsePriceTable(raw, 'prices.json')).toThrow(
      'prices.json has no price for: stepfunctions.standardTransition, kms.keyMonth. Add each with its source URL and the date it was read.',
    );
  });
});
