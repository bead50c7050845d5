// Tests of the bench's own pure parts (statistics, bodies, the report). The
// benchmarks themselves never run under Vitest: speed is measured, not asserted.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/**/*.test.ts'] },
});
