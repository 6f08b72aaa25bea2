import { readFileSync } from 'node:fs';

/** A function's processor architecture, as the template declares it. */
export type Architecture = 'arm64' | 'x86_64';

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** What the synthesized template says about the resources billed by the month, and about the functions. */
export interface FixedResources {
  dashboards: number;
  /** Standard-resolution alarms, counted per alarm metric (a metric-math alarm bills each metric it reads). */
  standardAlarmMetrics: number;
  alarms: number;
  /** Distinct metrics in non-AWS namespaces named by alarms and metric filters. */
  customMetrics: number;
  kmsKeys: number;
  /** Lambda functions by logical id: what AWS bills their duration at. */
  functions: Record<string, { memoryMb: number; architecture: Architecture }>;
  /** Logical ids of SNS topics encrypted with a customer managed key. */
  cmkTopics: string[];
  stateMachines: { logicalId: string; type: string; loggingLevel: string }[];
}

const isAwsNamespace = (ns: unknown) => typeof ns === 'string' && ns.startsWith('AWS/');

/**
 * Counts the monthly-billed resources of a synthesized CloudFormation template. High-resolution and
 * composite alarms have no price in the table, so a template with them is refused rather than mispriced.
 */
export function countFixedResources(template: { Resources?: Record<string, CfnResource> }): FixedResources {
  const resources = Object.entries(template.Resources ?? {});
  if (resources.length === 0)
    throw new Error('the template has no Resources; is it a synthesized CloudFormation template?');
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);

  const customMetrics = new Set<string>();
  let standardAlarmMetrics = 0;
  const unpriced: string[] = [];
  for (const [id, alarm] of ofType('AWS::CloudWatch::Alarm')) {
    const p = alarm.Properties ?? {};
    const metrics =
      (p.Metrics as { MetricStat?: { Metric?: { Namespace?: string; MetricName?: string }; Period?: number } }[]) ?? [];
    const period = Number(p.Period ?? metrics.find((m) => m.MetricStat)?.MetricStat?.Period ?? 60);
    if (period < 60) unpriced.push(`${id} (high-resolution, period ${period} s)`);
    if (metrics.length > 0) {
      const stats = metrics.filter((m) => m.MetricStat);
      standardAlarmMetrics += Math.max(1, stats.length);
      for (const m of stats) {
        const metric = m.MetricStat?.Metric;
        if (metric && !isAwsNamespace(metric.Namespace)) customMetrics.add(`${metric.Namespace}/${metric.MetricName}`);
      }
    } else {
      standardAlarmMetrics += 1;
      if (p.Namespace !== undefined && !isAwsNamespace(p.Namespace))
        customMetrics.add(`${p.Namespace}/${p.MetricName}`);
    }
  }
  for (const [id] of ofType('AWS::CloudWatch::CompositeAlarm')) unpriced.push(`${id} (composite alarm)`);
  if (unpriced.length > 0) {
    throw new Error(
      `the price table has no price for these alarms: ${unpriced.join(', ')}; add one before modelling them`,
    );
  }
  for (const [, filter] of ofType('AWS::Logs::MetricFilter')) {
    for (const t of (filter.Properties?.MetricTransformations as { MetricNamespace?: string; MetricName?: string }[]) ??
      []) {
      if (!isAwsNamespace(t.MetricNamespace)) customMetrics.add(`${t.MetricNamespace}/${t.MetricName}`);
    }
  }

  const functions: FixedResources['functions'] = {};
  for (const [id, fn] of ofType('AWS::Lambda::Function')) {
    const p = fn.Properties ?? {};
    const archs = (p.Architectures as string[] | undefined) ?? ['x86_64'];
    functions[id] = { memoryMb: Number(p.MemorySize ?? 128), architecture: archs[0] === 'arm64' ? 'arm64' : 'x86_64' };
  }

  return {
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    alarms: ofType('AWS::CloudWatch::Alarm').length,
    standardAlarmMetrics,
    customMetrics: customMetrics.size,
    kmsKeys: ofType('AWS::KMS::Key').length,
    functions,
    cmkTopics: ofType('AWS::SNS::Topic')
      .filter(
        ([, t]) =>
          t.Properties?.KmsMasterKeyId !== undefined && !String(t.Properties.KmsMasterKeyId).includes('alias/aws/'),
      )
      .map(([id]) => id),
    stateMachines: ofType('AWS::StepFunctions::StateMachine').map(([id, sm]) => ({
      logicalId: id,
      type: String(sm.Properties?.StateMachineType ?? 'STANDARD'),
      loggingLevel: String((sm.Properties?.LoggingConfiguration as { Level?: string } | undefined)?.Level ?? 'OFF'),
    })),
  };
}

export function readTemplate(file: string): { Resources?: Record<string, CfnResource> } {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the synthesized template ${file} (${(error as Error).message}); run npx cdk synth -q`);
  }
}

/**
 * The template's settings for a deployed function, found by its logical id inside the physical name
 * (CloudFormation names functions `<stack>-<logicalId>-<suffix>`). A generated name is cut to 64
 * characters, which can cut the logical id short (`OrderFlowExpress-OrderTimelineConsumerFunctionAF386196473D79B057`):
 * then the logical id whose longest start follows a dash in the name wins, if that start is at least 16
 * characters and no other logical id's is as long. The measurement records the exact logical id read from
 * the stack; this is for files from before it did.
 */
export function functionSettings(resources: FixedResources, functionName: string) {
  const entries = Object.entries(resources.functions);
  const exact = entries.find(([logicalId]) => functionName.includes(`-${logicalId}-`));
  if (exact) return { logicalId: exact[0], ...exact[1] };
  const startInName = (logicalId: string) => {
    for (let n = logicalId.length; n > 0; n--) if (functionName.includes(`-${logicalId.slice(0, n)}`)) return n;
    return 0;
  };
  const ranked = entries.map(([id, settings]) => ({ id, settings, n: startInName(id) })).sort((a, b) => b.n - a.n);
  const [best, next] = ranked;
  if (!best || best.n < Math.min(16, best.id.length) || (next && next.n === best.n)) return undefined;
  return { logicalId: best.id, ...best.settings };
}
