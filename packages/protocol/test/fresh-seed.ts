// Seeds for the simulation suites. A fixed seed checks the same scenarios on
// every run and finds nothing new; these suites draw a fresh seed on each run
// and print it, so every CI run explores scenarios no run has tried before and
// any failure can be replayed: `SIM_SEED=<n> npx vitest run test/<file>`.

import { randomInt } from 'node:crypto';

/** The largest seed handed out: fast-check takes 32-bit seeds, and seed ranges are added to it. */
const MAX_SEED = 2 ** 31 - 1_000_000;

/**
 * `SIM_SEED` from the environment when set (a replay), otherwise a random
 * seed; either way printed with the file that drew it.
 */
export function freshSeed(file: string): number {
  const raw = process.env.SIM_SEED;
  let seed: number;
  if (raw === undefined || raw === '') {
    seed = randomInt(1, MAX_SEED);
  } else {
    seed = Number(raw);
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new Error(`SIM_SEED must be a whole number from 0 to ${MAX_SEED}, got ${JSON.stringify(raw)}`);
    }
  }
  console.log(`${file}: SIM_SEED=${seed} (replay: SIM_SEED=${seed} npx vitest run test/${file})`);
  return seed;
}
