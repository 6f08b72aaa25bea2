/**
 * Proves the stack's IAM and KMS offline (docs/failure-modes.md "Access check"): every request the system makes, evaluated
 * against the aws-stage template's policies by an IAM policy evaluator, and every granted action no
 * request uses, removed or kept with its reason.
 *
 *   npm run verify:access              # evaluate; exit 1 on any DENY, stale recording or unexplained grant
 *   npm run verify:access -- --record  # re-record the functions' own calls on the local engine (AWS_ENDPOINT_URL)
 */
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';

export const CLI = command({
  name: 'verify:access',
  helpCommand: 'npm run verify:access -- --help',
  usage: `usage: npm run verify:access [-- --record]

Proves the stack's IAM and KMS offline (docs/failure-modes.md "Access check"): every request the
system makes (the functions' recorded calls and every service-to-service request the template
wires), evaluated against the policies of the aws-stage template (synthesized by the command) by
an IAM policy evaluator (@cloud-copilot/iam-simulate), and every granted action no request uses,
removed or kept with its reason. Needs no AWS account and no engine. Exit code
0 when every request is allowed and every grant explained, 1 on any DENY, stale recording or
unexplained grant, 2 for bad arguments.

options
  --record       first re-record the functions' own calls on the local engine (AWS_ENDPOINT_URL,
                 loopback, default http://127.0.0.1:4566; started if none answers and stopped
                 again, stack deployed if needed), then evaluate
  -h, --help     this text

what it writes
  nothing without --record; with it, test/support/fixtures/recorded-requests.json and the deployment
  (.engine/outputs.json)`,
  config: { options: { record: { type: 'boolean', default: false }, help: HELP_OPTION } },
});

async function main() {
  const args = parseCommandLine(CLI);
  if (!args) return;
  // Loaded here, not at the top: they bring in the CDK app, which importing this module for CLI need not load.
  const { runAccessCheck } = await import('./lib/verify-access/check');
  if (args.values.record) {
    const { record } = await import('./lib/verify-access/record');
    await record((line) => console.log(line));
  }
  const result = await runAccessCheck();
  for (const line of result.lines) console.log(line);
  process.exitCode = result.ok ? 0 : 1;
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
