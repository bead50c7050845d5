// Vitest for @chorus/protocol. Without this file Vitest would pick up the root
// vite.config.ts, whose root is apps/web, and find no tests here.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The simulation suites are split into several files so two workers run
    // them side by side; each file runs a few hundred to a thousand seeded scenarios, which
    // takes tens of seconds on a busy 2-core machine. A hang should fail, not stall CI.
    // Vitest's default on 2 cores is one worker (cores - 1): the suite is pure CPU and the
    // longest of `npm test`'s lanes, so it takes two.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
});
