import { RULE_ROUTES, type RuleRouteId } from './routes';

/**
 * The stack's outputs, named once. The stack creates one CfnOutput per key
 * from a value object typed by these lists (lib/stacks/order-flow/outputs.ts),
 * so an output it forgets fails typecheck; every reader (the local deploy,
 * the operator commands, the integration tests) goes through
 * {@link readStackOutputs}, so a missing output fails where it is read, with
 * its name, instead of as an `undefined` queue URL three calls later.
 *
 * Dependency-free on purpose (it imports only the routes table beside it).
 */

/** The queue consumers, by construct id; each has the output `<name>FunctionName`. */
export const CONSUMER_NAMES = [
  'EmailConsumer',
  'AnalyticsConsumer',
  'LoyaltyConsumer',
  'OrderTimelineConsumer',
] as const;
export type ConsumerName = (typeof CONSUMER_NAMES)[number];

/**
 * Every dead-letter queue of the stack, as output keys: a consumer queue's DLQ (`queue`, it has a source queue
 * that redrives to it), an SNS subscription's, the rule targets' shared one, and the stream consumers' failure
 * queues (batch descriptions, not messages).
 */
export const DEAD_LETTER_QUEUE_OUTPUT_KEYS = {
  queue: ['EmailDlqUrl', 'AnalyticsDlqUrl', 'LoyaltyDlqUrl', 'OrderTimelineDlqUrl'],
  ruleTarget: ['RuleTargetDlqUrl'],
  subscription: ['EmailSubscriptionDlqUrl', 'AnalyticsSubscriptionDlqUrl', 'LoyaltySubscriptionDlqUrl'],
  streamFailure: ['EventRelayFailureQueueUrl', 'ProjectorFailureQueueUrl'],
} as const;

/** The outputs every deployment has, in the order the stack declares them. */
export const STACK_OUTPUT_KEYS = [
  'EventBusName',
  'EventArchiveName',
  'StateMachineArn',
  'EventStoreTableName',
  'SnapshotTableName',
  'ReadModelTableName',
  'CustomerStatsTableName',
  'ProjectorFunctionName',
  // The bench points it at a probe queue for a while (scripts/lib/bench/timeline-route.ts).
  'EventRelayFunctionName',
  'OrderServiceTableName',
  'ConsumerStateTableName',
  // The consumers by name, so a test can invoke one with a synthetic batch.
  ...CONSUMER_NAMES.map((name) => `${name}FunctionName` as const),
  'IdempotencyTableName',
  'FanoutTopicArn',
  'EmailQueueUrl',
  'EmailDlqUrl',
  'AnalyticsQueueUrl',
  'AnalyticsDlqUrl',
  'LoyaltyQueueUrl',
  'LoyaltyDlqUrl',
  'OrderTimelineQueueUrl',
  'OrderTimelineDlqUrl',
  'RuleTargetDlqUrl',
  // The DLQs without a source queue, so `npm run dlq -- list` can show every one of them.
  ...DEAD_LETTER_QUEUE_OUTPUT_KEYS.subscription,
  ...DEAD_LETTER_QUEUE_OUTPUT_KEYS.streamFailure,
  // Each route's rule, so a message in the rule-target DLQ can be told apart by its RULE_ARN (routes.ts).
  ...RULE_ROUTES.map((route) => `${route.id}RuleArn` as const),
  'MaxReceiveCount',
  'AlarmTopicArn',
  'DashboardName',
] as const;

/** Outputs only some deployments have: the fault-injection switch's path (stage `local`, or when asked for). */
export const OPTIONAL_STACK_OUTPUT_KEYS = ['FaultInjectionPath'] as const;

export type RequiredStackOutputKey = (typeof STACK_OUTPUT_KEYS)[number];
export type OptionalStackOutputKey = (typeof OPTIONAL_STACK_OUTPUT_KEYS)[number];
export type StackOutputKey = RequiredStackOutputKey | OptionalStackOutputKey;

/** The deployed stack's outputs, typed: a required key is always there, an optional one may not be. */
export type StackOutputs = { readonly [K in RequiredStackOutputKey]: string } & {
  readonly [K in OptionalStackOutputKey]?: string;
};

/** The rule ARN outputs by route id (see routes.ts `ruleRouteOf`). */
export function ruleArnsOf(outputs: StackOutputs): Record<RuleRouteId, string> {
  return Object.fromEntries(RULE_ROUTES.map((route) => [route.id, outputs[`${route.id}RuleArn`]])) as Record<
    RuleRouteId,
    string
  >;
}

/**
 * Checks raw outputs (CloudFormation's `OutputKey`/`OutputValue` pairs as a
 * record, or `cdk deploy --outputs-file`'s object for one stack) and returns
 * them typed. Fails with one message naming every missing or empty required
 * output and where they were read from; outputs not in the lists are dropped.
 *
 * @param from where the outputs came from, for the message (e.g. `stack OrderFlow (.engine/outputs.json)`)
 */
export function readStackOutputs(raw: Readonly<Record<string, unknown>>, from = 'the stack'): StackOutputs {
  const missing = STACK_OUTPUT_KEYS.filter((key) => typeof raw[key] !== 'string' || raw[key] === '');
  if (missing.length > 0) {
    throw new Error(
      `Stack outputs missing from ${from}: ${missing.join(', ')}. ` +
        'Redeploy the stack (npm run deploy:local, or cdk deploy) so its outputs match this code.',
    );
  }
  const outputs: Record<string, string> = {};
  for (const key of [...STACK_OUTPUT_KEYS, ...OPTIONAL_STACK_OUTPUT_KEYS]) {
    const value = raw[key];
    if (typeof value === 'string' && value !== '') outputs[key] = value;
  }
  return outputs as StackOutputs;
}

/** An optional output that the caller needs: its value, or a clear error saying how to get it. */
export function requireOptionalOutput(outputs: StackOutputs, key: OptionalStackOutputKey, why: string): string {
  const value = outputs[key];
  if (!value) {
    throw new Error(
      `Stack output ${key} is missing, and ${why} needs it. It is deployed on stage local, and on AWS ` +
        'only with -c faultInjection=true.',
    );
  }
  return value;
}
