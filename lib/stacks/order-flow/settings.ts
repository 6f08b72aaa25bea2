import {
  CfnCondition,
  CfnParameter,
  aws_cloudwatch as cloudwatch,
  Duration,
  Fn,
  aws_logs as logs,
  RemovalPolicy,
  type Stack,
  type StackProps,
  aws_stepfunctions as sfn,
  aws_sns as sns,
} from 'aws-cdk-lib';
import type { BodyFilter } from '../../../lambdas/contracts/channels';
import type { OperationsConfig } from '../../config/operations-config';
import type { SagaMode } from '../../config/saga-mode';
import { LAMBDA_THROTTLED, type SagaProps } from '../../constructs/saga';

/** Where the stack runs: real AWS, or the local LocalStack-compatible engine. */
export type Stage = 'aws' | 'local';

/** Properties of the `OrderFlowStack`. */
export interface OrderFlowStackProps extends StackProps {
  /** `local` shortens timeouts (fast feedback on the engine) and destroys state on teardown. */
  readonly stage: Stage;
  /**
   * Alarm thresholds and the alarm e-mail subscription.
   *
   * @default - read from the `operations:*` context (cdk.json or `-c`), see lib/config/operations-config.ts
   */
  readonly operations?: OperationsConfig;
  /**
   * The order saga's workflow type (docs/architecture.md "Saga modes"): `express` trades
   * Standard's exactly-once executions and stored history for a far lower price.
   *
   * @default 'standard'
   */
  readonly sagaMode?: SagaMode;
  /**
   * Deploy the fault-injection switch (an SSM parameter holding no rules) that
   * the consumers and saga services read, so operators and tests can make a
   * named step or consumer fail at run time (docs/operations.md "Fault injection"). A
   * testing aid: anyone allowed `ssm:PutParameter` on its path can make the
   * system fail, so a production stack leaves it out unless asked for.
   *
   * @default - true on stage `local`, false on stage `aws`
   */
  readonly faultInjection?: boolean;
}

/**
 * The saga's settings per mode. Standard keeps the construct's patient defaults
 * (its timeout derived from them), the throttle retrier included. Express must
 * finish in 5 minutes even in the worst case, so each attempt is bounded at 10 s
 * (the services' AWS timeout) and every task retries once: 5 actions × (2 × 10 s
 * + 1 s) + 4 compensations × 21 s + 4 failed-compensation reports × 21 s = 273 s
 * (retrying twice would take 13 × 33 s = 429 s); no room is left for a throttle
 * retrier (the construct's Express default: none), so an Express task retries a
 * throttle once, like any fault. A compensation that still fails moves the order
 * to NEEDS_ATTENTION and fails the execution, both alarmed, in both modes.
 */
export const SAGA_SETTINGS: Record<
  SagaMode,
  Pick<
    SagaProps,
    'stateMachineType' | 'taskTimeout' | 'stepRetry' | 'compensationRetry' | 'throttleRetry' | 'logDataProtectionPolicy'
  >
> = {
  standard: { stateMachineType: sfn.StateMachineType.STANDARD },
  express: {
    stateMachineType: sfn.StateMachineType.EXPRESS,
    taskTimeout: Duration.seconds(10),
    stepRetry: { maxAttempts: 1 },
    compensationRetry: { maxAttempts: 1 },
    // Express logs execution data (the order envelope) as its only history: mask the payment token there.
    logDataProtectionPolicy: new logs.DataProtectionPolicy({
      name: 'saga-execution-data',
      description: 'Masks payment tokens in the order saga execution log',
      identifiers: [new logs.CustomDataIdentifier('PaymentToken', 'tok_[A-Za-z0-9_]{1,64}')],
    }),
  },
};

/** What differs between the stages. */
export interface StageSettings {
  /** Timeout of the queue consumers; their queues' visibility timeout is 6 × this. */
  readonly consumerTimeout: Duration;
  /** Timeout of the saga services and the stream processors. */
  readonly serviceTimeout: Duration;
  /**
   * Receives before a message moves to its DLQ. 5 on both stages, AWS's advice for a Lambda-consumed
   * queue under heavy load ("Set the maxReceiveCount on the source queue's redrive policy to at least
   * 5", https://docs.aws.amazon.com/lambda/latest/dg/sqs-retries.html): a batch that times out, or whose
   * worker crashes on another message, comes back whole, and each return counts as a receive for every
   * message in it. With 3, fault-free orders' messages were moved to DLQs under load (docs/failure-modes.md).
   */
  readonly maxReceiveCount: number;
  /** Tables, log groups and keys on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
  /** Event-store snapshot interval in events. */
  readonly snapshotEvery: number;
  /**
   * Deletion protection on the event store's events table: the facts, which
   * nothing can rebuild. Off locally so `npm run destroy:local` can delete it.
   */
  readonly eventStoreDeletionProtection: boolean;
  /**
   * The error names the saga's throttle retrier matches (`SagaProps.throttleRetry.errors`): what the
   * stage's Step Functions reports when Lambda throttles a task.
   */
  readonly sagaThrottleErrors: readonly string[];
  /**
   * Put the event archive under a `CreateEventArchive` parameter, so the local
   * deploy can turn it off on an engine that cannot provision it (MiniStack
   * 1.5.33) and create it through the API instead. Never on AWS.
   */
  readonly archiveParameter: boolean;
}

