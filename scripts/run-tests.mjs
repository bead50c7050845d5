// Runs every workspace's tests in dependency order, keeps going after a
// failure so one run shows everything, and exits non-zero if any failed.
// Output is streamed as it comes; the test counts each runner prints
// (Vitest "Tests  N passed | M failed", Playwright "N passed", "M failed")
// are added up into one closing line: "tests: N passed, M failed".
import { spawn } from 'node:child_process';

const suites = [
  ['lint', '.'],
  ['protocol', 'packages/protocol'],
  ['tracker', 'apps/tracker'],
  ['peer', 'packages/peer'],
  ['cli', 'apps/cli'],
  ['web', 'apps/web'],
  ['bench', 'bench'],
  ['e2e', 'e2e'],
];

// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function countsIn(text) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = stripAnsi(raw);
    const vitest = /^\s*Tests\s+(.*)$/.exec(line);
    if (vitest) {
      passed += Number(/(\d+) passed/.exec(vitest[1])?.[1] ?? 0);
      failed += Number(/(\d+) failed/.exec(vitest[1])?.[1] ?? 0);
      skipped += Number(/(\d+) skipped/.exec(vitest[1])?.[1] ?? 0);
      continue;
    }
    // Playwright's summary lines: "  12 passed (1.2m)", "  1 failed", "  2 skipped", "  1 flaky"
    const pw = /^\s+(\d+) (passed|failed|skipped|flaky)\b/.exec(line);
    if (pw) {
      const n = Number(pw[1]);
      if (pw[2] === 'passed') passed += n;
      else if (pw[2] === 'skipped') skipped += n;
      else failed += n;
    }
  }
  return { passed, failed, skipped };
}

function run(dir) {
  return new Promise((resolve) => {
    // The root's own check (lint) runs at the root; every other suite is a workspace's `test` script.
    const args = dir === '.' ? ['run', 'lint'] : ['run', 'test', '--if-present', '-w', dir];
    const child = spawn('npm', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const only = process.argv.slice(2);
const failedSuites = [];
const total = { passed: 0, failed: 0, skipped: 0 };
for (const [name, dir] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n=== ${name} (${dir}) ===`);
  const started = Date.now();
  const { code, out } = await run(dir);
  const c = countsIn(out);
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
  console.log(
    `=== ${name}: ${code === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s (${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped) ===`,
  );
  if (code !== 0) failedSuites.push(name);
}
if (failedSuites.length > 0) console.error(`\nFailed suites: ${failedSuites.join(', ')}`);
// A suite can fail without a failed test (a crash, a type error): count it as one.
const failedCount = Math.max(total.failed, failedSuites.length);
console.log(
  `\ntests: ${total.passed} passed, ${failedCount} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`,
);
process.exit(failedSuites.length > 0 ? 1 : 0);
