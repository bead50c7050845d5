// `npm start` runs this first: builds apps/web/dist when it is missing or
// older than anything it is built from, so a fresh checkout serves the app and
// an unchanged one starts at once. Exits non-zero when the build fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const builtMarker = join(root, 'apps/web/dist/index.html');
/** Everything the bundle is made of: the app, the packages it imports, the build config. */
const sources = [
  'apps/web/src',
  'apps/web/index.html',
  'apps/web/store-check.html',
  'apps/web/package.json',
  'packages/peer/src',
  'packages/peer/package.json',
  'packages/protocol/src',
  'packages/protocol/package.json',
  'vite.config.ts',
  'package-lock.json',
].map((p) => join(root, p));

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const builtAt = existsSync(builtMarker) ? statSync(builtMarker).mtimeMs : 0;
const sourcesAt = Math.max(...sources.map(newestMtime));
if (builtAt > 0 && builtAt >= sourcesAt) {
  console.log('[build-web] apps/web/dist is up to date.');
  process.exit(0);
}
console.log(
  builtAt === 0
    ? '[build-web] apps/web/dist is missing: building.'
    : '[build-web] sources changed since the last build: rebuilding.',
);
const r = spawnSync('npm', ['run', 'build', '-w', 'apps/web'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
