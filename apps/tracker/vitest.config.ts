import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Without a root here Vitest would take the repo's vite.config.ts (root apps/web).
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    // Real servers and sockets: generous per-test ceiling, but no test asserts speed. A clean-clone run on a
    // 2-core VM where every suite took about twice as long as on the machine these were first set on (2 December
    // 2026) had scrypt checks, an 11 000-event flood and tracker processes starting under tsx take over 30 s.
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // Two cores shared with other engineers: run files two at a time at most.
    maxWorkers: 2,
  },
});