export const STAGES: Record<Stage, StageSettings> = {
  aws: {
    consumerTimeout: Duration.seconds(10),
    serviceTimeout: Duration.seconds(10),
    maxReceiveCount: 5,
    removalPolicy: RemovalPolicy.RETAIN,
    // Orders are short streams (5 to 9 events): a snapshot is rare and cheap.
    snapshotEvery: 50,
    eventStoreDeletionProtection: true,
    // Lambda.Unknown is NOT here: on AWS it is an unhandled function error (out of memory, a timeout),
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html, which the
    // technical-fault retrier handles.
    sagaThrottleErrors: [LAMBDA_THROTTLED],
    archiveParameter: false,
  },
  local: {
    // Short, so a poison message reaches its DLQ in maxReceiveCount × 30 s, yet
    // long enough for a batch of 10 on a busy single-process engine.
    consumerTimeout: Duration.seconds(5),
    // MiniStack runs each function in one warm worker, so a burst of saga tasks
    // queues behind itself; 5 s timed tasks out under the demo's 60-order burst.
    serviceTimeout: Duration.seconds(30),
    maxReceiveCount: 5,
    removalPolicy: RemovalPolicy.DESTROY,
    // Small, so every confirmed or refunded order exercises the snapshot path locally.
    snapshotEvery: 4,
    eventStoreDeletionProtection: false,
    // Engine gap (localstack/README.md, "Lambda throttle reported as Lambda.Unknown"): MiniStack 1.5.33
    // answers a throttled task with Lambda.Unknown (its throttle body has no errorType:
    // services/stepfunctions.py `_call_lambda`), where AWS reports Lambda.TooManyRequestsException. Every
    // other failure the engine reports for a Node function carries an errorType, so locally
    // Lambda.Unknown is the throttle.
    sagaThrottleErrors: [LAMBDA_THROTTLED, 'Lambda.Unknown'],
    archiveParameter: true,
  },
};

/** The `CreateEventArchive` parameter (default `true`) and the condition on it (local stage only). */
export function archiveParameterCondition(stack: Stack): CfnCondition {
  const createArchive = new CfnParameter(stack, 'CreateEventArchive', {
    type: 'String',
    allowedValues: ['true', 'false'],
    default: 'true',
    description: 'Create the event archive with CloudFormation (false on engines without AWS::Events::Archive).',
  });
  return new CfnCondition(stack, 'CreateEventArchiveCondition', {
    expression: Fn.conditionEquals(createArchive.valueAsString, 'true'),
  });
}

/**
 * The business figures the handlers write in EMF under `namespace` with the dimension `service`
 * (lambdas/platform/metrics.ts), each summed per 5 minutes.
 */
export function businessMetrics(namespace: string, service: string): (metricName: string) => cloudwatch.Metric {
  return (metricName) =>
    new cloudwatch.Metric({
      namespace,
      metricName,
      dimensionsMap: { service },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });
}

/**
 * A fan-out subscription's filter on the message body (lambdas/contracts/channels.ts `BodyFilter`): the
 * envelope's `type` is one of `filter.types` and, if `filter.minTotal` is set, its `data.total` is at least
 * that (the loyalty consumer's rule, applied by SNS so other outcomes never reach its queue).
 */
export function bodyFilterPolicy(filter: BodyFilter): { [attribute: string]: sns.FilterOrPolicy } {
  return {
    type: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: [...filter.types] })),
    ...(filter.minTotal === undefined
      ? {}
      : {
          data: sns.FilterOrPolicy.policy({
            total: sns.FilterOrPolicy.filter(
              sns.SubscriptionFilter.numericFilter({ greaterThanOrEqualTo: filter.minTotal }),
            ),
          }),
        }),
  };
}

/** The fault-injection switch's description (docs/operations.md "Fault injection"). */
export const FAULT_SWITCH_DESCRIPTION =
  'Testing aid: fault-injection rules read by the consumers and saga services (docs/operations.md "Fault injection"). ' +
  'Keep {"faults":[]} outside tests.';
