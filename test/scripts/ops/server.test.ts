import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { renderFigures } from '../../../scripts/lib/ops/render';
import { type OpsServer, startOpsServer } from '../../../scripts/lib/ops/server';
import type { OpsState } from '../../../scripts/lib/ops/state';
import { aState } from '../../support/ops-state';

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A raw request, so the test controls the Host header and method (fetch would not let it). */
function get(path: string, options: { host?: string; method?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server!.port,
        path,
        method: options.method ?? 'GET',
        headers: { Host: options.host ?? `127.0.0.1:${server!.port}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ops server', () => {
  it('serves the page on 127.0.0.1 with a CSP that allows no inline script and no other origin', async () => {
    server = await startOpsServer({ port: 0, collect: async () => aState() });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'; script-src 'self';");
    expect(page.body).toContain('<main id="figures"');
    expect(page.body).toContain('<div id="error-banner"');
    // Nothing from a CDN: every src and href is a path on this server.
    expect([...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual(['/style.css', '/app.js']);
  });

  it('serves render.ts compiled for the browser, drawing exactly what the TypeScript draws', async () => {
    server = await startOpsServer({ port: 0, collect: async () => aState() });
    const script = await get('/render.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).not.toMatch(/^\s*import /m);
    const browserModule = (await import(`data:text/javascript,${encodeURIComponent(script.body)}`)) as {
      renderFigures: typeof renderFigures;
    };
    expect(browserModule.renderFigures(aState())).toBe(renderFigures(aState()));
  });

  it('answers /api/state with the collected state as JSON', async () => {
    const state = aState();
    server = await startOpsServer({ port: 0, collect: async () => state });
    const response = await get('/api/state');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(response.body)).toEqual(state);
  });

  it('answers 502 with the reason when the state cannot be collected', async () => {
    server = await startOpsServer({
      port: 0,
      collect: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:4566');
      },
    });
    const response = await get('/api/state');
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body)).toEqual({
      error: 'Could not collect the state: connect ECONNREFUSED 127.0.0.1:4566',
    });
  });

  it('shares one collection between requests that arrive while it runs', async () => {
    let calls = 0;
    let release: (state: OpsState) => void = () => {};
    server = await startOpsServer({
      port: 0,
      collect: () => {
        calls += 1;
        if (calls > 1) return Promise.resolve(aState());
        return new Promise<OpsState>((resolve) => {
          release = resolve;
        });
      },
    });
    const pending = [get('/api/state'), get('/api/state'), get('/api/state')];
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release(aState());
    const responses = await Promise.all(pending);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(calls).toBe(1);
    // Once it has finished, the next request collects afresh.
    expect((await get('/api/state')).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('refuses another Host (DNS rebinding), other methods and unknown paths', async () => {
    server = await startOpsServer({ port: 0, collect: async () => aState() });
    expect((await get('/api/state', { host: `attacker.example:${server.port}` })).status).toBe(421);
    expect((await get('/api/state', { host: `localhost:${server.port}` })).status).toBe(200);
    const post = await get('/api/state', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(await get('/../package.json')).toMatchObject({ status: 404 });
    expect(await get('/state.ts')).toMatchObject({ status: 404, body: 'Not found: /state.ts\n' });
  });

  it('says which port is taken and what to do', async () => {
    server = await startOpsServer({ port: 0, collect: async () => aState() });
    await expect(startOpsServer({ port: server.port, collect: async () => aState() })).rejects.toThrow(
      `port ${server.port} on 127.0.0.1 is in use; pass --port <another> or --port 0 for any free port`,
    );
    await expect(startOpsServer({ port: 70000, collect: async () => aState() })).rejects.toThrow(
      'port must be an integer from 0 to 65535, got 70000',
    );
  });
});
