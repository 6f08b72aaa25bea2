import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that reached a {@link RecordingEndpoint}: the AWS JSON-protocol operation it named. */
export interface RecordedRequest {
  /** The `X-Amz-Target` header (e.g. `AWSEvents.PutEvents`, `DynamoDB_20120810.TransactWriteItems`). */
  target: string;
  bytes: number;
}

/** A loopback HTTP endpoint that records every request and answers each with a fixed JSON body. */
export interface RecordingEndpoint {
  /** `http://127.0.0.1:<port>`: give it to an SDK client as its `endpoint`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts an endpoint on 127.0.0.1 (an ephemeral port) that stands in for an AWS
 * service speaking the JSON protocol: it counts what an SDK client sends and
 * answers `reply(target)` with status 200, so a client that does send gets a
 * normal answer and carries on. Used to prove that a refusal happens before any
 * request: a client pointed here that sends nothing leaves `requests` empty.
 * Hand-written on node:http: a dozen lines, and no mock library needed for them.
 */
export async function recordingEndpoint(reply: (target: string) => unknown): Promise<RecordingEndpoint> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      requests.push({ target, bytes });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(reply(target)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
