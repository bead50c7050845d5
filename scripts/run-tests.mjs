// Runs every workspace's tests, keeps going after a failure so one run shows
// everything, and exits non-zero if any failed.
//
// The suites run in four lanes side by side, each lane in order: the CPU-bound
// checks (the protocol core and its simulator, the web app's checks, the
// terminal client, lint), the process tests (tracker, peer runtime: real
// sockets, WebRTC and timers), and the browser suite in two shards. On a 2-core
// machine one lane after another takes over 20 minutes; side by side about
// half. `CHORUS_TEST_LANES=1` runs them one after another. A suite's output is
// printed whole when it finishes (lanes would interleave it line by line); the
// test counts each runner prints (Vitest "Tests  N passed | M failed",
// Playwright "N passed", "M failed") are added up into one closing line:
// "tests: N passed, M failed".
import { spawn } from 'node:child_process';

// A suite: [name, workspace dir, options]. `args` go to the workspace's test script; `env` is added to its
// environment; `build` waits for the one web build all browser shards share (scripts/build-web-if-needed.mjs:
// two shards' servers building apps/web/dist at once would race).
const e2eShard = (i, n) => [
  `e2e-${i}`,
  'e2e',
  { args: [`--shard=${i}/${n}`], env: { CHORUS_E2E_OUTPUT: `test-results/shard-${i}` }, build: true },
];
const lanes = [
  // The simulator is pure CPU; the other suites mostly wait on timers, sockets and browsers. A clean-clone run on
  // 2 cores (2 December 2026) with three lanes took 1 084 s (protocol 1 046 + web + bench; tracker 95 + peer
  // 732 + cli 182; e2e 913 + lint 89), and 1 021 s once the simulator's sizes were cut (protocol alone 806 s,
  // one Vitest worker; e2e alone 941 s): the browser suite now runs as two shards in lanes of their own, and the
  // protocol suite's simulation files on two workers (packages/protocol/vitest.config.ts).
  // With those, on 2 December: protocol 674 + web 71 + lint 42, tracker 167 + peer 739 + cli 83 (the longest),
  // e2e-1 750 and e2e-2 523 s; the terminal client moved to the first lane.
  [
    ['protocol', 'packages/protocol'],
    ['web', 'apps/web'],
    ['cli', 'apps/cli'],
    ['lint', '.'],
    ['bench', 'bench'],
  ],
  [
    ['tracker', 'apps/tracker'],
    ['peer', 'packages/peer'],
  ],
  [e2eShard(1, 2)],
  [e2eShard(2, 2)],
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

let webBuild = null;
/** The web app built once for every browser shard; its output is printed if it fails (the shards would fail too). */
function buildWebOnce() {
  webBuild ??= new Promise((resolve) => {
    const child = spawn('node', ['scripts/build-web-if-needed.mjs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      if (code !== 0) console.error(`--- the web build failed (${code}) ---\n${out}`);
      resolve();
    });
  });
  return webBuild;
}

function run(dir, options = {}) {
  return new Promise((resolve) => {
    // The root's own check (lint) runs at the root; every other suite is a workspace's `test` script.
    const args =
      dir === '.'
        ? ['run', 'lint']
        : ['run', 'test', '--if-present', '-w', dir, ...(options.args ? ['--', ...options.args] : [])];
    const child = spawn('npm', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (streaming) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      if (streaming) process.stderr.write(d);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

function laneCount() {
  const raw = process.env.CHORUS_TEST_LANES;
  if (raw === undefined || raw === '') return lanes.length;
  if (raw !== '1' && raw !== String(lanes.length)) {
    console.error(
      `CHORUS_TEST_LANES must be 1 (one suite after another) or ${lanes.length}, got ${JSON.stringify(raw)}`,
    );
    process.exit(2);
  }
  return Number(raw);
}

const only = process.argv.slice(2);
const known = lanes.flat().map(([name]) => name);
// A suite's name, or its workspace's (`e2e` picks every browser shard).
const picked = ([name, dir]) => only.length === 0 || only.includes(name) || only.includes(dir.split('/').at(-1));
for (const name of only) {
  if (!lanes.flat().some(([n, dir]) => n === name || dir.split('/').at(-1) === name)) {
    console.error(`unknown suite ${JSON.stringify(name)}; the suites are ${known.join(', ')}`);
    process.exit(2);
  }
}
const chosen = lanes.map((lane) => lane.filter(picked)).filter((lane) => lane.length > 0);
const plan = laneCount() === 1 ? [chosen.flat()] : chosen;
// One lane streams its output as it comes; side by side, each suite's output is printed when it ends.
const streaming = plan.length === 1;
const failedSuites = [];
const total = { passed: 0, failed: 0, skipped: 0 };
const began = Date.now();

async function runLane(lane) {
  for (const [name, dir, options = {}] of lane) {
    if (options.build) await buildWebOnce();
    const started = Date.now();
    if (streaming) console.log(`\n=== ${name} (${dir}) ===`);
    else console.log(`--- ${name} (${dir}) started`);
    const { code, out } = await run(dir, options);
    if (!streaming) {
      console.log(`\n=== ${name} (${dir}) ===`);
      process.stdout.write(out);
    }
    const c = countsIn(out);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
    console.log(
      `=== ${name}: ${code === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s (${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped) ===`,
    );
    if (code !== 0) failedSuites.push({ name, out });
  }
}

/**
 * What a failed suite said about its failures, for the closing lines: CI logs
 * are often read from the end, where a suite printed minutes earlier is out of
 * sight. Vitest's "Failed Tests" section (or its FAIL / × lines), Playwright's
 * ✘ lines and numbered failure headers; at most `max` lines per suite.
 */
function failureLines(out, max = 60) {
  const lines = out.split('\n').map(stripAnsi);
  const section = lines.findIndex((l) => /Failed Tests? \d+/.test(l));
  if (section >= 0) return lines.slice(section, section + max);
  const marked = lines.filter((l) => /^\s*(FAIL\b|×|✘|\d+\) )|Error:/.test(l));
  return (marked.length > 0 ? marked : lines.slice(-20)).slice(0, max);
}

await Promise.all(plan.map(runLane));
for (const { name, out } of failedSuites) {
  console.error(`\n--- what ${name} said about its failures ---`);
  console.error(failureLines(out).join('\n'));
}
if (failedSuites.length > 0) console.error(`\nFailed suites: ${failedSuites.map((f) => f.name).join(', ')}`);
// A suite can fail without a failed test (a crash, a type error): count it as one.
const failedCount = Math.max(total.failed, failedSuites.length);
console.log(
  `\ntests: ${total.passed} passed, ${failedCount} failed${total.skipped ? `, ${total.skipped} skipped` : ''} ` +
    `in ${((Date.now() - began) / 1000).toFixed(1)} s, ${plan.length === 1 ? 'one suite after another' : `${plan.length} lanes`}`,
);
process.exit(failedSuites.length > 0 ? 1 : 0);
