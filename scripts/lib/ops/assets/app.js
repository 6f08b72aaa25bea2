/**
 * The page's only script: polls /api/state every few seconds and redraws the
 * figures with renderFigures() (render.ts, served compiled as /render.js, the
 * same code the unit tests check). Plain browser JavaScript, no framework and no
 * CDN: one page with one refresh loop does not need more, and it works offline.
 *
 * When the endpoint cannot be reached, the last figures stay on the page, dimmed,
 * under an error banner that says since when and why.
 */
import { renderFigures } from './render.js';

const REFRESH_MS = 3000;
const TIMEOUT_MS = 15000;

const figures = document.getElementById('figures');
const banner = document.getElementById('error-banner');
const lastRefresh = document.getElementById('last-refresh');
let failingSince = null;

async function refresh() {
  try {
    const response = await fetch('/api/state', { cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(body?.error ?? `HTTP ${response.status} ${response.statusText}`);
    figures.innerHTML = renderFigures(body);
    figures.dataset.collectedAt = body.collectedAt;
    figures.removeAttribute('aria-busy');
    figures.classList.remove('stale');
    banner.hidden = true;
    failingSince = null;
    const at = new Date(body.collectedAt);
    lastRefresh.dataset.at = body.collectedAt;
    lastRefresh.textContent = `Last refresh ${at.toLocaleTimeString()} (collected in ${body.tookMs} ms); refreshing every ${REFRESH_MS / 1000} s.`;
  } catch (error) {
    failingSince ??= new Date();
    const reason = error instanceof Error ? error.message : String(error);
    banner.textContent = `Cannot refresh from /api/state since ${failingSince.toLocaleTimeString()}: ${reason}. Is npm run ops still running? Retrying every ${REFRESH_MS / 1000} s; the figures below are the last ones received.`;
    banner.hidden = false;
    figures.classList.add('stale');
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
