/**
 * The billing arithmetic of the cost model, kept apart from measurement so each rule is unit-tested:
 * 64 KB chunks, transactional writes, GB-seconds, Express rounding, per-million scaling, the dominant line.
 */

/** EventBridge, SNS and SQS bill each started 64 KB of a payload as one event/request. */
export const CHUNK_BYTES = 64 * 1024;

/** How many 64 KB chunks a payload of `bytes` is billed as (an empty payload is still one request). */
export function chunks64k(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes < 0)
    throw new Error(`payload size must be a non-negative number of bytes, got ${bytes}`);
  return Math.max(1, Math.ceil(bytes / CHUNK_BYTES));
}

/** DynamoDB bills a write inside a transaction at twice the units of the same standard write. */
export function transactionalUnits(standardUnits: number): number {
  if (standardUnits < 0) throw new Error(`capacity units must not be negative, got ${standardUnits}`);
  return 2 * standardUnits;
}

/** Standard write request units of one item: 1 per started KB (at least 1). */
export function writeUnitsForItem(itemBytes: number): number {
  if (itemBytes < 0) throw new Error(`item size must not be negative, got ${itemBytes}`);
  return Math.max(1, Math.ceil(itemBytes / 1024));
}

/** GB-seconds of a run: configured memory (MB, 1 GB = 1,024 MB as AWS bills it) × duration. */
export function gbSeconds(memoryMb: number, durationMs: number): number {
  if (memoryMb <= 0) throw new Error(`memory must be positive, got ${memoryMb} MB`);
  if (durationMs < 0) throw new Error(`duration must not be negative, got ${durationMs} ms`);
  return (memoryMb / 1024) * (durationMs / 1000);
}

/** Lambda bills duration rounded up to the next millisecond. */
export function lambdaBilledMs(durationMs: number): number {
  return Math.ceil(durationMs);
}

/**
 * Express workflows bill duration rounded up to the next 100 ms and memory in 64 MB chunks
 * (at least one chunk); returns the billed GB-seconds of one execution.
 */
export function expressBilledGbSeconds(durationMs: number, memoryMb = 64): number {
  if (durationMs < 0) throw new Error(`duration must not be negative, got ${durationMs} ms`);
  const billedMs = Math.max(100, Math.ceil(durationMs / 100) * 100);
  const billedMb = Math.max(1, Math.ceil(memoryMb / 64)) * 64;
  return gbSeconds(billedMb, billedMs);
}

export const MILLION = 1_000_000;

/** USD for a million orders, when each order uses `quantityPerOrder` units at `unitUsd` each. */
export function usdPerMillionOrders(quantityPerOrder: number, unitUsd: number): number {
  if (quantityPerOrder < 0) throw new Error(`quantity per order must not be negative, got ${quantityPerOrder}`);
  if (unitUsd < 0) throw new Error(`unit price must not be negative, got ${unitUsd}`);
  return quantityPerOrder * MILLION * unitUsd;
}

/** USD per month for `count` resources billed monthly at `unitUsd` each. */
export function monthlyUsd(count: number, unitUsd: number): number {
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`resource count must be a non-negative integer, got ${count}`);
  return count * unitUsd;
}

/** Weighted average of two per-order figures: `share` of the first, the rest of the second. */
export function blend(first: number, second: number, share: number): number {
  if (share < 0 || share > 1) throw new Error(`mix share must be between 0 and 1, got ${share}`);
  return share * first + (1 - share) * second;
}

/** The line with the largest cost (the first of equals); throws on an empty list. */
export function dominantLine<T extends { usd: number }>(lines: readonly T[]): T {
  if (lines.length === 0) throw new Error('no cost lines to compare');
  return lines.reduce((best, line) => (line.usd > best.usd ? line : best));
}

export const GIB = 1024 ** 3;
