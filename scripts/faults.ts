/**
 * `npm run faults -- <command> [--target local|aws] [--stack NAME]`
 *
 *   list                    every switch under the stack's fault-injection path, with its rules
 *   set <name> <json|@file> validates and writes the switch <name> (a testing aid: docs/operations.md "Fault injection");
 *                           a rule naming a target that is not a consumer or saga step is refused
 *   clear <name>            deletes the switch <name> (`default` is set to no rules instead)
 *
 * Functions pick a change up within FAULT_SWITCH_MAX_AGE_SECONDS.
 */
import { readFileSync } from 'node:fs';
import {
  FAULT_SWITCH_MAX_AGE_SECONDS,
  FAULT_TARGETS,
  FAULTS_OFF,
  unknownFaultTargets,
} from '../lambdas/contracts/fault-switch';
import { command, HELP_OPTION, isMain, parseCommandLine, usageError } from './lib/cli';
import { deleteFaultSwitch, listFaultSwitches, putFaultSwitch } from './lib/faults/switches';
import { connectTarget, parseTarget, TARGET_OPTIONS, TARGET_USAGE } from './lib/target';

const SYNOPSIS =
  'usage: npm run faults -- list | set <name> <json|@file> | clear <name> [--target local|aws] [--stack NAME]';

export const CLI = command({
  name: 'faults',
  helpCommand: 'npm run faults -- --help',
  usage: `${SYNOPSIS}

The fault-injection switch, a testing aid (docs/operations.md "Fault injection"): SSM parameters under the
stack's fault-injection path (output FaultInjectionPath) that the functions read; a change is in
force within ${FAULT_SWITCH_MAX_AGE_SECONDS} s. The aws stage has the switch only when deployed with
-c faultInjection=true. Exit code 0 on success, 1 on a refused value or a stack without the
switch, 2 for bad arguments.

commands
  list                    every switch under the path, with its rules
  set <name> <json|@file> validates the value and writes the switch <name>; a rule's target must be
                          one of: ${FAULT_TARGETS.join(', ')}
  clear <name>            deletes the switch <name> (\`default\`, which the stack deploys, is set
                          to no rules instead)

options
${TARGET_USAGE}
  -h, --help     this text

what it writes
  set and clear write or delete one SSM parameter under the fault-injection path; list only reads`,
  config: { allowPositionals: true, options: { ...TARGET_OPTIONS, help: HELP_OPTION } },
});
/** The switch the stack deploys; clearing it keeps the parameter (CloudFormation owns it) with no rules. */
const DEPLOYED_SWITCH = 'default';

function readValue(arg: string | undefined): unknown {
  if (!arg) throw new Error(`set needs a value: JSON such as '{"faults":[...]}' or @path/to/file.json\n${SYNOPSIS}`);
  const text = arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`The switch value is not valid JSON: ${(error as Error).message}`);
  }
}

async function main() {
  const args = parseCommandLine(CLI);
  if (!args) return;
  const { values, positionals } = args;
  const [command, name, value] = positionals;
  if (!['list', 'set', 'clear'].includes(command ?? '')) {
    usageError(CLI, command ? `unknown command "${command}"; give list, set or clear` : 'give list, set or clear');
    return;
  }
  if (command !== 'list' && !name) {
    usageError(CLI, `${command} needs a switch name`);
    return;
  }
  const expected = command === 'set' ? 3 : command === 'clear' ? 2 : 1;
  if (positionals.length > expected) {
    usageError(CLI, `unexpected argument(s): ${positionals.slice(expected).join(' ')}`);
    return;
  }
  const { sys, where } = await connectTarget(parseTarget(values.target), values.stack);
  const path = sys.outputs.FaultInjectionPath;
  if (!path) {
    // The aws stage leaves the switch out unless deployed with -c faultInjection=true (docs/deploy-to-aws.md).
    throw new Error(
      `the stack on the ${where} has no fault-injection switch (no FaultInjectionPath output). ` +
        'Fix: deploy it with -c faultInjection=true, on a test account, not production',
    );
  }
  console.log(`faults: ${path} on the ${where}`);
  if (command === 'list') {
    const switches = await listFaultSwitches(sys.ssm, path);
    for (const s of switches) {
      if (s.problem) console.log(`  ${s.name}: IGNORED by the functions: ${s.problem}`);
      else if (s.value?.faults.length === 0) console.log(`  ${s.name}: no rules`);
      else {
        for (const rule of s.value?.faults ?? []) console.log(`  ${s.name}: ${JSON.stringify(rule)}`);
        // Written past this command (straight to SSM): the functions accept it and never fire it.
        for (const problem of unknownFaultTargets(s.value ?? FAULTS_OFF)) {
          console.log(`  ${s.name}: NEVER FIRES: ${problem}`);
        }
      }
    }
    const rules = switches.reduce((n, s) => n + (s.value?.faults.length ?? 0), 0);
    console.log(`faults: ${switches.length} switch(es), ${rules} rule(s) in force`);
    return;
  }
  if (command === 'set') {
    const written = await putFaultSwitch(sys.ssm, path, name, readValue(value));
    console.log(
      `faults: ${name} now holds ${written.faults.length} rule(s); in force within ${FAULT_SWITCH_MAX_AGE_SECONDS} s`,
    );
    return;
  }
  if (name === DEPLOYED_SWITCH) {
    await putFaultSwitch(sys.ssm, path, name, FAULTS_OFF);
    console.log(`faults: ${name} now holds no rules; in force within ${FAULT_SWITCH_MAX_AGE_SECONDS} s`);
  } else {
    const existed = await deleteFaultSwitch(sys.ssm, path, name);
    console.log(
      existed
        ? `faults: ${name} deleted; off within ${FAULT_SWITCH_MAX_AGE_SECONDS} s`
        : `faults: no switch named ${name}`,
    );
  }
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(`faults: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
