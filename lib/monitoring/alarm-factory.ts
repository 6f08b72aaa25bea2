import { aws_cloudwatch as cloudwatch, Stack } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { actionOf, type Severity, type SeverityLevel } from './severity';

/** One alarm a monitor asks for. */
export interface AlarmSpec {
  /**
   * What the alarm watches for, e.g. `Errors` or `DlqDepth`: the alarm's construct id under the watched
   * construct's scope, and the last part of its name.
   */
  readonly kind: string;
  /** Decides evaluation, missing data and the topic (see `severity.ts`). */
  readonly severity: SeverityLevel;
  /** One plain metric, without a label (see {@link AlarmFactory}). */
  readonly metric: cloudwatch.Metric;
  /** The alarm fires above it. */
  readonly threshold: number;
  /** What it means and what to do, for the operator who reads the notification. */
  readonly description: string;
}

/** Properties of an {@link AlarmFactory}. */
export interface AlarmFactoryProps {
  /** Start of every alarm name: `<prefix>-<label of the watched construct>-<kind>`. */
  readonly alarmNamePrefix: string;
  /** The severities, each with its topic. */
  readonly severities: Record<SeverityLevel, Severity>;
}

/**
 * Makes the alarms of every monitor, the same way: named `<prefix>-<label>-<kind>`, above the threshold, with
 * the settings and the topic of its severity.
 *
 * **Ids.** An alarm is created in a scope named after the watched construct, under `scope`: the watched
 * construct's id, nested under the ids of its parents below the stack, then the alarm's kind. Two functions
 * both called `Function` (one per queue consumer) stay apart, and no id is ever a concatenation (where
 * `AB`+`C` and `A`+`BC` would collide). The logical id still follows the path, so renaming a watched
 * construct changes its alarms' logical ids (and names): the infra test that pins them fails first.
 *
 * **One plain metric per alarm.** MiniStack refuses an `AWS::CloudWatch::Alarm` in the `Metrics` form
 * (metric math, or a single metric with a label, which CDK renders that way): `Properties.Metrics (metric
 * math) is not supported; use MetricName and Namespace.` (localstack/README.md, "Known engine gaps"; the
 * `Metrics` form: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html).
 * So an alarm takes one `Metric` without a label, and the factory refuses anything else; labels and math
 * belong in widgets.
 */
export class AlarmFactory {
  /** Every alarm made, in creation order. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly scopes = new WeakSet<IConstruct>();

  constructor(
    private readonly scope: Construct,
    private readonly props: AlarmFactoryProps,
  ) {}

  /**
   * An alarm on `watched`: a construct, or for a figure that belongs to no construct (a business metric), a
   * name that stands for it.
   */
  alarm(watched: IConstruct | string, spec: AlarmSpec): cloudwatch.Alarm {
    const label = typeof watched === 'string' ? watched : labelOf(watched);
    if (spec.metric.label !== undefined) {
      throw new Error(
        `Alarm ${label}-${spec.kind}: its metric carries the label "${spec.metric.label}", which CloudFormation ` +
          'would get as metric math (the Metrics form). Fix: alarm on the metric without a label; label it in widgets.',
      );
    }
    const severity = this.props.severities[spec.severity];
    const alarm = new cloudwatch.Alarm(this.scopeOf(watched), spec.kind, {
      alarmName: `${this.props.alarmNamePrefix}-${label}-${spec.kind}`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: severity.evaluationPeriods,
      datapointsToAlarm: severity.datapointsToAlarm,
      treatMissingData: severity.treatMissingData,
      alarmDescription: `${label}: ${spec.description} Fires above ${spec.threshold} in a ${spec.metric.period.toMinutes()}-minute period.`,
    });
    alarm.addAlarmAction(actionOf(severity));
    this.alarms.push(alarm);
    return alarm;
  }

  /** The scope for `watched`'s alarms: one plain construct per id on its path below its stack. */
  private scopeOf(watched: IConstruct | string): Construct {
    let scope = this.scope;
    for (const id of typeof watched === 'string' ? [watched] : pathBelowStack(watched)) {
      const child = scope.node.tryFindChild(id);
      if (child && !this.scopes.has(child)) {
        throw new Error(
          `Cannot scope alarms at ${scope.node.path}/${id}: an alarm already has that id. Fix: rename the watched construct.`,
        );
      }
      scope = (child as Construct | undefined) ?? this.newScope(scope, id);
    }
    return scope;
  }

  private newScope(parent: Construct, id: string): Construct {
    const scope = new Construct(parent, id);
    this.scopes.add(scope);
    return scope;
  }
}

/** The ids on a construct's path below its stack (its whole path when it is outside any stack's subtree). */
function pathBelowStack(construct: IConstruct): string[] {
  const stackPath = Stack.of(construct).node.path;
  const path = construct.node.path.startsWith(`${stackPath}/`)
    ? construct.node.path.slice(stackPath.length + 1)
    : construct.node.path;
  return path.split('/');
}

/**
 * A short, stable label from a construct's path below its stack, for alarm names and widget titles:
 * `Orders/Consumer/Function` → `OrdersConsumerFunction`.
 */
export function labelOf(construct: IConstruct): string {
  return pathBelowStack(construct)
    .map((id) => id.replace(/[^A-Za-z0-9]/g, ''))
    .join('');
}
