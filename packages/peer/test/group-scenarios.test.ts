// The shared group-session scenarios over the in-memory network, several
// seeds each. The same functions run over WebRTC + a real tracker in
// test/integration. A failure message names the seed: rerun with SEEDS=<n>.
import { describe, it } from 'vitest';
import { ALL_SCENARIOS } from './scenarios/group-scenarios.ts';
import { memoryNetwork } from './scenarios/memory-network.ts';

/** Few seeds by default (shared CI cores); SEEDS=1,2,3 or SEED_COUNT=50 for a deeper run. */
const seeds = process.env['SEEDS']
  ? process.env['SEEDS'].split(',').map(Number)
  : Array.from({ length: Number(process.env['SEED_COUNT'] ?? 3) }, (_, i) => i + 1);

describe.each(Object.entries(ALL_SCENARIOS))('%s', (_name, scenario) => {
  it.each(seeds)('seed %i', async (seed) => {
    const net = await memoryNetwork(seed);
    try {
      await scenario(net, seed);
    } finally {
      await net.close();
    }
  });
});
