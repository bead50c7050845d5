import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Without a root here Vitest would take the repo's vite.config.ts (root apps/web).
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    // Real servers and sockets: generous per-test ceiling, but no test asserts speed.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores shared with other engineers: run files two at a time at most.
    maxWorkers: 2,
  },
});
