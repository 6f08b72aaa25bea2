/**
 * `npm run lint:cfn`: the pinned cfn-lint (localstack/requirements.txt, installed into .engine/venv on first
 * use) with .cfnlintrc.yaml over every deployable template of the stack: aws and local stage, standard and
 * express saga. The templates are synthesized the way the infra tests synthesize them (no bundling: cfn-lint
 * reads the template, not the code) and kept in cdk.out/cfn-lint/ for reading. Exits with cfn-lint's code.
 *
 *   npm run lint:cfn                              # errors and warnings, as npm test checks them
 *   npm run lint:cfn -- --include-checks I        # also the informational findings
 *   npm run lint:cfn -- --format json             # any other cfn-lint option, placed before the templates
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../localstack/engine';
import { synthOrderFlow } from '../test/infra/support/order-flow';
import { runCfnLint, STACK_VARIANTS } from './lib/lint-cfn/cfn-lint';

const OUT_DIR = join(ROOT, 'cdk.out', 'cfn-lint');

async function main(args: string[]) {
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const files: string[] = [];
  for (const { stage, sagaMode, file } of STACK_VARIANTS) {
    const { json } = synthOrderFlow(stage, { sagaMode, 'aws:cdk:bundling-stacks': [] });
    const path = join(OUT_DIR, file);
    writeFileSync(path, JSON.stringify(json, null, 1));
    files.push(path);
  }
  console.log(`lint:cfn: ${files.length} templates in ${relative(process.cwd(), OUT_DIR)}; running cfn-lint …`);
  const format = args.some((a) => a === '-f' || a.startsWith('--format')) ? [] : ['--format', 'pretty'];
  const run = await runCfnLint(files, [...format, ...args], { stdio: 'inherit' });
  if (run.status === 0) console.log('lint:cfn: no findings');
  process.exitCode = run.status ?? 1;
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
