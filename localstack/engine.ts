/**
 * The local AWS engine: reuse whatever answers on AWS_ENDPOINT_URL, otherwise install the pinned
 * MiniStack into `.engine/venv` and run it on 127.0.0.1 as a detached process group of our own.
 *
 *   npx tsx localstack/engine.ts up|down|status
 *
 * `down` stops only the process recorded in `.engine/ministack.pid`, never anything found by name.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { command, HELP_OPTION, isMain, parseCommandLine, usageError } from '../scripts/lib/cli';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ENGINE_DIR = join(ROOT, '.engine');
const VENV_DIR = join(ENGINE_DIR, 'venv');
const REQUIREMENTS = join(ROOT, 'localstack', 'requirements.txt');
export const LOG_FILE = join(ENGINE_DIR, 'ministack.log');
export const PID_FILE = join(ENGINE_DIR, 'ministack.pid');
/**
 * TMPDIR of the engine: MiniStack unpacks Lambda code there. Outside the repository on purpose, so that
 * Node's module resolution from a handler never finds the project's node_modules (AWS would not either).
 * Wiped when we start the engine and when we stop it.
 */
const engineTmpDir = (port: number) => join(tmpdir(), `orderflow-ministack-${port}`);

/** Paths relative to the repository, for messages. */
const rel = (p: string) => relative(process.cwd(), p) || '.';

const HEALTH_PATHS = ['/_ministack/health', '/_localstack/health'];
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'us-east-1';

export interface Engine {
  /** True when this call started MiniStack; false when an engine was already answering. */
  startedByUs: boolean;
  endpoint: string;
  /** Stops the engine if this call started it; a no-op for a reused engine. */
  stop: () => Promise<void>;
}

export interface EnsureEngineOptions {
  /** How long to wait for the health check after starting MiniStack (default 60 s). */
  readyTimeoutMs?: number;
  /** Progress lines; defaults to console.log. */
  log?: (line: string) => void;
}

export function endpoint(): string {
  return process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566';
}

/**
 * What a child process (CDK CLI, SDK clients, tests) needs to talk to the engine.
 *
 * Credentials and region are FORCED, not defaulted: whatever the caller has in its environment,
 * the engine is always addressed as account 000000000000 in us-east-1 with the dummy keys
 * `test`/`test`. MiniStack derives the account from the access key id (a 12-digit key id becomes
 * that account, anything else 000000000000), so a developer's own keys would put resources in a
 * different account than the one we bootstrap, and a real key has no business being sent to a
 * local emulator anyway. Use `engineChildEnv()` to also drop profile/session variables that would
 * otherwise take precedence in some tools.
 */
export function awsEnv(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint(),
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    CDK_DEFAULT_ACCOUNT: LOCAL_ACCOUNT,
    CDK_DEFAULT_REGION: LOCAL_REGION,
  };
}

/** SDK client settings for the engine: its endpoint, region and dummy credentials (those of awsEnv() unless given). */
export function engineClientConfig(env: Record<string, string> = awsEnv()) {
  return {
    endpoint: env.AWS_ENDPOINT_URL,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  };
}

/** AWS variables that must not leak from the caller's shell into anything pointed at the engine. */
function withoutCallerAws(env: NodeJS.ProcessEnv): Record<string, string> {
  const dropped =
    /^(AWS_PROFILE|AWS_DEFAULT_PROFILE|AWS_SESSION_TOKEN|AWS_SECURITY_TOKEN|AWS_ROLE_ARN|AWS_ROLE_SESSION_NAME|AWS_WEB_IDENTITY_TOKEN_FILE|AWS_CONTAINER_.*|AWS_ENDPOINT_URL_.*|AWS_ACCOUNT_ID)$/;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !dropped.test(k)) out[k] = v;
  return out;
}

/** process.env without the caller's AWS profile/session, plus awsEnv(): for spawning the CDK CLI etc. */
export function engineChildEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...withoutCallerAws(process.env), AWS_EC2_METADATA_DISABLED: 'true', ...awsEnv(), ...extra };
}

/** A distribution name as pip compares them (PEP 503): lower case, runs of `-`, `_`, `.` as one `-`. */
const normalizeName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/**
 * The pins of a requirements file's text, normalized distribution name → version. Each requirement must be
 * an exact `name==X.Y.Z` (comments and blank lines aside), and `ministack` must be one of them: the
 * engine-gap notes and the lint acknowledgements are true for those versions only. `file` names the file
 * in errors.
 */
