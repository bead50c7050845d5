// Vitest for @chorus/peer. Without this file Vitest would pick up the root
// vite.config.ts, whose root is apps/web, and find no tests here.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Scenario tests run several sessions over real timers; a hang should fail, not stall CI.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
