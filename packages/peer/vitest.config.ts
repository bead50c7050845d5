// Vitest for @chorus/peer. Without this file Vitest would pick up the root
// vite.config.ts, whose root is apps/web, and find no tests here.
//
// Two projects: `unit` (in-process, files in parallel) and `integration`
// (test/integration: child-process peers, real WebRTC, tracker and Redis
// processes). Integration files run one at a time and after the unit batch:
// each spawns up to six processes, and two of them at once on a shared
// 2-core box turns ICE and heartbeat timing into flakes.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    environment: 'node',
    // Scenario tests run several sessions over real timers; a hang should fail, not stall CI.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          // Process start-up, ICE and view changes under load: generous, a hang still fails (a child peer took over
          // 30 s to load in a clean-clone run on a slow 2-core VM at load 17).
          testTimeout: 180_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
