#!/usr/bin/env node
/**
 * Adds the lockfile entries npm leaves out for other platforms' optional
 * packages (npm/cli#8320). When the registry a lockfile was made against serves
 * only this platform's binaries (as this project's build machines' registry
 * does), `npm install` records just those, and `npm ci` then refuses the
 * lockfile ("Missing: @esbuild/darwin-arm64@… from lock file"). Each missing
 * optional dependency gets an entry with its exact version, marked optional, so
 * `npm ci` accepts the lockfile and, on each platform, installs only what that
 * platform can use.
 *
 *   node tools/complete-lockfile.mjs   # after any npm install that changed the lockfile
 */
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;
/** Where node's resolution from `location` finds `name` in the lockfile, if anywhere. */
function resolveFrom(location, name) {
  let base = location;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

for (const [location, entry] of Object.entries({ ...packages })) {
  const optional = Object.entries(entry.optionalDependencies ?? {});
  // The platform package npm did record shows where this parent's platform packages live.
  const present = optional.map(([name]) => resolveFrom(location, name)).find(Boolean);
  const presentName = optional.find(([name]) => resolveFrom(location, name) === present)?.[0];
  const dir = present ? present.slice(0, present.length - presentName.length) : 'node_modules/';
  for (const [name, range] of optional) {
    const found = resolveFrom(location, name);
    const exact = /^\d+\.\d+\.\d+(-[\w.]+)?$/.test(range);
    // Platform packages are pinned exactly; a ranged optional dependency is an ordinary one npm resolved.
    if (!exact || (found && packages[found].version === range)) continue;
    const target = found ? `${location}/node_modules/${name}` : `${dir}${name}`;
    if (packages[target]) continue;
    packages[target] = { version: range, ...(entry.dev ? { dev: true } : {}), optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
