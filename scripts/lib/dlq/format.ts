import { type DlqEntry, KIND_DESCRIPTIONS } from './catalogue';
import { truncateBody } from './describe';
import type { RedriveResult } from './redrive';
import type { ShowResult } from './show';

const shortKey = (key: string) => key.replace(/Url$/, '');

/** Says when fewer messages were seen than the queue reported, and why that can be. */
function partial(seen: number, dlq: DlqEntry): string {
  const depth = dlq.depth.visible;
  if (seen >= depth) return '';
  const why = dlq.fifo
    ? "--max or --limit, messages in flight, or a FIFO group's later messages, which SQS hands out only after its earlier ones"
    : '--max or --limit, or messages in flight elsewhere';
  return ` (of ~${depth} visible when listed: ${why})`;
}

/** `list`: one row per DLQ with depth and source, then the names `show`/`redrive`/`purge` accept. */
export function formatList(entries: DlqEntry[], where: string): string {
  const rows = entries.map((e) => ({
    dlq: shortKey(e.key),
    kind: KIND_DESCRIPTIONS[e.kind],
    visible: String(e.depth.visible),
    inFlight: String(e.depth.inFlight),
    source: e.source ? `${shortKey(e.source.key)} (${e.source.name})` : '— (cannot be redriven to a queue)',
  }));
  const width = (pick: (r: (typeof rows)[number]) => string, title: string) =>
    Math.max(title.length, ...rows.map((r) => pick(r).length));
  const w = {
    dlq: width((r) => r.dlq, 'DLQ'),
    kind: width((r) => r.kind, 'kind'),
    visible: width((r) => r.visible, 'visible'),
    inFlight: width((r) => r.inFlight, 'in flight'),
  };
  const line = (dlq: string, kind: string, visible: string, inFlight: string, source: string) =>
    `${dlq.padEnd(w.dlq)}  ${kind.padEnd(w.kind)}  ${visible.padStart(w.visible)}  ${inFlight.padStart(w.inFlight)}  ${source}`;
  const foundBy = entries.find((e) => e.sourceFoundBy)?.sourceFoundBy;
  return [
    `DLQs of ${where}`,
    line('DLQ', 'kind', 'visible', 'in flight', 'source queue'),
    ...rows.map((r) => line(r.dlq, r.kind, r.visible, r.inFlight, r.source)),
    '',
    'Name a DLQ by the first column (output key, with or without "Url"), its queue name, URL or ARN:',
    ...entries.map((e) => `  ${shortKey(e.key).padEnd(w.dlq)}  ${e.name}`),
    ...(foundBy === 'RedrivePolicy'
      ? ['', 'Source queues matched by their RedrivePolicy (the endpoint has no ListDeadLetterSourceQueues).']
      : []),
  ].join('\n');
}

/** `show`: each message with its reason, then how it was peeked (nothing consumed). */
export function formatShow(result: ShowResult, dlq: DlqEntry, maxBody: number): string {
  const out: string[] = [
    `${shortKey(dlq.key)} (${dlq.name}): ${result.reports.length} message(s)${partial(result.reports.length, dlq)}`,
  ];
  result.reports.forEach((r, i) => {
    out.push('', `#${i + 1} ${r.messageId}  [${r.origin}]`, `  reason        ${r.reason}`);
    const field = (label: string, value: unknown) => {
      if (value !== undefined && value !== '') out.push(`  ${label.padEnd(13)} ${value}`);
    };
    if (r.origin === 'sqs-redrive-policy' || r.origin === 'no-reason-recorded') {
      field('receives', r.attempts !== undefined ? `${r.attempts} (ApproximateReceiveCount, this peek included)` : '');
      field('first receive', r.firstFailureAt);
      field('sent', r.details.sentAt);
    } else {
      field('attempts', r.attempts);
      field('first failure', r.firstFailureAt);
      field('last failure', r.lastFailureAt);
      field('consumer', r.consumer);
      field('source msg id', r.sourceMessageId);
      for (const [k, v] of Object.entries(r.details)) field(k, v);
    }
    field('redriven', r.redriveCount !== undefined ? `${r.redriveCount} time(s) before` : '');
    field('group id', r.messageGroupId);
    field('dedup id', r.messageDeduplicationId);
    for (const [k, v] of Object.entries(r.originalAttributes)) field(`attr ${k}`, v);
    field('body', truncateBody(r.body, maxBody));
  });
  out.push(
    '',
    `Peeked with a ${result.peek.visibilitySeconds} s visibility timeout and released (ChangeMessageVisibility 0): ` +
      `nothing was consumed${result.peek.notReleased ? `; ${result.peek.notReleased} could not be released and reappear after the timeout` : ''}.`,
  );
  return out.join('\n');
}

/** `redrive`: the plan (dry run) or what moved. */
export function formatRedrive(result: RedriveResult, dlq: DlqEntry): string {
  const out: string[] = [];
  if (result.method === 'dry-run') {
    out.push(
      `Dry run: would move ${result.moved} message(s) from ${dlq.name} to ${result.source}` +
        `${partial(result.plan.length, dlq)}:`,
    );
    for (const p of result.plan) {
      out.push(`  ${p.action === 'move' ? 'move' : 'HOLD'}  ${p.messageId}  ${p.action === 'move' ? p.reason : p.why}`);
    }
    out.push(
      '',
      'Nothing moved: the messages were peeked and released. Add --apply to move them.',
      "Redriven messages lose the consumer's x-* park attributes and get x-redrive-count; a duplicate is harmless (consumers are idempotent by event id).",
    );
  } else {
    out.push(
      `Moved ${result.moved} message(s) from ${dlq.name} to ${result.source} in ${result.seconds.toFixed(1)} s ` +
        `(${result.method === 'move-task' ? 'SQS message move task' : 'receive → send → delete'}).`,
    );
    if (result.sentNotDeleted) {
      out.push(
        `${result.sentNotDeleted} message(s) were sent but could not be deleted from the DLQ: they are in both queues; ` +
          'consumers are idempotent by event id, so delete or redrive them again.',
      );
    }
  }
  for (const h of result.heldBack) out.push(`held back ${h.messageId}: ${h.why}`);
  for (const f of result.failed) out.push(`failed    ${f.messageId}: ${f.why} (left in the DLQ)`);
  return out.join('\n');
}
