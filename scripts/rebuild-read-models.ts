/**
 * `npm run rebuild -- [--target local|aws] [--segments N] [--keep] [--settle-seconds S]`
 *
 * Replays the whole event store into fresh read-model tables and checks that
 * they equal the live ones. Exits 1 on any difference or event-store problem.
 */
import { command, HELP_OPTION, isMain, parseCommandLine } from './lib/cli';
import { rebuildAndCompare } from './lib/rebuild-read-models/rebuild';
import { connectTarget, parseTarget, TARGET_OPTIONS, TARGET_USAGE } from './lib/target';

export const CLI = command({
  name: 'rebuild',
  helpCommand: 'npm run rebuild -- --help',
  usage: `usage: npm run rebuild -- [--target local|aws] [--stack NAME] [--segments N] [--keep] [--settle-seconds S]

Replays the whole event store into fresh read-model tables and checks that they equal the live
ones. Exit code 0 when they are equal, 1 on any difference or event-store problem, 2 for bad arguments.

options
${TARGET_USAGE}
  --segments N   parallel scan segments of the event store (default 4, 1 to 1000)
  --keep         keep the rebuilt tables for inspection (default: drop them at the end)
  --settle-seconds S
                 how long a difference is re-checked while live projections catch up (default 30)
  -h, --help     this text

what it writes
  one new table per read model, named <live table>-rebuild-<time>, dropped at the end unless --keep;
  the live tables and the event store are only read`,
  config: {
    options: {
      ...TARGET_OPTIONS,
      segments: { type: 'string', default: '4' },
      keep: { type: 'boolean', default: false },
      'settle-seconds': { type: 'string', default: '30' },
      help: HELP_OPTION,
    },
  },
});

async function main() {
  const args = parseCommandLine(CLI);
  if (!args) return;
  const { values } = args;
  const segments = Number(values.segments);
  const settleSeconds = Number(values['settle-seconds']);
  if (!Number.isInteger(segments) || segments < 1 || segments > 1000) {
    throw new Error(`--segments must be a whole number from 1 to 1000, got "${values.segments}"`);
  }
  if (!Number.isFinite(settleSeconds) || settleSeconds < 0) {
    throw new Error(`--settle-seconds must be a number ≥ 0, got "${values['settle-seconds']}"`);
  }
  const { sys, where } = await connectTarget(parseTarget(values.target), values.stack);
  console.log(`rebuild: replaying the event store of the ${where} into fresh read models`);
  const report = await rebuildAndCompare(sys, { segments, keep: values.keep, settleMs: settleSeconds * 1000 });
  console.log(
    `rebuild: ${report.events} events in ${report.totalSeconds.toFixed(1)} s ` +
      `(${report.eventsPerSecond.toFixed(0)} events/s; scan ${report.scanSeconds.toFixed(1)} s, write ${report.writeSeconds.toFixed(1)} s)`,
  );
  for (const c of report.comparisons) {
    for (const id of [...c.different, ...c.missingFromLive, ...c.extraInLive].slice(0, 10)) {
      console.log(`rebuild:   ${c.live}: ${id} differs`);
    }
  }
  if (report.keptTables.length) console.log(`rebuild: kept ${report.keptTables.join(', ')}`);
  console.log(report.equal ? 'rebuild: the rebuilt read models equal the live ones' : 'rebuild: MISMATCH (see above)');
  process.exitCode = report.equal ? 0 : 1;
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    console.error(`rebuild: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
