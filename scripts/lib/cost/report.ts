import type { CostLine, FixedLine, ModeResult, PerOrderUsage } from './model';
import type { PriceTable } from './prices';

const usd = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(4));
const qty = (n: number) => (n === 0 ? '0' : n >= 100 ? n.toFixed(0) : n >= 0.01 ? n.toFixed(2) : n.toExponential(2));
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** The per-order counts side by side for the two kinds of order and the blend. */
export function usageTable(kinds: { label: string; usage: PerOrderUsage }[]): string[] {
  const rows: [string, (u: PerOrderUsage) => number][] = [
    ['EventBridge custom events (64 KB chunks)', (u) => u.eventBridge.customEventChunks],
    [
      '  rule deliveries: SFN / SNS / SQS',
      (u) => u.eventBridge.deliveriesToStepFunctions + u.eventBridge.deliveriesToSns + u.eventBridge.deliveriesToSqs,
    ],
    ['SNS publishes (64 KB chunks)', (u) => u.sns.publishChunks],
    ['SNS → SQS deliveries', (u) => u.sns.sqsDeliveries],
    ['SQS standard requests', (u) => u.sqs.standardRequests],
    ['SQS FIFO requests', (u) => u.sqs.fifoRequests],
    ['Lambda invocations', (u) => Object.values(u.lambda).reduce((n, f) => n + f.invocations, 0)],
    ['Lambda billed ms', (u) => Object.values(u.lambda).reduce((n, f) => n + f.billedMs, 0)],
    ['Step Functions state transitions', (u) => u.stepFunctions.transitions],
    ['  task retries', (u) => u.stepFunctions.retries],
    ['  execution duration ms', (u) => u.stepFunctions.durationMs],
    ['DynamoDB write request units', (u) => u.dynamodb.writeUnits],
    ['DynamoDB read request units', (u) => u.dynamodb.readUnits],
    ['DynamoDB stream batches (Lambda, free)', (u) => u.streams.lambdaBatches],
    ['Lambda log bytes', (u) => Object.values(u.lambda).reduce((n, f) => n + f.logBytes, 0)],
    ['Saga history log bytes (modelled)', (u) => u.stepFunctions.logBytes],
  ];
  const header = `  ${pad('per order', 44)}${kinds.map((k) => lpad(k.label, 13)).join('')}`;
  return [
    header,
    ...rows.map(([label, f]) => `  ${pad(label, 44)}${kinds.map((k) => lpad(qty(f(k.usage)), 13)).join('')}`),
  ];
}

/** The API calls the functions made per order, by service and operation. */
export function apiCallTable(kinds: { label: string; usage: PerOrderUsage }[]): string[] {
  const keys = [...new Set(kinds.flatMap((k) => Object.keys(k.usage.apiCalls)))].sort();
  return [
    `  ${pad('API calls by the functions, per order', 44)}${kinds.map((k) => lpad(k.label, 13)).join('')}`,
    ...keys.map(
      (key) => `  ${pad(key, 44)}${kinds.map((k) => lpad(qty(k.usage.apiCalls[key]?.calls ?? 0), 13)).join('')}`,
    ),
  ];
}

export function modeTable(result: ModeResult, title: string, prices: PriceTable): string[] {
  const lines = [...result.lines].sort((a, b) => b.usd - a.usd);
  const out = [
    title,
    `  ${pad('line', 52)}${lpad('qty/order', 11)} ${pad('unit', 12)}${lpad('USD/M orders', 13)}${lpad('share', 7)}  basis     price`,
  ];
  for (const l of lines) out.push(formatLine(l, result.total, prices));
  out.push(`  ${pad('total per million orders', 76)}${lpad(usd(result.total), 13)}`);
  out.push(`  dominant line: ${result.dominant.label} (${(result.dominant.share * 100).toFixed(0)}%)`);
  return out;
}

function formatLine(l: CostLine, total: number, prices: PriceTable): string {
  const share = total > 0 ? `${((l.usd / total) * 100).toFixed(0)}%` : '-';
  const note = l.note ? `  (${l.note})` : '';
  return (
    `  ${pad(l.label, 52)}${lpad(qty(l.quantityPerOrder), 11)} ${pad(l.unit, 12)}${lpad(usd(l.usd), 13)}${lpad(share, 7)}  ` +
    `${pad(l.basis, 9)} ${prices.prices[l.priceKey].confidence}${note}`
  );
}

export function fixedTable(fixed: FixedLine[], source: string): string[] {
  const total = fixed.reduce((n, f) => n + f.usd, 0);
  return [
    `fixed monthly cost (counted in ${source})`,
    ...fixed.map(
      (f) =>
        `  ${pad(f.label, 52)}${lpad(String(f.count), 5)}  ${lpad(`$${usd(f.usd)}`, 10)}/month  ${f.confidence}${f.note ? `  (${f.note})` : ''}`,
    ),
    `  ${pad('total', 57)}${lpad(`$${usd(total)}`, 10)}/month`,
  ];
}
