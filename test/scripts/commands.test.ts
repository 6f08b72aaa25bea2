import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLI as deploy } from '../../localstack/deploy';
import { CLI as engine, ROOT } from '../../localstack/engine';
import { CLI as asyncapi } from '../../scripts/asyncapi';
import { CLI as bench } from '../../scripts/bench';
import { CLI as cost } from '../../scripts/cost';
import { CLI as demo } from '../../scripts/demo';
import { CLI as dlq } from '../../scripts/dlq';
import { CLI as faults } from '../../scripts/faults';
import { type Command, command, HELP_OPTION, parseCommandLine } from '../../scripts/lib/cli';
import { CLI as lintCfn } from '../../scripts/lint-cfn';
import { CLI as ops } from '../../scripts/ops';
import { CLI as rebuild } from '../../scripts/rebuild-read-models';
import { CLI as replay } from '../../scripts/replay-events';
import { CLI as aggregate } from '../../scripts/show-aggregate';
import { CLI as smoke } from '../../scripts/smoke';
import { CLI as soak } from '../../scripts/soak';
import { CLI as verifyAccess } from '../../scripts/verify-access';

/** Every TypeScript entry point that package.json runs, with the command line it declares. */
const COMMANDS: Record<string, Command> = {
  'scripts/demo.ts': demo,
  'scripts/bench.ts': bench,
  'scripts/soak.ts': soak,
  'scripts/dlq.ts': dlq,
  'scripts/smoke.ts': smoke,
  'scripts/ops.ts': ops,
  'scripts/faults.ts': faults,
  'scripts/lint-cfn.ts': lintCfn,
  'scripts/rebuild-read-models.ts': rebuild,
  'scripts/replay-events.ts': replay,
  'scripts/show-aggregate.ts': aggregate,
  'scripts/cost.ts': cost,
  'scripts/asyncapi.ts': asyncapi,
  'scripts/verify-access.ts': verifyAccess,
  'localstack/engine.ts': engine,
  'localstack/deploy.ts': deploy,
};

describe('every command has one shape', () => {
  it('covers every TypeScript entry point in package.json "scripts"', () => {
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    const entryPoints = new Set(
      Object.values(scripts).flatMap((line) => [...line.matchAll(/\btsx (\S+\.ts)\b/g)].map((m) => m[1])),
    );
    expect([...entryPoints].sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  describe.each(Object.entries(COMMANDS))('%s', (_file, cli) => {
    it('names every option of its parseArgs config, and --help, in its usage', () => {
      const options = Object.entries(cli.config.options ?? {});
      expect(options.map(([name]) => name)).toContain('help');
      for (const [name, option] of options) {
        // An option must be there as itself, not only as the start of a longer one.
        expect(cli.usage, `--${name}`).toMatch(new RegExp(`--${name}(?![\\w-])`));
        if (option.short) expect(cli.usage, `-${option.short}`).toMatch(new RegExp(`(^|[\\s,])-${option.short}\\b`));
      }
    });

    it('names the stack --stack, as every other command does (no second spelling such as --stack-name)', () => {
      const names = Object.keys(cli.config.options ?? {});
      expect(names.filter((name) => name !== 'stack' && /stack/i.test(name))).toEqual([]);
      expect(cli.usage).not.toMatch(/--stack-/);
    });

    it('says what it does, where it runs and what it writes', () => {
      expect(cli.usage).toMatch(/^usage: /);
      expect(cli.usage).toMatch(/AWS_ENDPOINT_URL|--target|no engine/);
      expect(cli.usage).toContain('what it writes');
      expect(cli.helpCommand).toMatch(/ --help$/);
    });
  });
});

describe('parseCommandLine', () => {
  const cli = command({
    name: 'example',
    helpCommand: 'npm run example -- --help',
    usage: 'usage: npm run example -- [--count N]',
    config: { options: { count: { type: 'string', default: '3' }, help: HELP_OPTION } },
  });
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('returns the typed values', () => {
    expect(parseCommandLine(cli, ['--count', '5'])?.values).toEqual({ count: '5', help: false });
    expect(parseCommandLine(cli, [])?.values.count).toBe('3');
  });

  it('prints the usage for --help and -h and stops with exit code 0', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    for (const flag of ['--help', '-h']) {
      process.exitCode = undefined;
      expect(parseCommandLine(cli, ['--count', '5', flag])).toBeUndefined();
      expect(process.exitCode).toBe(0);
    }
    expect(log).toHaveBeenCalledWith(cli.usage);
  });

  it('refuses an unknown option, a missing value or a stray argument with exit code 2, pointing at --help', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const argv of [['--cuont', '5'], ['--count'], ['stray']]) {
      process.exitCode = undefined;
      expect(parseCommandLine(cli, argv), argv.join(' ')).toBeUndefined();
      expect(process.exitCode).toBe(2);
      const message = String(error.mock.lastCall?.[0]);
      expect(message).toMatch(/^example: /);
      expect(message).toContain('See: npm run example -- --help');
    }
    expect(String(error.mock.calls[0][0])).toContain("'--cuont'");
  });
});
