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
import { parseArgs } from 'node:util';
import { ROOT } from '../localstack/engine';
import { type Command, HELP_OPTION, isMain } from './lib/cli';
import { runCfnLint, STACK_VARIANTS } from './lib/lint-cfn/cfn-lint';

const OUT_DIR = join(ROOT, 'cdk.out', 'cfn-lint');

/**
 * Not parsed in strict mode like the other commands: every option but --help is cfn-lint's, passed on as given,
 * so cfn-lint itself refuses an unknown one (its own usage, exit code 2).
 */
export const CLI: Command<{ allowPositionals: true; options: { help: typeof HELP_OPTION } }> = {
  name: 'lint:cfn',
  helpCommand: 'npm run lint:cfn -- --help',
  usage: `usage: npm run lint:cfn [-- <cfn-lint options>]

The pinned cfn-lint (localstack/requirements.txt, installed into .engine/venv on first use) with
.cfnlintrc.yaml over every deployable template of the stack: aws and local stage, standard and
express saga. The templates are synthesized in process the way the infra tests synthesize them
(no bundling: cfn-lint reads the template, not the code). Needs no AWS account and no engine.
Exit code: cfn-lint's (0 when there are no findings; 2 also for an option cfn-lint does not know).

options
  any cfn-lint option, placed before the templates, e.g. --include-checks I (also the
  informational findings) or --format json (default --format pretty); see the cfn-lint docs
  -h, --help     this text

what it writes
  the four templates in cdk.out/cfn-lint/ (replaced on each run), for reading; .engine/venv on
  first use`,
  config: { allowPositionals: true, options: { help: HELP_OPTION } },
};

async function main(args: string[]) {
  const { values } = parseArgs({ ...CLI.config, args, strict: false });
  if (values.help) {
    console.log(CLI.usage);
    return;
  }
  // Loaded here, not at the top: it brings in the CDK app, which importing this module for CLI need not load.
  const { synthOrderFlowApp } = await import('./lib/synth');
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const files: string[] = [];
  for (const { stage, sagaMode, file } of STACK_VARIANTS) {
    const { json } = synthOrderFlowApp(stage, { sagaMode, 'aws:cdk:bundling-stacks': [] });
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

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
