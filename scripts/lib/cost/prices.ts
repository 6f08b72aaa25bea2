import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The price table (`cost/prices.json`): one entry per billed unit, each with where the figure comes
 * from and when it was read, so a reader can re-check every number the cost model prints.
 */
const confidence = z.enum(['aws-page', 'secondary', 'unverified']);

const priceEntry = z.object({
  /** US dollars for `per` units. */
  usd: z.number().nonnegative(),
  /** How many units `usd` buys (1, 1,000, 1,000,000 …). */
  per: z.number().positive(),
  unit: z.string().min(1),
  /** The AWS page that defines the price. */
  source: z.url({ protocol: /^https$/ }),
  /** Where the figure itself was read, when the AWS page renders its tables client-side. */
  evidence: z.url({ protocol: /^https$/ }).optional(),
  /** The day the figure was read (YYYY-MM-DD). */
  read: z.iso.date(),
  confidence,
  note: z.string().optional(),
});

const priceTable = z.object({
  region: z.string().min(1),
  currency: z.literal('USD'),
  description: z.string().optional(),
  prices: z.record(z.string(), priceEntry),
});

export type Confidence = z.infer<typeof confidence>;
export type PriceEntry = z.infer<typeof priceEntry>;
export type PriceTable = z.infer<typeof priceTable>;

/** The price keys the model uses; a table without one of them is refused before any arithmetic. */
export const REQUIRED_PRICES = [
  'eventbridge.customEvent',
  'eventbridge.archiveGb',
  'sns.publish',
  'sns.sqsDelivery',
  'sqs.standardRequest',
  'sqs.fifoRequest',
  'lambda.request',
  'lambda.gbSecond.arm64',
  'lambda.gbSecond.x86_64',
  'stepfunctions.standardTransition',
  'stepfunctions.expressRequest',
  'stepfunctions.expressGbSecond',
  'dynamodb.writeRequestUnit',
  'dynamodb.readRequestUnit',
  'dynamodb.streamsReadRequest',
  'cloudwatch.logsIngestionGb',
  'cloudwatch.customMetricMonth',
  'cloudwatch.standardAlarmMonth',
  'cloudwatch.dashboardMonth',
  'kms.keyMonth',
  'kms.request',
] as const;

export type PriceKey = (typeof REQUIRED_PRICES)[number];

/** Validates a parsed price table; every problem is reported at once, with the entry and the field. */
export function parsePriceTable(raw: unknown, where = 'price table'): PriceTable {
  const result = priceTable.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(
      `${where} is invalid (every entry needs usd, per, unit, source, read, confidence):\n${problems.join('\n')}`,
    );
  }
  const missing = REQUIRED_PRICES.filter((key) => !(key in result.data.prices));
  if (missing.length > 0) {
    throw new Error(
      `${where} has no price for: ${missing.join(', ')}. Add each with its source URL and the date it was read.`,
    );
  }
  return result.data;
}

export function loadPriceTable(file: string): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the price table ${file}: ${(error as Error).message}`);
  }
  return parsePriceTable(raw, file);
}

/** USD for one unit of `key` (e.g. one request, one GB-second). */
export function unitPrice(table: PriceTable, key: PriceKey): number {
  const entry = table.prices[key];
  if (!entry)
    throw new Error(`No price for ${key} in the price table; add it with its source and the date it was read`);
  return entry.usd / entry.per;
}

/** The entries whose figure no source confirmed, for the report. */
export function unverifiedPrices(table: PriceTable): { key: string; entry: PriceEntry }[] {
  return Object.entries(table.prices)
    .filter(([, entry]) => entry.confidence === 'unverified')
    .map(([key, entry]) => ({ key, entry }));
}
