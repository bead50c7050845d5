// The shared group-session scenarios (test/scenarios) over real processes,
// real WebRTC data channels and a real tracker: the same assertions that run
// over the in-memory network, now with sockets, ICE and SIGKILL underneath.

import { afterEach, beforeEach, describe, it } from 'vitest';
import type { RunningTracker } from '@chorus/tracker';
import { ALL_SCENARIOS } from '../scenarios/group-scenarios.ts';
import { processNetwork } from './process-network.ts';
import { startIntegrationTracker } from './cluster.ts';

/** One seed by default: every run spawns real processes on shared cores. SEEDS=1,2 for more. */
const seeds = process.env['SEEDS'] ? process.env['SEEDS'].split(',').map(Number) : [1];

/**
 * By default only the scenarios five-peers.test.ts does not already cover
 * over WebRTC (it runs total/fifo bursts, a crash, a total-order late joiner
 * and a link drop with five peers), to keep the suite within its time budget
 * on shared cores. WEBRTC_SCENARIOS=all runs every shared scenario here too.
 */
const NOT_COVERED_ELSEWHERE = [
  'late joiner (fifo) gets history then takes part',
  'a link drops and comes back (fifo): gap resent',
  'hostile frames are rejected and counted',
];
const scenarios = Object.entries(ALL_SCENARIOS).filter(
  ([name]) => process.env['WEBRTC_SCENARIOS'] === 'all' || NOT_COVERED_ELSEWHERE.includes(name),
);
if (
  scenarios.length !==
  (process.env['WEBRTC_SCENARIOS'] === 'all' ? Object.keys(ALL_SCENARIOS).length : NOT_COVERED_ELSEWHERE.length)
) {
  // A renamed scenario must not silently drop out of the WebRTC run.
  throw new Error(`scenario names changed: ${Object.keys(ALL_SCENARIOS).join(' | ')}`);
}
console.log(
  `WebRTC scenarios: running ${scenarios.length} of ${Object.keys(ALL_SCENARIOS).length} (WEBRTC_SCENARIOS=all for every one; the rest run with five peers in five-peers.test.ts)`,
);

// A fresh tracker per scenario, as the in-memory network has: scenarios name
// their groups by seed and ordering, and those names are unique per tracker.
let tracker: RunningTracker;
beforeEach(async () => {
  tracker = await startIntegrationTracker();
});
afterEach(async () => {
  await tracker?.close();
});

describe.each(scenarios)('%s (WebRTC, child processes)', (_name, scenario) => {
  it.each(seeds)(
    'seed %i',
    async (seed) => {
      const net = processNetwork(tracker.url, `webrtc seed ${seed}`);
      try {
        await scenario(net, seed);
      } finally {
        await net.close();
      }
    },
    90_000,
  );
});
