/**
 * Draws the figures of the operations view as HTML. Runs in two places: in the
 * browser (the server serves this file, compiled, as /render.js, and the page
 * calls renderFigures() on every refresh) and in the unit tests. So it imports
 * nothing at runtime (types only) and touches no DOM or Node API.
 *
 * Every value that comes from the system (queue names, execution names, order
 * ids, failure reasons that quote a customer's SKU) goes through the `html`
 * template tag, which escapes each interpolation unless it is itself `html`
 * output: escaping is the default, and a forgotten call cannot inject markup.
 * Hand-written rather than a library because it is ten lines and must run in
 * the browser without a bundle of dependencies.
 */
import type { ExecutionSummary, OpsState, QueueState } from './state';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML element content and for double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Markup that is already safe (built by `html`): interpolated as is. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Template tag: escapes every interpolated value except SafeHtml (and arrays of it); null and undefined are empty. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  const part = (value: unknown): string =>
    value instanceof SafeHtml ? value.value : Array.isArray(value) ? value.map(part).join('') : escapeHtml(value);
  return new SafeHtml(strings.reduce((out, s, i) => out + s + (i < values.length ? part(values[i]) : ''), ''));
}

const dash = '—';
const num = (value: number | null) => (value === null ? dash : String(value));

/** 42 s, 3 min 5 s, 2 h 10 min. */
export function formatAge(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return dash;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
}

function formatDuration(ms: number | null): string {
  if (ms === null) return dash;
  if (ms < 1000) return `${ms} ms`;
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatAge(ms / 1000);
}

function formatTime(iso: string | null): SafeHtml {
  if (!iso) return html`${dash}`;
  const date = new Date(iso);
  return html`<time datetime="${iso}" title="${iso}">${Number.isNaN(date.getTime()) ? iso : date.toLocaleString()}</time>`;
}

/** A summary figure; `data-figure` is its stable name (tests and scripts read it). */
function tile(figure: string, label: string, value: number, tone: 'plain' | 'good' | 'warn' | 'bad' = 'plain') {
  return html`<div class="tile tone-${tone}" data-figure="${figure}"><span class="value">${value}</span><span class="label">${label}</span></div>`;
}

const STATUS_TONE: Record<string, 'plain' | 'good' | 'warn' | 'bad'> = {
  RUNNING: 'plain',
  SUCCEEDED: 'good',
  FAILED: 'bad',
  TIMED_OUT: 'bad',
  ABORTED: 'warn',
};
const OUTCOME_TONE: Record<string, 'plain' | 'good' | 'warn' | 'bad'> = {
  Confirmed: 'good',
  Compensated: 'warn',
  Stopped: 'plain',
  Unknown: 'bad',
};
const OUTCOME_LABEL: Record<string, string> = {
  Confirmed: 'succeeded: order confirmed',
  Compensated: 'succeeded: order compensated',
  Stopped: 'succeeded: duplicate, stopped',
  Unknown: 'succeeded: outcome unknown',
};

function queueRow(q: QueueState) {
  const links =
    q.kind === 'dlq'
      ? q.sources.length
        ? html`DLQ of ${q.sources.join(', ')}`
        : html`<span class="muted">no source queue</span>`
      : q.deadLetterQueue
        ? html`→ ${q.deadLetterQueue}`
        : html`<span class="muted">no DLQ</span>`;
  const alert = q.kind === 'dlq' && (q.visible ?? 0) + (q.inFlight ?? 0) > 0;
  return html`<tr data-queue="${q.label}" class="${alert ? 'alert' : ''}">
    <th scope="row" title="${q.url}">${q.label}${q.fifo ? html` <span class="badge">FIFO</span>` : ''}</th>
    <td data-field="visible" class="n">${num(q.visible)}</td>
    <td data-field="inFlight" class="n">${num(q.inFlight)}</td>
    <td data-field="delayed" class="n">${num(q.delayed)}</td>
    <td data-field="oldestAge" class="n">${formatAge(q.oldestAgeSeconds)}</td>
    <td data-field="links">${links}${q.error ? html`<div class="error-text">${q.error}</div>` : ''}</td>
  </tr>`;
}

