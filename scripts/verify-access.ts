/**
 * Proves the stack's IAM and KMS offline (docs/failure-modes.md "Access check"): every request the system makes, evaluated
 * against the aws-stage template's policies by an IAM policy evaluator, and every granted action no
 * request uses, removed or kept with its reason.
 *
 *   npm run verify:access              # evaluate; exit 1 on any DENY, stale recording or unexplained grant
 *   npm run verify:access -- --record  # re-record the functions' own calls on the local engine (AWS_ENDPOINT_URL)
 */
import { runAccessCheck } from './lib/verify-access/check';
import { record } from './lib/verify-access/record';

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--record');
  if (unknown.length > 0)
    throw new Error(
      `verify:access: unknown argument(s) ${unknown.join(' ')}; usage: npm run verify:access [-- --record]`,
    );
  if (args.includes('--record')) await record((line) => console.log(line));
  const result = await runAccessCheck();
  for (const line of result.lines) console.log(line);
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
