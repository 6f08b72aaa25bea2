import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every relative link in the project's documentation points at a file that exists, and every `#anchor`
 * into a markdown file at one of its headings. The docs moved from one README into pages (issue 13), so a
 * link that was right in the README can be wrong from docs/; this catches it.
 *
 * Hand-written rather than a markdown parser (none is installed and the project's docs use only inline
 * links): fenced code blocks and inline code are skipped, so a `](x)` shown as code is not a link.
 * Anchors follow GitHub's heading ids (github-slugger's rule: lower case, drop everything but letters,
 * marks, numbers, `_`, `-` and spaces, spaces to `-`, a repeated heading gets `-1`, `-2`…).
 */

const ROOT = resolve(__dirname, '..', '..');

/** The documentation this project keeps: README.md, docs/**, localstack/README.md, BENCHMARKS.md. */
function docFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  return [
    join(ROOT, 'README.md'),
    ...walk(join(ROOT, 'docs')),
    join(ROOT, 'localstack', 'README.md'),
    join(ROOT, 'BENCHMARKS.md'),
  ];
}

/** The text with fenced code blocks blanked out (line count kept, so line numbers stay right). */
function withoutFences(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker?.startsWith(fence)) fence = undefined;
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    return line;
  });
}

/** GitHub's id for a heading's text. */
function slug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading counts by its text
    .replace(/[`*]/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown text defines through its headings. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of withoutFences(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface BrokenLink {
  file: string;
  line: number;
  link: string;
  problem: string;
}

/**
 * The broken relative links of one markdown file. `read` returns a file's text (undefined when it does
 * not exist), so the rule can be shown failing on text that is not in the tree.
 */
function brokenLinks(
  file: string,
  markdown: string,
  exists: (path: string) => boolean = existsSync,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): BrokenLink[] {
  const broken: BrokenLink[] = [];
  withoutFences(markdown).forEach((raw, index) => {
    const line = raw.replace(/`[^`]*`/g, '``');
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const link = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto: …: not a file
      const [pathPart, anchor] = link.split('#', 2) as [string, string | undefined];
      const target = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
      const at = { file, line: index + 1, link };
      if (!exists(target)) {
        broken.push({ ...at, problem: `no such file: ${relative(ROOT, target)}` });
        continue;
      }
      const targetText = pathPart === '' ? markdown : target.endsWith('.md') ? read(target) : undefined;
      if (anchor && targetText !== undefined && !anchorsOf(targetText).has(anchor)) {
        broken.push({ ...at, problem: `no heading #${anchor} in ${relative(ROOT, target)}` });
      }
    }
  });
  return broken;
}

describe('documentation links', () => {
  it('every relative link of README.md, docs/, localstack/README.md and BENCHMARKS.md resolves', () => {
    const files = docFiles();
    expect(files.length).toBeGreaterThan(4);
    const broken = files.flatMap((f) => brokenLinks(f, readFileSync(f, 'utf8')));
    const report = broken.map((b) => `${relative(ROOT, b.file)}:${b.line} ${b.link}: ${b.problem}`);
    expect(report).toEqual([]);
  });

  it('finds a missing file, a missing heading and a link written from the wrong folder', () => {
    const page = join(ROOT, 'docs', 'page.md');
    const texts: Record<string, string> = {
      [join(ROOT, 'docs', 'other.md')]: '# Other\n\n## The soak run (`npm run soak`)\n',
      [join(ROOT, 'BENCHMARKS.md')]: '# Benchmarks\n',
    };
    const exists = (p: string) => p in texts || p === page;
    const read = (p: string) => texts[p] ?? '';
    const markdown = [
      '# Page',
      'fine: [soak](other.md#the-soak-run-npm-run-soak), [top](#page), [web](https://aws.amazon.com/x)',
      'wrong folder: [figures](BENCHMARKS.md)',
      'no such heading: [soak](other.md#soak)',
      '```',
      'in a code block, not a link: [x](missing.md)',
      '```',
      'inline code, not a link: `[x](missing.md)`',
    ].join('\n');
    expect(brokenLinks(page, markdown, exists, read).map((b) => [b.line, b.link, b.problem])).toEqual([
      [3, 'BENCHMARKS.md', 'no such file: docs/BENCHMARKS.md'],
      [4, 'other.md#soak', 'no heading #soak in docs/other.md'],
    ]);
  });

  it('makes GitHub heading ids', () => {
    expect(slug('The soak run (`npm run soak`)')).toBe('the-soak-run-npm-run-soak');
    expect(slug('Access check (`npm run verify:access`)')).toBe('access-check-npm-run-verifyaccess');
    expect(slug('How "nothing is lost, nothing happens twice" is kept')).toBe(
      'how-nothing-is-lost-nothing-happens-twice-is-kept',
    );
    expect([...anchorsOf('# A\n## Notes\n```\n# not a heading\n```\n## Notes\n')]).toEqual(['a', 'notes', 'notes-1']);
  });
});
