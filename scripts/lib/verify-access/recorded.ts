import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RecordedCall } from '../cost/recorder';
import { ACCOUNT, type CfnTemplate, getAtt, PARTITION, REGION, resolve } from './intrinsics';
import type { AccessRequest } from './model';
import { roleContext } from './wired';

/** Where a recorded call pointed, in the template's terms (so the fixture outlives physical names). */
export type RecordedResource =
  | { logicalId: string; attribute: 'Arn'; suffix?: string }
  | { ssmParameterPath: string }
  | { any: true };

/** One (function, action, resource) a function's own code was seen calling, and how often. */
export interface RecordedRequest {
  function: string;
  action: string;
  resource: RecordedResource;
  calls: number;
}

export interface RecordedFixture {
  /** How the fixture was made; regenerate with `npm run verify:access -- --record`. */
  about: string;
  /** SHA-256 over lambdas/ (paths and contents): a handler change makes the fixture stale. */
  lambdasHash: string;
  requests: RecordedRequest[];
}

export const FIXTURE_PATH = join(__dirname, '..', '..', '..', 'test', 'support', 'fixtures', 'recorded-requests.json');
const LAMBDAS = join(__dirname, '..', '..', '..', 'lambdas');

/** Hash of every file under lambdas/, so a handler change is caught even where file times are not kept (git). */
export function lambdasHash(dir = LAMBDAS): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        hash.update(relative(dir, path).split('\\').join('/'));
        hash.update('\0');
        hash.update(readFileSync(path));
        hash.update('\0');
      }
    }
  };
  walk(dir);
  return hash.digest('hex');
}

export function readFixture(path = FIXTURE_PATH): RecordedFixture {
  return JSON.parse(readFileSync(path, 'utf8')) as RecordedFixture;
}

const DYNAMODB_TRANSACT: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/** SQS batch operations and the IAM action that authorizes them (there is no `sqs:SendMessageBatch`). */
const SQS_BATCH_ACTION: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/**
 * The IAM requests one recorded SDK call makes: DynamoDB authorizes each item of a transaction as its own
 * action on its own table (TransactWriteItems API reference), the other calls are one action on the
 * resource they name. `logicalOf` maps a physical name (table, queue, bus) to the template's logical id.
 */
export function requestsOfCall(
  call: RecordedCall,
  logicalOf: (physical: string) => string,
): { action: string; resource: RecordedResource }[] {
  const json = call.body?.startsWith('{') ? (JSON.parse(call.body) as Record<string, unknown>) : {};
  const table = (name: unknown, index?: unknown) => ({
    logicalId: logicalOf(String(name)),
    attribute: 'Arn' as const,
    ...(index ? { suffix: `/index/${String(index)}` } : {}),
  });
  switch (call.service) {
    case 'dynamodb': {
      if (call.operation === 'TransactWriteItems' || call.operation === 'TransactGetItems') {
        return (json.TransactItems as Record<string, { TableName: string }>[]).map((item) => {
          const [kind, op] = Object.entries(item)[0];
          const action = DYNAMODB_TRANSACT[kind];
          if (!action) throw new Error(`recorded: unknown transaction item ${kind}`);
          return { action, resource: table(op.TableName) };
        });
      }
      if (call.operation === 'BatchWriteItem' || call.operation === 'BatchGetItem') {
        return Object.keys(json.RequestItems as object).map((name) => ({
          action: `dynamodb:${call.operation}`,
          resource: table(name),
        }));
      }
      if (typeof json.TableName !== 'string') throw new Error(`recorded: dynamodb ${call.operation} without TableName`);
      return [{ action: `dynamodb:${call.operation}`, resource: table(json.TableName, json.IndexName) }];
    }
    case 'sqs': {
      const url = String(json.QueueUrl ?? '');
      const name = url.split('/').pop();
      if (!name) throw new Error(`recorded: sqs ${call.operation} without QueueUrl`);
      // A batch call is authorized as its single-message action: "setting permissions for SendMessage,
      // DeleteMessage, or ChangeMessageVisibility sets permissions for the corresponding batch versions"
      // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html).
      const action = SQS_BATCH_ACTION[call.operation] ?? call.operation;
      return [{ action: `sqs:${action}`, resource: { logicalId: logicalOf(name), attribute: 'Arn' } }];
    }
    case 'events': {
      const buses = new Set(
        ((json.Entries as { EventBusName?: string }[]) ?? []).map(
          (e) => (e.EventBusName ?? 'default').split('/').pop()!,
        ),
      );
      return [...buses].map((bus) => ({
        action: `events:${call.operation}`,
        resource: { logicalId: logicalOf(bus), attribute: 'Arn' as const },
      }));
    }
    case 'ssm': {
      const path = String(json.Path ?? json.Name ?? '');
      if (!path) throw new Error(`recorded: ssm ${call.operation} without a parameter name`);
      return [{ action: `ssm:${call.operation}`, resource: { ssmParameterPath: path } }];
    }
    case 'monitoring':
      return [{ action: `cloudwatch:${call.operation}`, resource: { any: true } }];
    default:
      throw new Error(
        `recorded: calls to ${call.service} (${call.operation}) are not modelled yet; add them to requestsOfCall`,
      );
  }
}

