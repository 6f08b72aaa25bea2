import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DECLINED_PAYMENT_TOKEN } from '../../lambdas/contracts/order-rules';
import { ROOT } from '../../localstack/engine';
import type { OpsState } from '../../scripts/lib/ops/state';
import { anOrder, eventually, finalStatusOf, type System, system } from '../support/integration/system';

/**
 * The ops view (`npm run ops`) end to end: the real command serves the page
 * against the deployed stack, Debian's Chromium (headless, driven by
 * playwright-core; `npm test` installs it with tools/ensure-chromium.mjs) opens
 * it, and what the page draws is checked against the JSON it was drawn from and
 * against SQS and Step Functions themselves.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Git-ignored (.outputs/): the screenshots of the last run, for a human to look at. */
const SCREENSHOTS = join(ROOT, '.outputs', 'ops-view');
const DASH = '—';

/** The bits of the DOM this test reads (the project's TypeScript has no DOM library). */
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

/** What the page shows, read in one go so a refresh cannot land in the middle. */
interface Drawn {
  collectedAt: string | undefined;
  tiles: Record<string, string>;
  queues: Record<string, Record<string, string>>;
  executions: Record<string, Record<string, string>>;
}

function readFigures(page: Page): Promise<Drawn> {
  return page.locator('#figures').evaluate((root: PageElement) => {
    const fields = (row: PageElement) => {
      const out: Record<string, string> = {};
      for (const cell of row.querySelectorAll('[data-field]')) out[cell.dataset.field!] = cell.textContent!.trim();
      return out;
    };
    const drawn: Drawn = { collectedAt: root.dataset.collectedAt, tiles: {}, queues: {}, executions: {} };
    for (const tile of root.querySelectorAll('[data-figure]')) {
      drawn.tiles[tile.dataset.figure!] = (tile.querySelector('.value') ?? tile).textContent!.trim();
    }
    for (const row of root.querySelectorAll('tr[data-queue]')) drawn.queues[row.dataset.queue!] = fields(row);
    for (const row of root.querySelectorAll('tr[data-execution]'))
      drawn.executions[row.dataset.execution!] = fields(row);
    return drawn;
  });
}

/** What the page must show for a state: every tile, every queue's depths, every execution's row. */
function expectedFigures(state: OpsState): Omit<Drawn, 'collectedAt'> {
  const text = (value: number | string | null) => (value === null ? DASH : String(value));
  const tiles: Record<string, string> = { tookMs: text(state.tookMs) };
  for (const [name, n] of Object.entries(state.summary)) tiles[`summary.${name}`] = text(n);
  for (const [status, n] of Object.entries(state.executions.byStatus)) tiles[`status.${status}`] = text(n);
  for (const [outcome, n] of Object.entries(state.executions.byOutcome)) tiles[`outcome.${outcome}`] = text(n);
  const queues: Drawn['queues'] = {};
  for (const q of state.queues) {
    queues[q.label] = { visible: text(q.visible), inFlight: text(q.inFlight), delayed: text(q.delayed) };
  }
  const executions: Drawn['executions'] = {};
  for (const e of state.executions.recent) {
    executions[e.name] = {
      name: e.name,
      status: e.status,
      outcome: text(e.outcome),
      orderId: text(e.orderId),
      reason: e.reason ?? '',
    };
  }
  return { tiles, queues, executions };
}

/** Keeps only the fields `expectedFigures` describes, so the comparison is exact on those. */
function comparable(drawn: Drawn): Omit<Drawn, 'collectedAt'> {
  const pick = (row: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, row[k]]));
  return {
    tiles: drawn.tiles,
    queues: Object.fromEntries(
      Object.entries(drawn.queues).map(([k, row]) => [k, pick(row, ['visible', 'inFlight', 'delayed'])]),
    ),
    executions: Object.fromEntries(
      Object.entries(drawn.executions).map(([k, row]) => [
        k,
        pick(row, ['name', 'status', 'outcome', 'orderId', 'reason']),
      ]),
    ),
  };
}

/** Starts the real command, as `npm run ops -- --port 0` would, and waits for the URL it prints. */
async function startOps(): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/ops.ts', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...inject('awsEnv') },
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const url = await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`npm run ops exited with ${child.exitCode}:\n${output}`);
      return /live view at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
    },
    (found) => found !== undefined,
    { timeoutMs: 60_000, what: 'npm run ops to print its URL' },
  );
  return { child, url: url!, output: () => output };
}

async function depth(sys: System, queueUrl: string): Promise<number> {
  const { Attributes } = await sys.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages);
}

