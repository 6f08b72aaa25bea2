#!/usr/bin/env node
/**
 * Makes sure Debian's Chromium is installed for the ops view's browser test
 * (test/integration/ops-view.test.ts drives /usr/bin/chromium with playwright-core,
 * which never downloads browsers of its own).
 *
 *   node tools/ensure-chromium.mjs        (run by `npm test` before vitest)
 *
 * Idempotent: does nothing when the browser is already there. Otherwise runs
 * `apt-get update` and `apt-get install -y --no-install-recommends chromium`
 * with no standard input, as root or through password-less sudo, and fails with
 * what to do when neither is possible. CHROMIUM_PATH points at another binary.
 *
 * Plain Node (.mjs, no TypeScript) so it runs before anything else is set up.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const log = (line) => console.log(`ensure-chromium: ${line}`);

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a command with its output streamed (apt-get prints its own progress), or fails saying which. */
function run(argv, env) {
  log(`$ ${argv.join(' ')}`);
  const started = Date.now();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (result.error) fail(`${argv.join(' ')} could not start: ${result.error.message}`);
  if (result.status !== 0) fail(`${argv.join(' ')} failed (exit ${result.status})`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (existsSync(CHROMIUM)) {
  log(`${CHROMIUM} is installed; nothing to do`);
  process.exit(0);
}
if (process.env.CHROMIUM_PATH) fail(`CHROMIUM_PATH=${CHROMIUM} does not exist`);
if (process.platform !== 'linux' || !onPath('apt-get')) {
  fail(
    `${CHROMIUM} not found and this is not a Debian/Ubuntu system with apt-get. Install Chromium yourself and ` +
      'set CHROMIUM_PATH to its binary.',
  );
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
// `sudo -n` never prompts: it succeeds only where sudo needs no password (CI runners).
const canSudo = !isRoot && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!isRoot && !canSudo) {
  fail(
    `${CHROMIUM} not found, and installing it needs root: run \`sudo apt-get update && sudo apt-get install -y ` +
      '--no-install-recommends chromium` once, then run the tests again.',
  );
}
const asRoot = (argv) => (isRoot ? argv : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', ...argv]);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

log(`${CHROMIUM} not found; installing Debian's chromium package (about 120 MB; half a minute on a fast mirror) …`);
const started = Date.now();
run(asRoot(['apt-get', 'update']), env);
run(asRoot(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']), env);
if (!existsSync(CHROMIUM)) fail(`apt-get installed chromium but ${CHROMIUM} is still missing`);
const version = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout?.trim();
log(`installed ${version || CHROMIUM} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
