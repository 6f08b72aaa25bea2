import { paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand, GetDashboardCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { System } from '../order-system';
import { type Check, fail, fromProblems, pass } from './verdict';

/**
 * The operations checks: the stack's dashboard and alarms exist in CloudWatch.
 * Read only: GetDashboard, DescribeAlarms, ListStackResources.
 */

export interface StackResource {
  type: string;
  logicalId: string;
  physicalId?: string;
}

/** The stack's resources as CloudFormation lists them (every page). */
export async function stackResources(sys: System, stack: string): Promise<StackResource[]> {
  const resources: StackResource[] = [];
  for await (const page of paginateListStackResources({ client: sys.cloudFormation }, { StackName: stack })) {
    for (const r of page.StackResourceSummaries ?? []) {
      resources.push({
        type: r.ResourceType ?? '',
        logicalId: r.LogicalResourceId ?? '',
        physicalId: r.PhysicalResourceId,
      });
    }
  }
  return resources;
}

/**
 * The dashboard named by the `DashboardName` output exists and has widgets, and
 * is the one the stack declares (its AWS::CloudWatch::Dashboard's physical id).
 */
export async function dashboardCheck(sys: System, resources: readonly StackResource[]): Promise<Check> {
  const name = sys.outputs.DashboardName;
  if (!name) return fail('dashboard', 'the stack has no DashboardName output');
  const declared = resources.filter((r) => r.type === 'AWS::CloudWatch::Dashboard').map((r) => r.physicalId);
  if (!declared.includes(name)) {
    return fail('dashboard', `${name} is not a dashboard of the stack (it declares: ${declared.join(', ') || 'none'})`);
  }
  const { DashboardBody } = await sys.cloudWatch.send(new GetDashboardCommand({ DashboardName: name }));
  let widgets: unknown[] | undefined;
  try {
    widgets = (JSON.parse(DashboardBody ?? '') as { widgets?: unknown[] }).widgets;
  } catch {
    return fail('dashboard', `${name}: GetDashboard returned a body that is not JSON`);
  }
  if (!Array.isArray(widgets) || widgets.length === 0) return fail('dashboard', `${name} has no widgets`);
  return pass('dashboard', `${name}: ${widgets.length} widgets`);
}

/** DescribeAlarms takes at most 100 names per call (CloudWatch API reference, DescribeAlarms › AlarmNames). */
const ALARM_NAMES_PER_CALL = 100;

/**
 * Every AWS::CloudWatch::Alarm the stack declares exists (DescribeAlarms by
 * name: an alarm's physical id is its name, which `Ref` returns, see
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html)
 * and notifies the stack's alarm topic (`AlarmTopicArn` output). The states are
 * reported, not judged: an alarm already firing is news for the operator, not
 * a broken deployment.
 */
export async function alarmsCheck(sys: System, resources: readonly StackResource[]): Promise<Check> {
  const topic = sys.outputs.AlarmTopicArn;
  if (!topic) return fail('alarms', 'the stack has no AlarmTopicArn output');
  const names = resources
    .filter((r) => r.type === 'AWS::CloudWatch::Alarm')
    .map((r) => r.physicalId)
    .filter((n): n is string => !!n);
  if (names.length === 0) return fail('alarms', 'the stack declares no alarms');
  const found = new Map<string, MetricAlarm>();
  for (let i = 0; i < names.length; i += ALARM_NAMES_PER_CALL) {
    const chunk = names.slice(i, i + ALARM_NAMES_PER_CALL);
    let nextToken: string | undefined;
    do {
      const page = await sys.cloudWatch.send(
        new DescribeAlarmsCommand({ AlarmNames: chunk, AlarmTypes: ['MetricAlarm'], NextToken: nextToken }),
      );
      for (const alarm of page.MetricAlarms ?? []) if (alarm.AlarmName) found.set(alarm.AlarmName, alarm);
      nextToken = page.NextToken;
    } while (nextToken);
  }
  const problems: string[] = [];
  const missing = names.filter((n) => !found.has(n));
  if (missing.length > 0) problems.push(`${missing.length} of ${names.length} missing: ${missing.join(', ')}`);
  const silent = [...found.values()].filter((a) => !(a.AlarmActions ?? []).includes(topic));
  if (silent.length > 0) {
    problems.push(`${silent.length} do not notify the alarm topic: ${silent.map((a) => a.AlarmName).join(', ')}`);
  }
  const firing = [...found.values()].filter((a) => a.StateValue === 'ALARM').map((a) => a.AlarmName);
  const states = new Map<string, number>();
  for (const a of found.values()) states.set(String(a.StateValue), (states.get(String(a.StateValue)) ?? 0) + 1);
  return fromProblems(
    'alarms',
    problems,
    `${found.size} of ${names.length} exist and notify the alarm topic; states ${[...states].map(([s, n]) => `${n} ${s}`).join(', ')}` +
      (firing.length ? ` (in ALARM: ${firing.join(', ')})` : ''),
  );
}
