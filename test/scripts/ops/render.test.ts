import { describe, expect, it } from 'vitest';
import { escapeHtml, formatAge, html, renderFigures } from '../../../scripts/lib/ops/render';
import { anExecution, aQueue, aState } from '../../support/ops-state';

const INJECTION = `<img src=x onerror="alert('x')">&amp;`;

describe('escapeHtml', () => {
  it('escapes the five characters that can end text or an attribute value', () => {
    expect(escapeHtml(INJECTION)).toBe('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;amp;');
  });

  it('turns null and undefined into nothing and numbers into text', () => {
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(0)).toBe('0');
  });
});

describe('html', () => {
  it('escapes every interpolation but keeps nested html output and arrays of it as markup', () => {
    const rows = ['<a>', '"b"'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul title="${'" onclick="x'}">${rows}</ul>`.value).toBe(
      '<ul title="&quot; onclick=&quot;x"><li>&lt;a&gt;</li><li>&quot;b&quot;</li></ul>',
    );
  });
});

describe('formatAge', () => {
  it.each([
    [null, '—'],
    [42, '42 s'],
    [60, '1 min'],
    [185, '3 min 5 s'],
    [7800, '2 h 10 min'],
    [7200, '2 h'],
  ])('%s s → %s', (seconds, text) => {
    expect(formatAge(seconds)).toBe(text);
  });
});

describe('renderFigures', () => {
  it('names every figure so a reader (and the browser test) can find it', () => {
    const out = renderFigures(aState());
    expect(out).toContain(
      '<div class="tile tone-bad" data-figure="summary.deadLetteredMessages"><span class="value">2</span>',
    );
    expect(out).toContain('data-figure="status.SUCCEEDED"><span class="value">1</span>');
    expect(out).toContain('data-figure="outcome.Confirmed"><span class="value">1</span>');
    expect(out).toMatch(/<tr data-queue="EmailDlq" class="alert">[\s\S]*?<td data-field="visible" class="n">2<\/td>/);
    expect(out).toMatch(/<tr data-execution="exec-1">[\s\S]*?<td data-field="orderId">order-1<\/td>/);
  });

  it('escapes everything that comes from the system: no markup from queue, execution, order or reason text', () => {
    const state = aState({
      where: INJECTION,
      notes: [INJECTION],
      queues: [aQueue({ label: INJECTION, url: INJECTION, error: INJECTION, deadLetterQueue: INJECTION })],
      executions: {
        ...aState().executions,
        error: INJECTION,
        recent: [
          anExecution({
            name: INJECTION,
            arn: INJECTION,
            orderId: INJECTION,
            status: INJECTION,
            reason: `ReserveInventory: OUT_OF_STOCK: ${INJECTION}`,
            startDate: INJECTION,
          }),
        ],
        byStatus: { [INJECTION]: 1 },
      },
    });
    const out = renderFigures(state);
    expect(out).not.toContain('<img');
    expect(out).not.toContain(`"alert`);
    // Every injected string is there, escaped: 19 places (some values twice, as text and as an attribute).
    expect(out.split('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;amp;').length - 1).toBe(19);
  });

  it('says when there is nothing to show instead of drawing empty tables', () => {
    const out = renderFigures(
      aState({
        queues: [],
        executions: { ...aState().executions, recent: [], byStatus: {}, byOutcome: aState().executions.byOutcome },
      }),
    );
    expect(out).toContain('no executions yet');
    expect(out.match(/<td colspan="6" class="muted">none<\/td>/g)).toHaveLength(2);
  });
});