/** Adds the requests of `calls` made by `fn` to `into`, counting repeats. */
export function collect(
  into: RecordedRequest[],
  fn: string,
  calls: RecordedCall[],
  logicalOf: (physical: string) => string,
): void {
  for (const call of calls) {
    for (const r of requestsOfCall(call, logicalOf)) {
      const same = into.find(
        (x) => x.function === fn && x.action === r.action && JSON.stringify(x.resource) === JSON.stringify(r.resource),
      );
      if (same) same.calls += 1;
      else into.push({ function: fn, action: r.action, resource: r.resource, calls: 1 });
    }
  }
}

/**
 * The recorded requests as the aws-stage template would see them: the function's role as principal and
 * the resource's ARN there. A parameter read is only made where the function's environment names that
 * path (the fault-injection switch can be left out of a stage), so one the template does not name is
 * returned in `notOnStage` rather than evaluated.
 */
export function recordedRequests(
  template: CfnTemplate,
  fixture: RecordedFixture,
): { requests: AccessRequest[]; notOnStage: RecordedRequest[] } {
  const requests: AccessRequest[] = [];
  const notOnStage: RecordedRequest[] = [];
  for (const r of fixture.requests) {
    const fn = template.Resources[r.function];
    if (fn?.Type !== 'AWS::Lambda::Function')
      throw new Error(
        `recorded: function ${r.function} is not in the template; re-record (npm run verify:access -- --record)`,
      );
    const roleArn = resolve(template, fn.Properties?.Role) as string;
    let resource: string;
    if ('ssmParameterPath' in r.resource) {
      const path = r.resource.ssmParameterPath;
      const env = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      if (!Object.values(env).some((v) => resolve(template, v) === path)) {
        notOnStage.push(r);
        continue;
      }
      resource = `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter${path}`;
    } else if ('any' in r.resource) {
      resource = '*';
    } else {
      if (!template.Resources[r.resource.logicalId])
        throw new Error(
          `recorded: ${r.function} called ${r.action} on ${r.resource.logicalId}, which is not in the template; re-record`,
        );
      resource = getAtt(template, r.resource.logicalId, 'Arn') + (r.resource.suffix ?? '');
    }
    requests.push({
      principal: roleArn,
      action: r.action,
      resource,
      context: roleContext(roleArn),
      origin: 'recorded',
      by: r.function,
    });
  }
  return { requests, notOnStage };
}

/** Functions of the template that the fixture has no request for (each function makes at least one call). */
export function unrecordedFunctions(template: CfnTemplate, fixture: RecordedFixture): string[] {
  const seen = new Set(fixture.requests.map((r) => r.function));
  return Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && !seen.has(id))
    .map(([id]) => id);
}
