import { aws_iam as iam, Stack, aws_ssm as ssm } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PropProblems } from './validation';

/** Properties of a {@link FaultSwitch}. */
export interface FaultSwitchProps {
  /**
   * The parameter path the switches live under, e.g. `/MyStack/fault-injection`:
   * every parameter below it holds rules; the one deployed here is `<path>/default`.
   */
  readonly path: string;
  /** The deployed switch's value: rules that inject nothing (the reader's "off" value, as JSON). */
  readonly offValue: string;
  /**
   * The parameter's description.
   *
   * @default - says it is a testing aid that must hold no rules outside tests
   */
  readonly description?: string;
}

/**
 * A fault-injection switch: a testing aid that lets operators and tests make
 * a named step or consumer fail at run time, by writing rules (JSON) to any
 * parameter under a path that the functions read with
 * `GetParametersByPath`. The construct deploys the path's `default`
 * parameter, holding no rules (off), and grants readers the path.
 *
 * Anyone allowed `ssm:PutParameter` under the path can make the system fail:
 * deploy it only where that is wanted (a test stage), not by default in production.
 *
 * @see https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-retrieval-authorization.html (GetParametersByPath is authorized against the path, not the parameters returned)
 * @example
 * const faults = new FaultSwitch(this, 'FaultInjectionSwitch', { path: '/MyStack/faults', offValue: '{"faults":[]}' });
 * faults.grantReadRules(consumer);
 * consumer.addEnvironment('FAULT_INJECTION_PATH', faults.path);
 */
export class FaultSwitch extends ssm.StringParameter {
  /** The path every switch lives under. */
  public readonly path: string;

  constructor(scope: Construct, id: string, props: FaultSwitchProps) {
    const problems = new PropProblems();
    problems.check(/^(\/[A-Za-z0-9_.-]+)+$/.test(props.path), {
      prop: 'path',
      value: props.path,
      problem: 'must be an absolute parameter path of letters, digits, _, . and - (no trailing /)',
      fix: 'use e.g. /MyStack/fault-injection',
    });
    problems.throwIfAny(`${scope.node.path}/${id}`, 'FaultSwitch');
    super(scope, id, {
      parameterName: `${props.path}/default`,
      stringValue: props.offValue,
      description:
        props.description ??
        'Testing aid: fault-injection rules read by the functions under this path. Keep it free of rules outside tests.',
    });
    this.path = props.path;
  }

  /**
   * Lets `grantee` read every switch under the path: `ssm:GetParametersByPath`
   * on the path itself, which is what that call is authorised against (not
   * the parameters it returns). The switches are plain strings, so no key.
   */
  public grantReadRules(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ssm:GetParametersByPath'],
      resourceArns: [
        Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: this.path.slice(1) }),
      ],
    });
  }
}
