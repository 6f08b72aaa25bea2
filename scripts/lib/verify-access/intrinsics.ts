/**
 * Resolves the intrinsic functions of a synthesized CloudFormation template to concrete strings, with
 * a fixed account, region and partition, so policies and requests can be compared as AWS compares
 * them. Physical names are the logical ids (or the name a resource's properties set), which is all
 * the access check needs: a name only has to be the same wherever the template refers to it.
 *
 * Hand-written: the check needs `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`
 * and the pseudo parameters, for a dozen resource types; no maintained library resolves them offline
 * to ARNs of the shape each service documents.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

const PSEUDO: Record<string, string> = {
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::Partition': PARTITION,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'OrderFlow',
};

/** A stream label: any fixed timestamp, as DynamoDB gives one per stream. */
export const STREAM_LABEL = '2026-01-01T00:00:00.000';

function resource(template: CfnTemplate, id: string): CfnResource {
  const r = template.Resources[id];
  if (!r) throw new Error(`intrinsics: the template has no resource ${id}`);
  return r;
}

/** The physical name CloudFormation would give: the name property where the template sets one, else the logical id. */
export function physicalName(template: CfnTemplate, id: string): string {
  const r = resource(template, id);
  const p = r.Properties ?? {};
  const named: Record<string, string> = {
    'AWS::SQS::Queue': 'QueueName',
    'AWS::SNS::Topic': 'TopicName',
    'AWS::DynamoDB::Table': 'TableName',
    'AWS::Lambda::Function': 'FunctionName',
    'AWS::IAM::Role': 'RoleName',
    'AWS::StepFunctions::StateMachine': 'StateMachineName',
    'AWS::Events::EventBus': 'Name',
    'AWS::Events::Rule': 'Name',
    'AWS::Logs::LogGroup': 'LogGroupName',
    'AWS::SSM::Parameter': 'Name',
    'AWS::CloudWatch::Alarm': 'AlarmName',
  };
  const key = named[r.Type];
  const set = key ? p[key] : undefined;
  if (set !== undefined) return resolve(template, set) as string;
  if (r.Type === 'AWS::SQS::Queue' && p.FifoQueue === true) return `${id}.fifo`;
  return id;
}

const arn = (service: string, rest: string) => `arn:${PARTITION}:${service}:${REGION}:${ACCOUNT}:${rest}`;

/** `Ref` of a resource, as each type documents its return value. */
export function refOf(template: CfnTemplate, id: string): string {
  if (PSEUDO[id]) return PSEUDO[id];
  const r = resource(template, id);
  const name = physicalName(template, id);
  switch (r.Type) {
    case 'AWS::SQS::Queue':
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
    case 'AWS::SNS::Topic':
      return arn('sns', name);
    case 'AWS::StepFunctions::StateMachine':
      return arn('states', `stateMachine:${name}`);
    case 'AWS::KMS::Key':
      return id;
    default:
      return name;
  }
}

/** `Fn::GetAtt` of a resource. */
export function getAtt(template: CfnTemplate, id: string, attribute: string): string {
  const r = resource(template, id);
  const name = physicalName(template, id);
  const key = `${r.Type}.${attribute}`;
  switch (key) {
    case 'AWS::SQS::Queue.Arn':
      return arn('sqs', name);
    case 'AWS::SQS::Queue.QueueName':
      return name;
    case 'AWS::SQS::Queue.QueueUrl':
      return refOf(template, id);
    case 'AWS::SNS::Topic.TopicArn':
      return arn('sns', name);
    case 'AWS::SNS::Topic.TopicName':
      return name;
    case 'AWS::DynamoDB::Table.Arn':
      return arn('dynamodb', `table/${name}`);
    case 'AWS::DynamoDB::Table.StreamArn':
      return arn('dynamodb', `table/${name}/stream/${STREAM_LABEL}`);
    case 'AWS::KMS::Key.Arn':
      return arn('kms', `key/${id}`);
    case 'AWS::IAM::Role.Arn':
      return `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`;
    case 'AWS::Lambda::Function.Arn':
      return arn('lambda', `function:${name}`);
    case 'AWS::StepFunctions::StateMachine.Arn':
      return arn('states', `stateMachine:${name}`);
    case 'AWS::Events::EventBus.Arn':
      return arn('events', `event-bus/${name}`);
    case 'AWS::Events::EventBus.Name':
      return name;
    case 'AWS::Events::Rule.Arn': {
      const bus = r.Properties?.EventBusName;
      const busName = bus === undefined ? 'default' : (resolve(template, bus) as string);
      return arn('events', busName === 'default' ? `rule/${name}` : `rule/${busName}/${name}`);
    }
    case 'AWS::Logs::LogGroup.Arn':
      return arn('logs', `log-group:${name}:*`);
    case 'AWS::CloudWatch::Alarm.Arn':
      return arn('cloudwatch', `alarm:${name}`);
    default:
      throw new Error(`intrinsics: Fn::GetAtt ${id}.${attribute} (${r.Type}) is not modelled`);
  }
}

function sub(template: CfnTemplate, text: string, vars: Record<string, unknown>): string {
  return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
    if (name in vars) return String(resolve(template, vars[name]));
    if (name.includes('.')) {
      const [id, attribute] = name.split('.', 2);
      return getAtt(template, id, attribute);
    }
    return refOf(template, name);
  });
}

/** Resolves every intrinsic in `value` (recursively: objects, arrays, nested functions). */
export function resolve(template: CfnTemplate, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(template, v));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [fn] = keys;
    const arg = obj[fn];
    switch (fn) {
      case 'Ref':
        return refOf(template, arg as string);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.', 2);
        return getAtt(template, id, attribute);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (resolve(template, parts) as unknown[]).join(sep);
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return sub(template, arg, {});
        const [text, vars] = arg as [string, Record<string, unknown>];
        return sub(template, text, vars);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        return (resolve(template, list) as unknown[])[Number(resolve(template, index))];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(resolve(template, text)).split(sep);
      }
      default:
        if (fn.startsWith('Fn::')) throw new Error(`intrinsics: ${fn} is not modelled`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(template, obj[k])]));
}

/** The logical id a `Ref`/`Fn::GetAtt` points at, if `value` is one. */
export function targetId(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof v.Ref === 'string') return v.Ref;
  const att = v['Fn::GetAtt'];
  if (Array.isArray(att)) return att[0] as string;
  return undefined;
}
