// The shared group-session scenarios (test/scenarios) over real processes,
// real WebRTC data channels and a real tracker: the same assertions that run
// over the in-memory network, now with sockets, ICE and SIGKILL underneath.

import { afterEach, beforeEach, describe, it } from 'vitest';
import { startTracker } from '@chorus/tracker';
import type { RunningTracker } from '@chorus/tracker';
import { ALL_SCENARIOS } from '../scenarios/group-scenarios.ts';
import { processNetwork } from './process-network.ts';
import { INTEGRATION_TRACKER_TIMERS } from './tracker-timers.ts';

/** One seed by default: every run spawns real processes on shared cores. SEEDS=1,2 for more. */
const seeds = process.env['SEEDS'] ? process.env['SEEDS'].split(',').map(Number) : [1];

// A fresh tracker per scenario, as the in-memory network has: scenarios name
// their groups by seed and ordering, and those names are unique per tracker.
let tracker: RunningTracker;
beforeEach(async () => {
  tracker = await startTracker({ port: 0, host: '127.0.0.1', logLevel: 'silent', webDist: '/nonexistent', ...INTEGRATION_TRACKER_TIMERS });
});
afterEach(async () => {
  await tracker?.close();
});

describe.each(Object.entries(ALL_SCENARIOS))('%s (WebRTC, child processes)', (_name, scenario) => {
  it.each(seeds)('seed %i', async (seed) => {
    const net = processNetwork(tracker.url, `webrtc seed ${seed}`);
    try {
      await scenario(net, seed);
    } finally {
      await net.close();
    }
  }, 90_000);
});
