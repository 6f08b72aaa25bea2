import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One AWS API call seen on its way to the engine. */
export interface RecordedCall {
  service: string;
  operation: string;
  /** Request body bytes. */
  bytes: number;
  /** Bytes of each entry that is billed on its own (PutEvents entries, SQS message bodies, SNS messages). */
  entryBytes: number[];
  /** SQS queue URL or SNS topic ARN the call addressed, where it has one. */
  target?: string;
  /** DynamoDB capacity units the engine reported (ReturnConsumedCapacity=TOTAL was asked for). */
  capacityUnits?: number;
  status: number;
  /** The request body, when the recorder was asked to keep bodies (the access check reads resource names from it). */
  body?: string;
}

const DYNAMODB_CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
  'ExecuteStatement',
  'ExecuteTransaction',
  'BatchExecuteStatement',
]);

/** The service from the SigV4 credential scope: `Credential=<key>/<date>/<region>/<service>/aws4_request`. */
function serviceOf(headers: IncomingMessage['headers']): string {
  const auth = String(headers.authorization ?? '');
  const m = /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  return m?.[1] ?? 'unknown';
}

/** The operation: the JSON protocols name it in X-Amz-Target, the query protocols in the form body's Action. */
function operationOf(headers: IncomingMessage['headers'], body: string, method: string, path: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target;
  const action = /(?:^|&)Action=([^&]+)/.exec(body);
  if (action) return decodeURIComponent(action[1]);
  return `${method} ${path.split('?')[0]}`;
}

const utf8 = (s: unknown) => Buffer.byteLength(typeof s === 'string' ? s : JSON.stringify(s ?? ''), 'utf8');

/** Sizes of the parts of a request that AWS bills in 64 KB chunks, one entry each. */
function billedEntries(
  service: string,
  operation: string,
  json: Record<string, unknown> | undefined,
  body: string,
): number[] {
  if (service === 'events' && operation === 'PutEvents' && json) {
    // EventBridge sizes an entry by its Time, Source, DetailType, Detail and Resources.
    return ((json.Entries as Record<string, unknown>[]) ?? []).map(
      (e) => utf8(e.Source) + utf8(e.DetailType) + utf8(e.Detail) + utf8(e.Time ?? '') + utf8(e.Resources ?? []),
    );
  }
  if (service === 'sqs' && json) {
    if (operation === 'SendMessage') return [utf8(json.MessageBody) + utf8(json.MessageAttributes ?? {})];
    if (operation === 'SendMessageBatch') {
      // A batch is billed by its total payload.
      const total = ((json.Entries as Record<string, unknown>[]) ?? []).reduce(
        (n, e) => n + utf8(e.MessageBody) + utf8(e.MessageAttributes ?? {}),
        0,
      );
      return [total];
    }
  }
  if (service === 'sns' && operation === 'Publish') {
    const m = /(?:^|&)Message=([^&]*)/.exec(body);
    return [m ? Buffer.byteLength(decodeURIComponent(m[1].replace(/\+/g, ' ')), 'utf8') : Buffer.byteLength(body)];
  }
  return [];
}

function targetOf(json: Record<string, unknown> | undefined, body: string): string | undefined {
  if (json && typeof json.QueueUrl === 'string') return json.QueueUrl;
  const topic = /(?:^|&)TopicArn=([^&]+)/.exec(body);
  return topic ? decodeURIComponent(topic[1]) : undefined;
}

/** Sum of the CapacityUnits in a DynamoDB response (an object or an array of them). */
export function consumedUnits(response: unknown): number | undefined {
  const consumed = (response as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity;
  if (consumed === undefined) return undefined;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((n: number, c) => n + Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
}

export interface Recorder {
  url: string;
  calls: RecordedCall[];
  close: () => Promise<void>;
}

/**
 * A recording HTTP proxy in front of the engine, on loopback. Every call is forwarded unchanged, except
 * that DynamoDB data-plane calls ask for `ReturnConsumedCapacity: TOTAL` so the engine's own capacity
 * figure can be read from the response (the engine does not check request signatures by default; the
 * caller gets the same response plus the ConsumedCapacity field, which the SDK accepts).
 *
 * Hand-written on node:http because it needs to see and amend each body; a generic proxy library
 * would add a dependency for the 60 lines below.
 */
export async function startRecorder(engineUrl: string, options: { keepBodies?: boolean } = {}): Promise<Recorder> {
  const upstream = new URL(engineUrl);
  const calls: RecordedCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const service = serviceOf(req.headers);
      const operation = operationOf(req.headers, text, req.method ?? 'GET', req.url ?? '/');
      let json: Record<string, unknown> | undefined;
      try {
        json = text.startsWith('{') ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      const call: RecordedCall = {
        service,
        operation,
        bytes: body.length,
        entryBytes: billedEntries(service, operation, json, text),
        target: targetOf(json, text),
        status: 0,
        ...(options.keepBodies ? { body: text } : {}),
      };
      const askCapacity =
        service === 'dynamodb' &&
        json &&
        DYNAMODB_CAPACITY_OPERATIONS.has(operation) &&
        (json.ReturnConsumedCapacity ?? 'NONE') === 'NONE';
      if (askCapacity && json) body = Buffer.from(JSON.stringify({ ...json, ReturnConsumedCapacity: 'TOTAL' }), 'utf8');
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (up) => {
          const out: Buffer[] = [];
          up.on('data', (c: Buffer) => out.push(c));
          up.on('end', () => {
            const payload = Buffer.concat(out);
            call.status = up.statusCode ?? 0;
            if (service === 'dynamodb') {
              try {
                call.capacityUnits = consumedUnits(JSON.parse(payload.toString('utf8')));
              } catch {
                // not JSON (an error page): no capacity figure
              }
            }
            calls.push(call);
            const responseHeaders = { ...up.headers, 'content-length': String(payload.length) };
            res.writeHead(up.statusCode ?? 502, responseHeaders);
            res.end(payload);
          });
        },
      );
      forward.on('error', (error) => {
        call.status = 502;
        calls.push(call);
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`cost recorder: engine unreachable: ${error.message}`);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