function queueTable(title: string, queues: QueueState[], kind: QueueState['kind']) {
  return html`<h2>${title} <small>(${queues.length})</small></h2>
  <table class="queues" data-kind="${kind}">
    <thead><tr><th scope="col">Queue</th><th scope="col">Visible</th><th scope="col">In flight</th><th scope="col">Delayed</th><th scope="col" title="CloudWatch ApproximateAgeOfOldestMessage, where the endpoint has it">Oldest message</th><th scope="col">Redrive</th></tr></thead>
    <tbody>${queues.length ? queues.map(queueRow) : html`<tr><td colspan="6" class="muted">none</td></tr>`}</tbody>
  </table>`;
}

function executionRow(e: ExecutionSummary) {
  return html`<tr data-execution="${e.name}">
    <td data-field="started">${formatTime(e.startDate)}</td>
    <td data-field="name" title="${e.arn}"><code>${e.name}</code></td>
    <td data-field="orderId">${e.orderId ?? dash}</td>
    <td data-field="status"><span class="badge tone-${STATUS_TONE[e.status] ?? 'plain'}">${e.status}</span></td>
    <td data-field="outcome">${e.outcome ? html`<span class="badge tone-${OUTCOME_TONE[e.outcome]}">${e.outcome}</span>` : dash}</td>
    <td data-field="duration" class="n">${formatDuration(e.durationMs)}</td>
    <td data-field="reason">${e.reason ?? ''}</td>
  </tr>`;
}

/** The whole figures section for one collected state. */
export function renderFigures(state: OpsState): string {
  const queues = state.queues.filter((q) => q.kind === 'queue');
  const dlqs = state.queues.filter((q) => q.kind === 'dlq');
  const ex = state.executions;
  return html`<p class="where">Watching <strong>${state.where}</strong>; saga <code>${state.stateMachineArn}</code>.
    Collected in <span data-figure="tookMs">${state.tookMs}</span> ms.</p>
  ${state.notes.length ? html`<ul class="notes">${state.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
  <div class="tiles" aria-label="Messages">
    ${tile('summary.deadLetteredMessages', 'messages in DLQs', state.summary.deadLetteredMessages, state.summary.deadLetteredMessages > 0 ? 'bad' : 'good')}
    ${tile('summary.visibleMessages', 'waiting in queues', state.summary.visibleMessages)}
    ${tile('summary.inFlightMessages', 'in flight', state.summary.inFlightMessages)}
  </div>
  <h2>Saga executions <small>(the newest ${ex.recent.length} of at most ${ex.limit})</small></h2>
  ${ex.error ? html`<p class="error-text" data-error="executions">${ex.error}</p>` : ''}
  <div class="tiles" aria-label="Executions by status">
    ${Object.entries(ex.byStatus).map(([status, n]) => tile(`status.${status}`, status, n, n > 0 ? (STATUS_TONE[status] ?? 'plain') : 'plain'))}
  </div>
  <div class="tiles" aria-label="Succeeded executions by order outcome">
    ${Object.entries(ex.byOutcome).map(([outcome, n]) => tile(`outcome.${outcome}`, OUTCOME_LABEL[outcome] ?? outcome, n, n > 0 ? (OUTCOME_TONE[outcome] ?? 'plain') : 'plain'))}
  </div>
  <table class="executions">
    <thead><tr><th scope="col">Started</th><th scope="col">Execution</th><th scope="col">Order</th><th scope="col">Status</th><th scope="col">Outcome</th><th scope="col">Duration</th><th scope="col">Reason</th></tr></thead>
    <tbody>${ex.recent.length ? ex.recent.map(executionRow) : html`<tr><td colspan="7" class="muted">no executions yet</td></tr>`}</tbody>
  </table>
  ${queueTable('Queues', queues, 'queue')}
  ${queueTable('Dead-letter queues', dlqs, 'dlq')}`.value;
}