export function parseRequirements(text: string, file: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)$/.exec(line);
    if (!m) throw new Error(`${file}:${index + 1}: "${line}" must pin one package exactly (name==X.Y.Z)`);
    pins.set(normalizeName(m[1]), m[2]);
  }
  if (!pins.has('ministack')) throw new Error(`${file} must pin ministack exactly (ministack==X.Y.Z)`);
  return pins;
}

/** Every pin of localstack/requirements.txt (see {@link parseRequirements}). */
export function pinnedVersions(): Map<string, string> {
  return parseRequirements(readFileSync(REQUIREMENTS, 'utf8'), rel(REQUIREMENTS));
}

/** The version pinned in localstack/requirements.txt for `name` (`ministack` unless given). */
export function pinnedVersion(name = 'ministack'): string {
  const version = pinnedVersions().get(normalizeName(name));
  if (!version) throw new Error(`${rel(REQUIREMENTS)} must pin ${name} exactly (${name}==X.Y.Z)`);
  return version;
}

/** The health JSON of whatever answers on the endpoint, or undefined when nothing does. */
export async function health(url = endpoint(), timeoutMs = 1500): Promise<Record<string, unknown> | undefined> {
  for (const path of HEALTH_PATHS) {
    try {
      const res = await fetch(new URL(path, url), { signal: AbortSignal.timeout(timeoutMs) });
      if (res.ok) return (await res.json()) as Record<string, unknown>;
    } catch {
      // nothing there (or not JSON): try the next path
    }
  }
  return undefined;
}

function loopbackTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== 'http:') {
    throw new Error(`engine: refusing to start MiniStack for ${url}: only plain http on loopback is supported`);
  }
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') {
    throw new Error(
      `engine: nothing answers on ${url}, and it is not a loopback address (127.0.0.1 or localhost), so it will not ` +
        'be started here. Start that engine yourself, or unset AWS_ENDPOINT_URL to use a local MiniStack.',
    );
  }
  return { host: '127.0.0.1', port: Number(u.port || 80) };
}

const venvBin = (name: string) =>
  process.platform === 'win32' ? join(VENV_DIR, 'Scripts', `${name}.exe`) : join(VENV_DIR, 'bin', name);

/** The installed version of each of `names` in the venv (undefined where it is missing, or no venv yet). */
function installedVersions(names: string[]): Map<string, string | undefined> {
  const python = venvBin('python');
  const none = new Map(names.map((name) => [name, undefined]));
  if (!existsSync(python)) return none;
  const script = [
    'import importlib.metadata as m, json, sys',
    'def v(n):',
    '    try: return m.version(n)',
    '    except m.PackageNotFoundError: return None',
    'print(json.dumps({n: v(n) for n in sys.argv[1:]}))',
  ].join('\n');
  const r = spawnSync(python, ['-c', script, ...names], { encoding: 'utf8' });
  if (r.status !== 0) return none;
  const found = JSON.parse(r.stdout) as Record<string, string | null>;
  return new Map(names.map((name) => [name, found[name] ?? undefined]));
}

/**
 * Runs a command to completion without blocking the event loop: a pip install takes minutes, and a vitest
 * worker whose loop is blocked that long loses its connection to the runner.
 */
function run(cmd: string, args: string[], what: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT });
    child.once('error', (error) => reject(new Error(`engine: ${what} failed: ${error.message}`)));
    child.once('close', (code, signal) =>
      code === 0 ? resolvePromise() : reject(new Error(`engine: ${what} failed (exit ${code ?? signal})`)),
    );
  });
}

/**
 * Creates `.engine/venv` and installs localstack/requirements.txt into it unless every pinned package is
 * already there at exactly its pinned version. One venv and one requirements file for the engine and the
 * Python tools of the checks (cfn-lint), so that pip resolves them together: installing them one after the
 * other could silently change a dependency the first one was installed with.
 */
