// Runs every workspace's tests in dependency order, keeps going after a
// failure so one run shows everything, and exits non-zero if any failed.
import { spawnSync } from 'node:child_process';

const suites = [
  ['protocol', 'packages/protocol'],
  ['tracker', 'apps/tracker'],
  ['peer', 'packages/peer'],
  ['web', 'apps/web'],
  ['e2e', 'e2e'],
];
const only = process.argv.slice(2);
const failed = [];
for (const [name, dir] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n=== ${name} (${dir}) ===`);
  const started = Date.now();
  const r = spawnSync('npm', ['run', 'test', '--if-present', '-w', dir], { stdio: 'inherit' });
  console.log(`=== ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`);
  if (r.status !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nFailed suites: ${failed.join(', ')}`);
  process.exit(1);
}
