import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type LambdaClient,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import type { SagaTaskInput, StepResult } from '../../../lambdas/contracts/saga';

/**
 * Invokes one of a stack's saga services directly with a task, as the state
 * machine would: how the tests simulate a re-run of an execution, and how an
 * operator re-runs a failed compensation once its cause is fixed.
 * `service` is the function's construct id (e.g. `PaymentService`).
 */
export async function invokeSagaService(
  lambda: LambdaClient,
  stack: string,
  service: string,
  task: SagaTaskInput<unknown>,
): Promise<StepResult> {
  const name = await sagaServiceFunctionName(lambda, stack, service);
  const result = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(task)) }),
  );
  const payload = new TextDecoder().decode(result.Payload);
  if (result.FunctionError) throw new Error(`${name} failed: ${payload}`);
  return JSON.parse(payload) as StepResult;
}

/** The log group a saga service writes to (the stack gives each function its own, named by CloudFormation). */
export async function sagaServiceLogGroup(lambda: LambdaClient, stack: string, service: string): Promise<string> {
  const name = await sagaServiceFunctionName(lambda, stack, service);
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  return config.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`;
}

/** The deployed name of a stack's function by its construct id (e.g. `PaymentService`). */
async function sagaServiceFunctionName(lambda: LambdaClient, stack: string, service: string): Promise<string> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListFunctionsCommand({ Marker: marker }));
    names.push(...(page.Functions ?? []).map((f) => f.FunctionName ?? ''));
    marker = page.NextMarker;
  } while (marker);
  // CDK names the function <stack>-<construct id><hash>-<suffix>; the stack name is a prefix of no other stack's here.
  const name = names.find((n) => n.startsWith(`${stack}-${service}`));
  if (!name) throw new Error(`No ${service} function of stack ${stack} among ${names.length} functions`);
  return name;
}
