import {
  DeleteParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import {
  assertKnownFaultTargets,
  FAULT_SWITCH_MAX_AGE_SECONDS,
  type FaultSwitch,
} from '../../../lambdas/contracts/fault-switch';
import { parseFaultSwitch } from '../../../lambdas/platform/fault-injection';

/**
 * The fault-injection switches of a deployed stack: the SSM parameters directly
 * under its `FaultInjectionPath` output (lambdas/platform/fault-injection.ts).
 * Shared by `npm run faults`, the integration tests and the soak run.
 */

const SWITCH_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

function parameterName(path: string, name: string): string {
  if (!SWITCH_NAME.test(name)) {
    throw new Error(`A switch name is 1 to 100 letters, digits, _ . or - (it becomes ${path}/<name>), got "${name}"`);
  }
  return `${path}/${name}`;
}

/** Every switch under `path`: its name and rules, or the reason it is ignored. */
export async function listFaultSwitches(
  ssm: SSMClient,
  path: string,
): Promise<{ name: string; value?: FaultSwitch; problem?: string }[]> {
  const switches: { name: string; value?: FaultSwitch; problem?: string }[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: false, NextToken }));
    for (const p of page.Parameters ?? []) {
      const name = (p.Name ?? '').slice(path.length + 1);
      try {
        switches.push({ name, value: parseFaultSwitch(JSON.parse(p.Value ?? '')) });
      } catch (error) {
        switches.push({ name, problem: (error as Error).message });
      }
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return switches.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Validates and writes the switch `name`; refuses a bad value before anything is stored, a rule naming a
 * target that does not exist included (the functions would accept it and never fire it).
 */
export async function putFaultSwitch(ssm: SSMClient, path: string, name: string, value: unknown): Promise<FaultSwitch> {
  const parsed = parseFaultSwitch(value);
  assertKnownFaultTargets(parsed);
  await ssm.send(
    new PutParameterCommand({
      Name: parameterName(path, name),
      Value: JSON.stringify(parsed),
      Type: 'String',
      Overwrite: true,
    }),
  );
  return parsed;
}

/** Deletes the switch `name`; true if it existed. */
export async function deleteFaultSwitch(ssm: SSMClient, path: string, name: string): Promise<boolean> {
  try {
    await ssm.send(new DeleteParameterCommand({ Name: parameterName(path, name) }));
    return true;
  } catch (error) {
    if (error instanceof ParameterNotFound) return false;
    throw error;
  }
}

/** A switch change reaches every function once their cached copies have expired. */
export function waitForSwitchCaches(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, (FAULT_SWITCH_MAX_AGE_SECONDS + 1) * 1000));
}