export async function ensureVenv(log: (line: string) => void = console.log): Promise<string> {
  const want = pinnedVersions();
  const have = installedVersions([...want.keys()]);
  const stale = [...want].filter(([name, version]) => have.get(name) !== version);
  if (stale.length === 0) return venvBin('python');
  mkdirSync(ENGINE_DIR, { recursive: true });
  if (!existsSync(venvBin('python'))) {
    const python = process.env.PYTHON ?? 'python3';
    log(`engine: creating ${rel(VENV_DIR)} with ${python} …`);
    await run(python, ['-m', 'venv', VENV_DIR], `${python} -m venv (needs Python >= 3.10 with the venv module)`);
  }
  const what = stale
    .map(([name, version]) => `${name} ${version}${have.get(name) ? ` (replacing ${have.get(name)})` : ''}`)
    .join(', ');
  log(`engine: installing ${what} into ${rel(VENV_DIR)} …`);
  await run(
    venvBin('python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS],
    `pip install -r ${rel(REQUIREMENTS)}`,
  );
  const now = installedVersions([...want.keys()]);
  for (const [name, version] of want) {
    if (now.get(name) !== version) {
      throw new Error(`engine: expected ${name} ${version} in ${rel(VENV_DIR)}, found ${now.get(name) ?? 'none'}`);
    }
  }
  return venvBin('python');
}

/**
 * The path of a console script of a package pinned in localstack/requirements.txt (`cfn-lint`, say),
 * installing the venv first when needed: the same code path `npm run engine:up` takes.
 */
export async function venvTool(name: string, log: (line: string) => void = console.log): Promise<string> {
  pinnedVersion(name); // refuses a tool that is not pinned (the console script is named like its package)
  await ensureVenv(log);
  const bin = venvBin(name);
  if (!existsSync(bin))
    throw new Error(`engine: ${name} is pinned but ${rel(bin)} is missing; remove ${rel(VENV_DIR)} to reinstall it`);
  return bin;
}

/**
 * `LAMBDA_ACCOUNT_CONCURRENCY` for the engine, from the user's environment: how many Lambda invocations
 * MiniStack runs at once, all functions together (0 = unbounded); past it an invocation is throttled at
 * once (TooManyRequestsException) and left to its caller to retry. Unset, MiniStack 1.5.33 sizes it from
 * memory (half of it at 21 MiB per invocation, at most 1000: about 585 on a 23 GiB machine) and runs each
 * concurrent invocation in its own `node` worker process. No default is imposed here. Since the saga
 * retries a throttle on a retrier of its own (lib/constructs/saga-definition.ts), the demo burst ended with
 * the right outcomes under every bound measured (4, 8, 16), 4 to 11 times faster than unbounded (p50
 * 10.5–12.8 s with 8, against 92.5 s unbounded; unbounded on a loaded machine it thrashed and every order
 * was cancelled), so 8 is proposed as a default (BENCHMARKS.md, issue 14; localstack/README.md "Lambda
 * concurrency on the engine"). Returns undefined when unset; refuses anything but a whole number.
 */
export function lambdaAccountConcurrency(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.LAMBDA_ACCOUNT_CONCURRENCY?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) > 100_000) {
    throw new Error(
      `engine: LAMBDA_ACCOUNT_CONCURRENCY must be a whole number of concurrent Lambda invocations (0 = unbounded), got "${raw}"`,
    );
  }
  return String(Number(raw));
}

/** The environment MiniStack runs with. Lambda handlers inherit it (the warm worker spawns them from it). */
function engineProcessEnv(host: string, port: number): Record<string, string> {
  const env = withoutCallerAws(process.env);
  // The bound on concurrent invocations (worker processes), checked, when the user sets one.
  const concurrency = lambdaAccountConcurrency();
  if (concurrency === undefined) delete env.LAMBDA_ACCOUNT_CONCURRENCY;
  else env.LAMBDA_ACCOUNT_CONCURRENCY = concurrency;
  for (const k of Object.keys(env))
    if (/^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_ENDPOINT_URL)$/.test(k)) delete env[k];
  // Lambda handlers run as `node` from PATH: make that the same node that runs this tooling.
  const nodeDir = dirname(process.execPath);
  return {
    ...env,
    PATH: [nodeDir, env.PATH ?? ''].filter(Boolean).join(process.platform === 'win32' ? ';' : ':'),
    BIND_HOST: host,
    GATEWAY_PORT: String(port),
    LOG_LEVEL: process.env.MINISTACK_LOG_LEVEL ?? 'INFO',
    PYTHONUNBUFFERED: '1',
    // python/nodejs Zip functions run in MiniStack's warm pool of local `node`/`python` processes.
    // "docker" (or LAMBDA_STRICT=1) would require Docker, which we do not have.
    LAMBDA_EXECUTOR: 'local',
    LAMBDA_STRICT: '0',
    MINISTACK_REGION: LOCAL_REGION,
    MINISTACK_ACCOUNT_ID: LOCAL_ACCOUNT,
    // Handlers inherit these: the SDK v3 clients they create with default config call the engine
    // back here with dummy credentials (MiniStack also overrides the key id with the account id).
    AWS_ENDPOINT_URL: `http://${host}:${port}`,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    TMPDIR: engineTmpDir(port),
  };
}

