import { vi } from 'vitest';

/** A JSON line a handler wrote: a Powertools log entry or an EMF metrics record. */
export type JsonLine = Record<string, unknown>;

/**
 * Runs `fn` and returns every JSON line it wrote to stdout or stderr, where
 * Powertools Logger (errors and warnings on stderr) and Metrics write outside
 * `POWERTOOLS_DEV` mode, and where Lambda picks them up. Lines that are not
 * JSON are kept out.
 */
export async function captureJsonLines<T>(fn: () => Promise<T>): Promise<{ result: T; lines: JsonLine[] }> {
  let text = '';
  const collect = (chunk: string | Uint8Array) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(collect),
    vi.spyOn(process.stderr, 'write').mockImplementation(collect),
  ];
  try {
    const result = await fn();
    return { result, lines: parseJsonLines(text) };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

function parseJsonLines(text: string): JsonLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JsonLine];
      } catch {
        return [];
      }
    });
}

/** The EMF records among `lines` (those with an `_aws.CloudWatchMetrics` block). */
export function emfRecords(lines: JsonLine[]): JsonLine[] {
  return lines.filter((line) => (line._aws as { CloudWatchMetrics?: unknown } | undefined)?.CloudWatchMetrics);
}

/**
 * Sums each metric's value over the EMF records of `namespace`: what CloudWatch
 * would count from these lines.
 */
export function emfTotals(lines: JsonLine[], namespace: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const record of emfRecords(lines)) {
    const blocks = (record._aws as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] })
      .CloudWatchMetrics;
    for (const block of blocks.filter((b) => b.Namespace === namespace)) {
      for (const { Name } of block.Metrics) {
        const value = record[Name];
        const values = Array.isArray(value) ? value : [value];
        totals[Name] = (totals[Name] ?? 0) + values.reduce((sum: number, v) => sum + Number(v), 0);
      }
    }
  }
  return totals;
}

/** The log entries (non-EMF lines) whose `message` is `message`. */
export function logEntries(lines: JsonLine[], message: string): JsonLine[] {
  return lines.filter((line) => line.message === message);
}
