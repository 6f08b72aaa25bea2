import * as path from 'node:path';
import {
  type Duration,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PropProblems, seconds } from './validation';

/**
 * The project's bundling: the AWS SDK is bundled too (no external modules), so
 * the same artifact runs on Lambda and on a plain `node` (the local engine),
 * and on AWS the code runs with the SDK version it was tested with. `module`
 * before `main` makes esbuild take the SDK's and Powertools' ES module builds,
 * which it can tree-shake (the CommonJS builds it cannot): about a third off
 * every bundle and its init time (BENCHMARKS.md, issue 5).
 */
export const NODE_BUNDLING: nodejs.BundlingOptions = {
  minify: true,
  sourceMap: false,
  target: 'node20',
  format: nodejs.OutputFormat.CJS,
  mainFields: ['module', 'main'],
  externalModules: [],
};

/** Function props the construct decides itself. */
type OwnedFunctionProps = 'entry' | 'timeout' | 'environment' | 'logGroup';

/** Properties of a {@link NodeFunction}. */
export interface NodeFunctionProps {
  /** Path of the handler's TypeScript entry file (exporting `handler`). */
  readonly entry: string;

  /**
   * The function timeout, a literal from 1 second to 15 minutes.
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html (at most 900 seconds)
   */
  readonly timeout: Duration;

  /**
   * Environment variables. Names are the caller's: share them with the handler as constants.
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Removal policy of the function's log group.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Description of the execution role the construct creates.
   *
   * @default - `Execution role of the <entry's folder> function`
   */
  readonly roleDescription?: string;

  /**
   * Construct ids of the log group and the role. They are created beside the
   * function, in the scope it is given, so a function built by hand before
   * (function `X`, log group `XLogGroup`, role `XServiceRole`) keeps the paths,
   * hence the CloudFormation logical ids, of all three when it moves into this
   * construct; a wrapper construct such as `QueueConsumer` names its own.
   *
   * @default - `<id>LogGroup` and `<id>ServiceRole`
   */
  readonly companionIds?: { readonly logGroup?: string; readonly role?: string };

  /**
   * Escape hatch for the function. Merged as: our defaults (Node.js 22 on
   * arm64, 256 MB, X-Ray tracing, {@link NODE_BUNDLING}, a role that may write
   * to the function's log group only), then these props, then what is forced
   * (`entry`, `timeout`, `environment`, `logGroup`). `bundling` is merged over
   * the project's; a `role` passed here is granted write access to the log group too.
   *
   * @default - the defaults above
   */
  readonly functionProps?: Omit<nodejs.NodejsFunctionProps, OwnedFunctionProps>;
}

/**
 * A TypeScript Lambda function as this project builds every one: bundled by
 * esbuild with the project's settings ({@link NODE_BUNDLING}), Node.js 22 on
 * arm64, X-Ray tracing, its own log group with a retention, and its own
 * execution role that may write to that log group only, instead of the
 * AWS-managed AWSLambdaBasicExecutionRole (which allows `CreateLogGroup` and
 * writing to any log group:
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html).
 * Every grant the function needs is then added on purpose by its caller.
 *
 * It is a `NodejsFunction`, so it goes wherever a function does (grants, event
 * sources, Step Functions tasks). Its log group and role sit beside it (see
 * `companionIds`), not inside it: that keeps the logical ids of functions that
 * were built by hand before this construct existed.
 *
 * @example
 * const fn = new NodeFunction(this, 'OrderService', {
 *   entry: 'lambdas/order-service/handler.ts',
 *   timeout: Duration.seconds(10),
 *   environment: { TABLE_NAME: table.tableName },
 * });
 * table.grantReadWriteData(fn);
 */
export class NodeFunction extends nodejs.NodejsFunction {
  // Its log group is the inherited `logGroup`: the one created here.
  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    // Validated before anything is built: bundling runs in the function's constructor.
    const problems = new PropProblems();
    problems.check(!props.timeout.isUnresolved() && seconds(props.timeout) >= 1 && seconds(props.timeout) <= 900, {
      prop: 'timeout',
      value: props.timeout,
      problem: 'must be a literal from 1 second to 15 minutes',
      fix: 'pass e.g. Duration.seconds(10)',
    });
    problems.check(props.entry.endsWith('.ts'), {
      prop: 'entry',
      value: props.entry,
      problem: 'must be a TypeScript file',
      fix: 'pass the path of the handler file, e.g. lambdas/orders/handler.ts',
    });
    problems.throwIfAny(`${scope.node.path}/${id}`, 'NodeFunction');

    const logGroup = new logs.LogGroup(scope, props.companionIds?.logGroup ?? `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const role =
      props.functionProps?.role ??
      new iam.Role(scope, props.companionIds?.role ?? `${id}ServiceRole`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description:
          props.roleDescription ?? `Execution role of the ${path.basename(path.dirname(props.entry))} function`,
      });
    logGroup.grantWrite(role);

    super(scope, id, {
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      tracing: lambda.Tracing.ACTIVE,
      ...props.functionProps,
      bundling: { ...NODE_BUNDLING, ...props.functionProps?.bundling },
      role,
      entry: props.entry,
      timeout: props.timeout,
      environment: props.environment,
      logGroup,
    });
  }
}
