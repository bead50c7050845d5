// Vitest for @chorus/cli. Without a root here Vitest would take the repo's
// vite.config.ts (root apps/web). The process tests (real tracker, real
// WebRTC, child processes killed with SIGKILL) run one file at a time: the
// box is small and shared, and ICE under load turns into flakes.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
