/**
 * The operations view's HTTP server: one page, its three static assets, and the
 * JSON endpoint `/api/state`.
 *
 * Plain `node:http` rather than a web framework: five fixed GET routes on
 * loopback need no router, middleware or templating, and a framework would add
 * dependencies (and their advisories) to a tool that only reads.
 *
 * Bound to 127.0.0.1 only. Because the page reads an AWS account's state, it also
 * refuses requests whose Host header is not this loopback address (a web page on
 * another site could otherwise reach it through DNS rebinding), and serves a
 * strict Content-Security-Policy (no inline script, nothing from other origins).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { OpsState } from './state';

const HERE = dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';

export interface OpsServerOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Collects the state for one `/api/state` request. */
  collect: () => Promise<OpsState>;
}

export interface OpsServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** Stops accepting connections and closes the open ones (browsers keep them alive). */
  close: () => Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

interface Asset {
  type: string;
  body: string;
}

/** The page's files, read (and render.ts compiled for the browser) once at start. */
async function loadAssets(): Promise<Record<string, Asset>> {
  const asset = (file: string, type: string): Asset => ({
    type,
    body: readFileSync(join(HERE, 'assets', file), 'utf8'),
  });
  // render.ts is TypeScript shared with the unit tests; esbuild (already the
  // project's Lambda bundler) turns it into one browser module in milliseconds.
  const compiled = await build({
    entryPoints: [join(HERE, 'render.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    logLevel: 'silent',
  });
  const page = asset('index.html', 'text/html; charset=utf-8');
  return {
    '/': page,
    '/index.html': page,
    '/app.js': asset('app.js', 'text/javascript; charset=utf-8'),
    '/style.css': asset('style.css', 'text/css; charset=utf-8'),
    '/render.js': { type: 'text/javascript; charset=utf-8', body: compiled.outputFiles[0].text },
  };
}

/** Starts the server; resolves once it listens. Fails with a clear message when the port is taken. */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`port must be an integer from 0 to 65535, got ${options.port}`);
  }
  const assets = await loadAssets();
  let port = options.port;
  // Several open tabs (or a slow collection) share one collection instead of each starting their own.
  let inFlight: Promise<OpsState> | undefined;
  const collectShared = () => {
    inFlight ??= options.collect().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const sendJson = (res: ServerResponse, status: number, value: unknown) =>
    send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const allowedHosts = [`${HOST}:${port}`, `localhost:${port}`];
    if (!allowedHosts.includes(req.headers.host ?? '')) {
      return send(res, 421, 'text/plain; charset=utf-8', `Unexpected Host header; open http://${HOST}:${port}/\n`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'Only GET and HEAD\n');
    }
    const path = new URL(req.url ?? '/', `http://${HOST}`).pathname;
    if (path === '/api/state') {
      try {
        return sendJson(res, 200, await collectShared());
      } catch (error) {
        // 502: the server is fine, what it reads from (the engine or AWS) is not.
        return sendJson(res, 502, { error: `Could not collect the state: ${(error as Error).message}` });
      }
    }
    const asset = assets[path];
    if (asset) return send(res, 200, asset.type, asset.body);
    return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}\n`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, { error: (error as Error).message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} on ${HOST} is in use; pass --port <another> or --port 0 for any free port`)
          : error,
      );
    });
    server.listen(options.port, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${HOST}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
