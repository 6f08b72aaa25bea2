import { type IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { ENV, type EnvName } from '../contracts/env';
import { BUSINESS_METRIC } from '../contracts/metrics';
import { createDocumentClient } from '../platform/clients';
import { readEnv } from '../platform/env';
import { type FaultInjector, type FaultSubject, faultInjectorFromEnv, NO_FAULTS } from '../platform/fault-injection';
import { idempotencyFor } from '../platform/idempotency';
import { createLogger } from '../platform/logger';
import { BusinessMetrics } from '../platform/metrics';

/**
 * The one runner core. Both runners, the queue consumer
 * (./consumer/queue-consumer.ts) and the saga service
 * (./saga/saga-service.ts), run a unit of work (an SQS record's event, a saga
 * task) the same way, so that way is written once, here:
 * - bootstrapped from the environment the same way ({@link bootstrapRunner}):
 *   env read once, one DynamoDB client, a logger, the business figures, the
 *   fault switch and Powertools idempotency over the shared table;
 * - fault points `before` and `after-effect` around the work and `before-ack`
 *   after it (the fault-injection testing aid);
 * - at most once per idempotency key, telling a fresh run from an answer
 *   replayed from the idempotency store, which counts `DuplicatesSuppressed`;
 * - per invocation: the Lambda context given to idempotency (the expiry of an
 *   in-progress record), to the logger and to the `timeout` fault, and the
 *   figures published when the invocation ends, whatever happened.
 * What differs stays in each runner: how a unit is read and logged, and what a
 * failure does (a consumer parks or retries, a saga task throws to Step Functions).
 */

/** What every runner is built from. */
export interface RunnerDeps {
  logger: Logger;
  /** Counts `DuplicatesSuppressed` (and the runner's own figures); published once per invocation. */
  metrics: BusinessMetrics;
  idempotency: { persistenceStore: BasePersistenceLayer; config: IdempotencyConfig };
  /** The fault-injection switch (testing aid); none by default. */
  faults?: FaultInjector;
}

/** The work a runner does for one unit, and who the unit is for the fault switch. */
export interface RunnerWork<T extends object, X, R> {
  /** Names the runner in idempotency keys (`keyPrefix`), so records survive a change of function name. */
  name: string;
  /** The business operation. The idempotency key is read from `unit` (the first argument). */
  run: (unit: T, extra: X) => Promise<R>;
  subject: (unit: T, extra: X) => FaultSubject;
}

export interface RunnerCore<T extends object, X, R> {
  /**
   * Runs `unit` between its fault points: at most once per idempotency key, or
   * every time with `cache: false`. `fresh` is false when the answer was
   * replayed from the idempotency store (a duplicate, already counted).
   */
  run(unit: T, extra: X, options?: { cache?: boolean }): Promise<{ result: R; fresh: boolean }>;
  /** Wraps one Lambda invocation: registers its context, runs `body`, publishes the figures at the end. */
  invoke<Out>(context: Context, body: () => Promise<Out>): Promise<Out>;
}

export function createRunnerCore<T extends object, X, R>(
  deps: RunnerDeps,
  work: RunnerWork<T, X, R>,
): RunnerCore<T, X, R> {
  const faults = deps.faults ?? NO_FAULTS;
  // The invocation's context, for a `timeout` fault's deadline; set per invocation.
  let invocation: Context | undefined;
  // The units whose work ran in this invocation: after `runOnce`, a unit not in
  // here was answered from the idempotency store (a duplicate).
  const ran = new WeakSet<T>();
  // `extra` is typed unknown here only for makeIdempotent's option types (which ask whether the
  // second argument is a Lambda context); it is always the X the runner passed.
  const runNow = async (unit: T, extra: unknown): Promise<R> => {
    ran.add(unit);
    const subject = work.subject(unit, extra as X);
    await faults.at('before', subject, invocation);
    const result = await work.run(unit, extra as X);
    await faults.at('after-effect', subject, invocation);
    return result;
  };
  const runOnce = makeIdempotent(runNow, { ...deps.idempotency, keyPrefix: work.name, dataIndexArgument: 0 });

  return {
    async run(unit, extra, { cache = true } = {}) {
      const result = cache ? await runOnce(unit, extra) : await runNow(unit, extra);
      await faults.at('before-ack', work.subject(unit, extra), invocation);
      const fresh = ran.has(unit);
      if (!fresh) deps.metrics.count(BUSINESS_METRIC.DuplicatesSuppressed);
      return { result, fresh };
    },
    async invoke(context, body) {
      invocation = context;
      deps.idempotency.config.registerLambdaContext(context);
      deps.logger.addContext(context);
      try {
        return await body();
      } finally {
        deps.metrics.publish();
      }
    },
  };
}

/**
 * The platform a runner's Lambda handler is built on, from its environment:
 * `envNames` and the idempotency table's name read once (failing loudly when
 * one is missing), one DynamoDB client (shared with idempotency), and the
 * {@link RunnerDeps} named after the function. `idempotencyKey` is the
 * JMESPath of the idempotency key within a unit of work; `payloadValidation`,
 * if given, the JMESPath of the content a repeated key must match
 * (lambdas/platform/idempotency.ts).
 */
export function bootstrapRunner<const K extends EnvName>(
  name: string,
  envNames: readonly K[],
  idempotencyKey: string,
  payloadValidation?: string,
): { env: Record<K | typeof ENV.IDEMPOTENCY_TABLE_NAME, string>; ddb: DynamoDBDocumentClient; deps: RunnerDeps } {
  const env = readEnv([...envNames, ENV.IDEMPOTENCY_TABLE_NAME]);
  const dynamo = new DynamoDBClient({});
  const logger = createLogger(name);
  return {
    env,
    ddb: createDocumentClient(dynamo),
    deps: {
      logger,
      faults: faultInjectorFromEnv(logger),
      metrics: new BusinessMetrics(name),
      idempotency: idempotencyFor({
        tableName: env.IDEMPOTENCY_TABLE_NAME,
        eventKeyJmesPath: idempotencyKey,
        payloadValidationJmesPath: payloadValidation,
        client: dynamo,
      }),
    },
  };
}