/** `.engine/ministack.pid`: the PID on the first line, the `host:port` it serves on the second. */
function readPidFile(): { pid: number; address?: string } | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  const [first, second] = readFileSync(PID_FILE, 'utf8').split('\n');
  const pid = Number.parseInt(first.trim(), 10);
  return Number.isInteger(pid) && pid > 1 ? { pid, address: second?.trim() || undefined } : undefined;
}

const readPid = () => readPidFile()?.pid;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` still looks like the MiniStack we started (guards against a recycled PID).
 * Only checked where /proc exists; elsewhere the PID file is trusted.
 */
function looksLikeOurEngine(pid: number): boolean {
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(cmdline, 'utf8').includes('ministack');
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to the engine's process group (MiniStack and its Lambda workers), SIGKILL after 10 s. */
export async function stopPid(pid: number, log: (line: string) => void = console.log, port?: number): Promise<void> {
  const groupAlive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  if (groupAlive() || alive(pid)) {
    signal('SIGTERM');
    const deadline = Date.now() + 10_000;
    while ((groupAlive() || alive(pid)) && Date.now() < deadline) await sleep(100);
    if (groupAlive() || alive(pid)) {
      log(`engine: PID ${pid} did not stop within 10 s; sending SIGKILL`);
      signal('SIGKILL');
      const killDeadline = Date.now() + 5_000;
      while ((groupAlive() || alive(pid)) && Date.now() < killDeadline) await sleep(100);
    }
  }
  if (readPid() === pid) rmSync(PID_FILE, { force: true });
  if (port !== undefined) rmSync(engineTmpDir(port), { recursive: true, force: true });
}

async function waitForHealth(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await health(url, 1000)) return;
    if (child && child.exitCode !== null) {
      throw new Error(`engine: MiniStack exited with code ${child.exitCode} while starting; see ${rel(LOG_FILE)}`);
    }
    await sleep(250);
  }
  throw new Error(
    `engine: MiniStack did not answer ${url}/_ministack/health within ${timeoutMs / 1000} s; see ${rel(LOG_FILE)}`,
  );
}

/**
 * Reuses the engine answering on endpoint(), or starts the pinned MiniStack on 127.0.0.1.
 * The returned stop() only ever stops an engine this call started.
 */
export async function ensureEngine(opts: EnsureEngineOptions = {}): Promise<Engine> {
  const log = opts.log ?? console.log;
  const url = endpoint();
  if (await health(url)) return { startedByUs: false, endpoint: url, stop: async () => {} };

  const { host, port } = loopbackTarget(url);
  const timeoutMs = opts.readyTimeoutMs ?? 60_000;

  // A MiniStack we started earlier is still alive: wait for it if it is this endpoint's (still coming up);
  // never start a second one and lose track of the first.
  const previous = readPidFile();
  if (previous !== undefined) {
    if (alive(previous.pid) && looksLikeOurEngine(previous.pid)) {
      if (previous.address !== undefined && previous.address !== `${host}:${port}`) {
        throw new Error(
          `engine: the MiniStack in ${rel(PID_FILE)} (PID ${previous.pid}) serves ${previous.address}, not ${host}:${port}; ` +
            `stop it first (npm run engine:down) or use AWS_ENDPOINT_URL=http://${previous.address}`,
        );
      }
      log(`engine: MiniStack started earlier (PID ${previous.pid}) is not answering yet; waiting …`);
      await waitForHealth(url, timeoutMs);
      return { startedByUs: false, endpoint: url, stop: async () => {} };
    }
    rmSync(PID_FILE, { force: true }); // stale
  }

  const python = await ensureVenv(log);
  rmSync(engineTmpDir(port), { recursive: true, force: true });
  mkdirSync(engineTmpDir(port), { recursive: true });
  const logFd = openSync(LOG_FILE, 'a');
  writeSync(logFd, `\n--- ${new Date().toISOString()} starting ministack ${pinnedVersion()} on ${host}:${port}\n`);
  const started = Date.now();
  let child: ChildProcess;
  try {
    // `python -m ministack` is MiniStack's own foreground entry point (app.main): it honours BIND_HOST
    // and GATEWAY_PORT and refuses a port already in use. detached => its own process group.
    child = spawn(python, ['-m', 'ministack'], {
      cwd: ENGINE_DIR,
      env: engineProcessEnv(host, port),
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`engine: could not spawn ${python}: ${spawnError?.message ?? 'no PID'}`);
  child.unref();
  writeFileSync(PID_FILE, `${pid}\n${host}:${port}\n`);
  log(`engine: starting MiniStack ${pinnedVersion()} (PID ${pid}) on ${host}:${port}, log ${rel(LOG_FILE)} …`);

  const stop = () => stopPid(pid, log, port);
  try {
    await waitForHealth(url, timeoutMs, child);
  } catch (error) {
    await stop();
    throw error;
  }
  log(`engine: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { startedByUs: true, endpoint: url, stop };
}

/** Stops the MiniStack recorded in .engine/ministack.pid (and nothing else). */
export async function stopRecordedEngine(log: (line: string) => void = console.log): Promise<boolean> {
  const recorded = readPidFile();
  if (recorded === undefined) {
    log(`engine: no ${rel(PID_FILE)}; nothing of ours to stop`);
    return false;
  }
  const { pid } = recorded;
  if (!alive(pid) || !looksLikeOurEngine(pid)) {
    log(`engine: PID ${pid} from ${rel(PID_FILE)} is not a running MiniStack; removing the stale PID file`);
    rmSync(PID_FILE, { force: true });
    return false;
  }
  const port = Number(recorded.address?.split(':').pop());
  await stopPid(pid, log, Number.isInteger(port) && port > 0 ? port : undefined);
  log(`engine: stopped MiniStack (PID ${pid})`);
  return true;
}

export const CLI = command({
  name: 'engine',
  helpCommand: 'npx tsx localstack/engine.ts --help',
  usage: `usage: npm run engine:up | engine:down | engine:status
       npx tsx localstack/engine.ts [up|down|status]   (default status)

The local AWS engine on AWS_ENDPOINT_URL (default http://127.0.0.1:4566).
  up       reuse whatever answers there; otherwise install the pinned MiniStack
           (localstack/requirements.txt) into .engine/venv and start it on that host and port
           as a detached process group of its own
  down     stop only the process recorded in .engine/ministack.pid, never anything found by name
  status   what answers there (exit code 1 when nothing does)
Exit code 0 on success, 1 on an error, 2 for bad arguments.

options
  -h, --help     this text
environment
  AWS_ENDPOINT_URL      where the engine is (loopback to start one)
  PYTHON                the Python that creates the venv (default python3, needs 3.10 or later)
  MINISTACK_LOG_LEVEL   MiniStack's log level (default INFO)
  LAMBDA_ACCOUNT_CONCURRENCY
                        Lambda invocations the engine runs at once, all functions together
                        (0 = unbounded; unset: MiniStack's own, sized from memory); past it an
                        invocation is throttled (see localstack/README.md)

what it writes
  .engine/venv (first use, or when the pins change), .engine/ministack.pid, .engine/ministack.log,
  and the engine's TMPDIR (<system tmp>/orderflow-ministack-<port>, wiped on start and stop)`,
  config: { allowPositionals: true, options: { help: HELP_OPTION } },
});

async function main(argv: string[]) {
  const args = parseCommandLine(CLI, argv);
  if (!args) return;
  if (args.positionals.length > 1) {
    usageError(CLI, `give one command (up, down or status), got ${args.positionals.join(' ')}`);
    return;
  }
  const cmd = args.positionals[0] ?? 'status';
  switch (cmd) {
    case 'up': {
      const engine = await ensureEngine();
      console.log(
        engine.startedByUs
          ? `engine: started MiniStack at ${engine.endpoint} (stop it with: npm run engine:down)`
          : `engine: reusing the engine already answering at ${engine.endpoint}`,
      );
      return;
    }
    case 'down':
      await stopRecordedEngine();
      return;
    case 'status': {
      const h = await health();
      if (!h) {
        console.log(`engine: nothing answers at ${endpoint()}`);
        process.exitCode = 1;
        return;
      }
      console.log(JSON.stringify({ endpoint: endpoint(), pid: readPid() ?? null, health: h }, null, 2));
      return;
    }
    default:
      usageError(CLI, `unknown command "${cmd}"; give up, down or status`);
  }
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}

/** Which engine answers on `endpoint`: `ministack` (it answers on its own health path), or `other` (AWS-like). */
export async function identifyEngine(endpoint: string): Promise<'ministack' | 'other'> {
  try {
    const response = await fetch(new URL('/_ministack/health', endpoint));
    return response.ok ? 'ministack' : 'other';
  } catch {
    return 'other';
  }
}
