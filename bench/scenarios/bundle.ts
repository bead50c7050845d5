// Scenario 7: what a first visit downloads. The initial JavaScript is every
// script index.html loads plus the chunks it modulepreloads; lazily imported
// chunks are counted separately. Sizes are deterministic: one measurement.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import type { BenchContext } from '../lib/context.ts';
import { checkTarget, ScenarioBuilder, type ScenarioReport } from '../lib/report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'apps/web/dist');
/** zlib's default level: what `gzip` and most servers' on-the-fly compression use. */
const GZIP_LEVEL = 6;

const gz = (buf: Buffer): number => gzipSync(buf, { level: GZIP_LEVEL }).length;

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });

/** Script srcs and modulepreload hrefs of index.html, resolved inside dist. */
export const initialScripts = (html: string): string[] => {
  const found = new Set<string>();
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)) if (m[1] !== undefined) found.add(m[1]);
  for (const m of html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*>/g)) {
    const href = /\bhref="([^"]+)"/.exec(m[0])?.[1];
    if (href !== undefined) found.add(href);
  }
  return [...found].filter((src) => !/^https?:/.test(src)).map((src) => join(DIST, src.replace(/^\.?\//, '')));
};

export const runBundle = async (ctx: BenchContext): Promise<ScenarioReport> => {
  const b = new ScenarioBuilder(
    'bundle',
    '7. Bundle size',
    ctx.mode,
    [
      { key: 'what', header: 'what', kind: 'text' },
      { key: 'files', header: 'files', kind: 'value', digits: 0 },
      { key: 'raw_bytes', header: 'raw bytes', kind: 'value', digits: 0 },
      { key: 'gzip_bytes', header: `gzip -${GZIP_LEVEL} bytes`, kind: 'value', digits: 0 },
    ],
    [
      `Read from apps/web/dist after \`npm run build:web\` (which rebuilds only when a source changed). Initial JS = the scripts index.html loads plus the chunks it modulepreloads, each gzipped on its own at level ${GZIP_LEVEL} (as a server compresses each response). Baseline: all JavaScript in dist, including chunks loaded later.`,
    ],
  );
  // build-web-if-needed rebuilds only when a source is newer than dist, so the figure is for the current code.
  const r = spawnSync('npm', ['run', 'build:web'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(join(DIST, 'index.html'))) {
    b.failRow(
      { what: 'initial JS' },
      `\`npm run build:web\` failed or produced no apps/web/dist/index.html (${(r.stderr || r.stdout || '').trim().split('\n').slice(-2).join(' ')})`,
    );
    return b.finish();
  }
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const initial = initialScripts(html).filter((p) => existsSync(p));
  const allJs = walk(DIST).filter((p) => p.endsWith('.js') || p.endsWith('.mjs'));
  const css = walk(DIST).filter((p) => p.endsWith('.css'));
  const sum = (files: readonly string[]): { raw: number; gzip: number } =>
    files.reduce(
      (a, f) => {
        const buf = readFileSync(f);
        return { raw: a.raw + buf.length, gzip: a.gzip + gz(buf) };
      },
      { raw: 0, gzip: 0 },
    );
  const i = sum(initial);
  const all = sum(allJs);
  const c = sum(css);
  b.rows.push({
    what: 'initial JS',
    files: initial.length,
    raw_bytes: i.raw,
    gzip_bytes: i.gzip,
    initial_js_gzip_bytes: i.gzip,
    initial_js_raw_bytes: i.raw,
  });
  b.rows.push({
    what: 'all JS in dist (baseline)',
    files: allJs.length,
    raw_bytes: all.raw,
    gzip_bytes: all.gzip,
    all_js_gzip_bytes: all.gzip,
  });
  b.rows.push({ what: 'CSS', files: css.length, raw_bytes: c.raw, gzip_bytes: c.gzip, css_gzip_bytes: c.gzip });
  b.notes.push(
    `Initial JS files: ${initial.map((p) => `${p.slice(DIST.length + 1)} (${gz(readFileSync(p))} B gzip)`).join(', ') || 'none found'}.`,
  );
  if (initial.length === 0) b.notes.push('index.html references no local script: check the build.');
  b.targets.push(checkTarget('initial JS ≤ 60 KB gzip', 'apps/web/dist', i.gzip / 1024, '<=', 60));
  return b.finish();
};
