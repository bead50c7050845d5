// Playwright e2e suite: real tracker (serving the built app) + Debian's
// Chromium, one browser context per user, one page per tab.

import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath, freePort, repoRoot } from './support/environment.ts';
import { trackerEnv } from './support/tracker-settings.ts';

// Workers re-evaluate this file; the port chosen by the runner reaches them through the environment.
process.env.CHORUS_E2E_PORT ??= String(await freePort());
const port = Number(process.env.CHORUS_E2E_PORT);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './specs',
  // Every test runs several browsers with WebRTC on a 2-core machine shared with others.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  // Generous, no test asserts speed: on a slow 2-core VM (2 December 2026) a clean-clone run's tests took about
  // twice as long as elsewhere, and a three-user total-order test passed the old 90 s.
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  // One directory per shard when scripts/run-tests.mjs runs two side by side (Playwright empties it at the start).
  outputDir: process.env.CHORUS_E2E_OUTPUT ?? './test-results',
  use: {
    baseURL,
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: 'node scripts/build-web-if-needed.mjs && node --import tsx apps/tracker/src/main.ts',
    cwd: repoRoot,
    url: `${baseURL}/healthz`,
    env: trackerEnv(port),
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