describe('ops view (npm run ops) in headless Chromium', () => {
  let sys: System;
  let ops: Awaited<ReturnType<typeof startOps>>;
  let browser: Browser;
  let page: Page;
  /** Every /api/state body the page received, by collectedAt. */
  const received = new Map<string, OpsState>();
  const marker = `ops-view-${Date.now()}`;

  /** Waits until the page draws `done`, then checks that drawing against the JSON it was drawn from. */
  async function drawnWhen(done: (drawn: Drawn) => boolean, what: string): Promise<{ drawn: Drawn; state: OpsState }> {
    const drawn = await eventually(() => readFigures(page), done, { timeoutMs: 120_000, intervalMs: 500, what });
    const state = received.get(drawn.collectedAt ?? '');
    expect(state, `the /api/state response the page drew (${drawn.collectedAt})`).toBeDefined();
    expect(comparable(drawn)).toEqual(expectedFigures(state!));
    return { drawn, state: state! };
  }

  beforeAll(async () => {
    sys = system();
    ops = await startOps();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('response', async (response) => {
      if (!response.url().endsWith('/api/state') || !response.ok()) return;
      const state = (await response.json().catch(() => undefined)) as OpsState | undefined;
      if (state) received.set(state.collectedAt, state);
    });
    await page.goto(ops.url);
  });

  afterAll(async () => {
    await browser?.close();
    if (ops && ops.child.exitCode === null) ops.child.kill('SIGINT');
    // Take back the messages this test put in the DLQ, so other tests and runs start from what they left.
    const queueUrl = sys.outputs.LoyaltyDlqUrl;
    for (let round = 0; round < 20; round++) {
      const { Messages = [] } = await sys.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
      );
      const ours = Messages.filter((m) => m.Body?.includes(marker));
      if (ours.length > 0) {
        await sys.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: ours.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
      if (Messages.length === 0) break;
    }
  });

  it('draws every queue and DLQ depth as the JSON endpoint says, and a DLQ as SQS itself counts it', async () => {
    const dlqUrl = sys.outputs.LoyaltyDlqUrl;
    const before = await depth(sys, dlqUrl);
    await sys.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: [1, 2, 3].map((n) => ({ Id: String(n), MessageBody: JSON.stringify({ marker, n }) })),
      }),
    );
    const expected = before + 3;
    expect(
      await eventually(
        () => depth(sys, dlqUrl),
        (n) => n === expected,
        { what: 'SQS to count the 3 messages' },
      ),
    ).toBe(expected);

    const { state } = await drawnWhen(
      (d) => d.queues.LoyaltyDlq?.visible === String(expected),
      `the page to show ${expected} messages in LoyaltyDlq`,
    );
    expect(state.queues.find((q) => q.label === 'LoyaltyDlq')).toMatchObject({
      kind: 'dlq',
      visible: expected,
      sources: ['LoyaltyQueue'],
    });
    // Every queue the stack outputs is on the page, and the DLQ total counts the new messages.
    for (const output of ['EmailQueue', 'EmailDlq', 'AnalyticsQueue', 'OrderTimelineQueue', 'RuleTargetDlq']) {
      expect(state.queues.map((q) => q.label)).toContain(output);
    }
    expect(state.summary.deadLetteredMessages).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#last-refresh').textContent()).toMatch(/^Last refresh .+ \(collected in \d+ ms\)/);
    expect(await page.locator('#error-banner').isHidden()).toBe(true);
  });

  it('shows orders placed now with their execution status and order outcome, as Step Functions reports them', async () => {
    const sku = sys.uniqueId('sku');
    await sys.seedStock(sku, 10);
    const confirmed = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 30 }] });
    const declined = anOrder(sys, {
      items: [{ sku, quantity: 1, unitPrice: 30 }],
      paymentToken: DECLINED_PAYMENT_TOKEN,
    });
    await Promise.all([sys.placeOrder(confirmed), sys.placeOrder(declined)]);
    expect(await finalStatusOf(sys, confirmed.data.orderId)).toBe('CONFIRMED');
    expect(await finalStatusOf(sys, declined.data.orderId)).toBe('CANCELLED');

    const executionOf = async (orderId: string) => {
      const [execution] = await eventually(
        () => sys.executionsOf(orderId),
        (list) => list.length === 1 && list[0].status === 'SUCCEEDED',
        { what: `the saga execution of ${orderId} to succeed` },
      );
      return execution;
    };
    const confirmedRun = await executionOf(confirmed.data.orderId);
    const declinedRun = await executionOf(declined.data.orderId);
    const name = (arn: string | undefined) => arn!.split(':').pop()!;

    const { drawn, state } = await drawnWhen(
      (d) =>
        d.executions[name(confirmedRun.executionArn)]?.outcome === 'Confirmed' &&
        d.executions[name(declinedRun.executionArn)]?.outcome === 'Compensated',
      'the page to show both executions with their outcome',
    );
    expect(drawn.executions[name(confirmedRun.executionArn)]).toMatchObject({
      status: confirmedRun.status,
      orderId: confirmed.data.orderId,
      outcome: 'Confirmed',
      reason: '',
    });
    expect(drawn.executions[name(declinedRun.executionArn)]).toMatchObject({
      status: declinedRun.status,
      orderId: declined.data.orderId,
      outcome: 'Compensated',
      reason: 'ChargePayment: CARD_DECLINED',
    });
    // The counts are the rows': the tiles add up to what the table lists.
    const rows = state.executions.recent;
    expect(Number(drawn.tiles['outcome.Confirmed'])).toBe(rows.filter((r) => r.outcome === 'Confirmed').length);
    expect(Number(drawn.tiles['status.SUCCEEDED'])).toBe(rows.filter((r) => r.status === 'SUCCEEDED').length);
    expect(Number(drawn.tiles['outcome.Compensated'])).toBeGreaterThanOrEqual(1);
  });

  it('shows markup in system data as text: a SKU that is an HTML tag does not become an element', async () => {
    const sku = `<img id=ops-xss src=x onerror=alert(1)>`;
    const order = anOrder(sys, { items: [{ sku, quantity: 1, unitPrice: 5 }] });
    await sys.placeOrder(order);
    expect(await finalStatusOf(sys, order.data.orderId)).toBe('CANCELLED');

    const { drawn } = await drawnWhen(
      (d) => Object.values(d.executions).some((e) => e.orderId === order.data.orderId && e.outcome === 'Compensated'),
      'the out-of-stock order with an HTML SKU on the page',
    );
    const row = Object.values(drawn.executions).find((e) => e.orderId === order.data.orderId)!;
    expect(row.reason).toBe(`ReserveInventory: OUT_OF_STOCK: ${sku}`);
    const reasonCell = page.locator(`tr[data-execution="${row.name}"] [data-field="reason"]`);
    expect(await reasonCell.textContent()).toBe(`ReserveInventory: OUT_OF_STOCK: ${sku}`);
    expect(await page.locator('#ops-xss').count()).toBe(0);
    expect(await page.locator('#figures img').count()).toBe(0);
  });

  it('renders the figures as pixels, not a blank page (screenshot)', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'page.png'), fullPage: true });
    const shot = PNG.sync.read(await page.locator('#figures').screenshot({ path: join(SCREENSHOTS, 'figures.png') }));
    expect(shot.width).toBeGreaterThan(600);
    expect(shot.height).toBeGreaterThan(400);

    const colours = new Set<number>();
    let inked = 0;
    for (let i = 0; i < shot.data.length; i += 4) {
      const [r, g, b] = [shot.data[i], shot.data[i + 1], shot.data[i + 2]];
      colours.add((r << 16) | (g << 8) | b);
      if (r + g + b < 600) inked++;
    }
    // Text, tile borders and the red DLQ highlights: many colours and a few percent of dark pixels. A blank
    // element is one colour with no ink.
    expect(colours.size).toBeGreaterThan(50);
    expect(inked / (shot.width * shot.height)).toBeGreaterThan(0.02);

    // The DLQ tile, drawn in the "bad" colour because the DLQ is not empty, has red in it.
    const tile = PNG.sync.read(await page.locator('[data-figure="summary.deadLetteredMessages"]').screenshot());
    let red = 0;
    for (let i = 0; i < tile.data.length; i += 4) {
      if (tile.data[i] > 150 && tile.data[i + 1] < 90 && tile.data[i + 2] < 90) red++;
    }
    expect(red).toBeGreaterThan(20);
  });

  it('stops cleanly on Ctrl-C, and the open page then shows an error banner over the last figures', async () => {
    const before = await readFigures(page);
    ops.child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => {
      if (ops.child.exitCode !== null) resolve(ops.child.exitCode);
      else ops.child.once('exit', (exitCode) => resolve(exitCode));
    });
    expect(code).toBe(0);
    expect(ops.output()).toContain('ops: stopped');

    const banner = page.locator('#error-banner');
    await banner.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await banner.textContent()).toMatch(/^Cannot refresh from \/api\/state since .+: Failed to fetch\./);
    expect(await page.locator('#figures').getAttribute('class')).toContain('stale');
    expect((await readFigures(page)).queues.LoyaltyDlq).toEqual(before.queues.LoyaltyDlq);
    await page.screenshot({ path: join(SCREENSHOTS, 'unreachable.png'), fullPage: true });
  });
});
