import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/**
 * The deliveries the engine makes inside itself (rule targets, SNS fan-out, Lambda pollers). They are
 * function calls in MiniStack, not HTTP requests, so no proxy sees them; MiniStack 1.5.33 logs each one
 * at INFO level, which is what this parser counts.
 */
export interface InternalHops {
  eventBridgeToSqs: Record<string, number>;
  eventBridgeToSns: Record<string, number>;
  eventBridgeToStepFunctions: Record<string, number>;
  snsToSqs: Record<string, number>;
  /** Lambda SQS pollers, per queue: batches handed to the function and the messages in them. */
  esmSqs: Record<string, { batches: number; messages: number }>;
  /** Lambda stream pollers, per table. */
  esmStreams: Record<string, { batches: number; records: number }>;
}

export function emptyHops(): InternalHops {
  return {
    eventBridgeToSqs: {},
    eventBridgeToSns: {},
    eventBridgeToStepFunctions: {},
    snsToSqs: {},
    esmSqs: {},
    esmStreams: {},
  };
}

const bump = (map: Record<string, number>, key: string, by = 1) => {
  map[key] = (map[key] ?? 0) + by;
};

const PATTERNS: [RegExp, (hops: InternalHops, m: RegExpExecArray) => void][] = [
  [/\[events\] EventBridge → SQS (\S+)$/, (h, m) => bump(h.eventBridgeToSqs, m[1])],
  [/\[events\] EventBridge → SNS (\S+)$/, (h, m) => bump(h.eventBridgeToSns, m[1])],
  [/\[events\] EventBridge → Step Functions (\S+): dispatched$/, (h, m) => bump(h.eventBridgeToStepFunctions, m[1])],
  [/\[sns\] SNS fanout → SQS (\S+)$/, (h, m) => bump(h.snsToSqs, m[1])],
  [
    /\[lambda\] ESM: Lambda \S+ processed (\d+) SQS messages from (\S+)$/,
    (h, m) => {
      h.esmSqs[m[2]] ??= { batches: 0, messages: 0 };
      const q = h.esmSqs[m[2]];
      q.batches += 1;
      q.messages += Number(m[1]);
    },
  ],
  [
    /\[lambda\] ESM: Lambda \S+ processed (\d+) DynamoDB stream records from (\S+)$/,
    (h, m) => {
      h.esmStreams[m[2]] ??= { batches: 0, records: 0 };
      const t = h.esmStreams[m[2]];
      t.batches += 1;
      t.records += Number(m[1]);
    },
  ],
];

/** Counts the internal hops in a stretch of the engine log. */
export function parseInternalHops(text: string): InternalHops {
  const hops = emptyHops();
  for (const raw of text.split('\n')) {
    const lineText = raw.trimEnd();
    if (!lineText.includes(' INFO [')) continue;
    for (const [pattern, apply] of PATTERNS) {
      const m = pattern.exec(lineText);
      if (m) {
        apply(hops, m);
        break;
      }
    }
  }
  return hops;
}

/**
 * The hops between one stack's own resources. The engine logs every stack's hops in one file, and the
 * Express copy is deployed beside the default stack; CloudFormation names each resource `<stack>-<id>-…`
 * (a queue or state machine name, or the last part of a topic ARN), so `OrderFlow-` never matches
 * `OrderFlowExpress-…`.
 */
export function hopsOfStack(hops: InternalHops, stack: string): InternalHops {
  const ours = (key: string) => (key.split(':').pop() ?? key).startsWith(`${stack}-`);
  const pick = <T>(map: Record<string, T>) => Object.fromEntries(Object.entries(map).filter(([key]) => ours(key)));
  return {
    eventBridgeToSqs: pick(hops.eventBridgeToSqs),
    eventBridgeToSns: pick(hops.eventBridgeToSns),
    eventBridgeToStepFunctions: pick(hops.eventBridgeToStepFunctions),
    snsToSqs: pick(hops.snsToSqs),
    esmSqs: pick(hops.esmSqs),
    esmStreams: pick(hops.esmStreams),
  };
}

/** Current size of the engine log, to read only what a phase of the measurement appended. */
export function logOffset(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** The bytes appended to `file` since `offset`. */
export function readSince(file: string, offset: number): string {
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
