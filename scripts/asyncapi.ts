/**
 * `npm run asyncapi`: writes the AsyncAPI 3.0 document of the order flow (docs/asyncapi.json) from the event
 * catalogue and the stack's routing and queue tables (scripts/lib/asyncapi/document.ts); `--check` writes
 * nothing and fails when the committed file differs from a fresh generation (npm test checks the same).
 *
 *   npm run asyncapi              # regenerate docs/asyncapi.json
 *   npm run asyncapi -- --check   # exit 1 when docs/asyncapi.json is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../localstack/engine';
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';

/** The committed document. */
export const ASYNCAPI_FILE = join(ROOT, 'docs', 'asyncapi.json');

export const CLI = command({
  name: 'asyncapi',
  helpCommand: 'npm run asyncapi -- --help',
  usage: `usage: npm run asyncapi [-- --check]

Generates the AsyncAPI 3.0 document of the order flow from the code the stack is built from: the
zod event catalogue and envelope (lambdas/messages/), who sends each event, the routing table and
the consumer-queue table (lambdas/contracts/) and the stack's settings. Needs no AWS account and
no engine. docs/asyncapi.md says what the document holds.

options
  --check        write nothing; exit 1 when docs/asyncapi.json differs from a fresh generation
                 (npm test checks the same, and parses the file with the AsyncAPI parser)
  -h, --help     this text

what it writes
  docs/asyncapi.json (replaced), unless --check`,
  config: { options: { check: { type: 'boolean', default: false }, help: HELP_OPTION } },
});

/** The document as `npm run asyncapi` writes it. Loads the stack's settings (and so the CDK library) on first use. */
export async function freshDocument(): Promise<string> {
  const [{ asyncApiDocument, renderDocument }, { STAGES }] = await Promise.all([
    import('./lib/asyncapi/document'),
    import('../lib/stacks/order-flow/settings'),
  ]);
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  // The document describes the aws stage (the local stage's settings are in lib/stacks/order-flow/settings.ts).
  return renderDocument(asyncApiDocument({ version, maxReceiveCount: STAGES.aws.maxReceiveCount }));
}

/** Why the committed document (undefined: no file) is not the fresh one, or undefined when it is. */
export function staleness(committed: string | undefined, fresh: string, file: string): string | undefined {
  if (committed === fresh) return undefined;
  const what = committed === undefined ? 'is missing' : 'differs from a fresh generation';
  return `${file} ${what}; run npm run asyncapi and commit it`;
}

async function main(argv: string[]) {
  const parsed = parseCommandLine(CLI, argv);
  if (!parsed) return;
  const fresh = await freshDocument();
  const file = relative(process.cwd(), ASYNCAPI_FILE);
  if (parsed.values.check) {
    let committed: string | undefined;
    try {
      committed = readFileSync(ASYNCAPI_FILE, 'utf8');
    } catch {
      committed = undefined;
    }
    const problem = staleness(committed, fresh, file);
    if (problem) {
      console.error(`asyncapi: ${problem}`);
      process.exitCode = 1;
    } else {
      console.log(`asyncapi: ${file} is up to date`);
    }
    return;
  }
  writeFileSync(ASYNCAPI_FILE, fresh);
  console.log(`asyncapi: wrote ${file}`);
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
