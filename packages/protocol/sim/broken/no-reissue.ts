// Broken on purpose: a member that re-joins under the same peer id ignores its session's offer to send
// again its own stored messages that the adopted state does not count (PROTOCOL.md §3.1 "Re-issue"): its
// floor passes them, as before re-issues, so a message it delivered locally while cut off (links down,
// then removed) stays on its own screen and the group never gets it. The checker's S3 refuses that jump
// over a seq the sender's store still shows (test/engine-regressions.test.ts, seed 502308280).

import { createEngine } from '../../src/ordering/create-engine.ts';
import type { EngineResult } from '../../src/ordering/engine.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import type { JoinerState } from '../../src/wire/frames.ts';
import type { EngineFactory } from '../engine-factory.ts';
import type { Scenario } from '../scenario.ts';

export class NoReissueEngine extends GroupEngine {
  override adoptJoinerState(state: JoinerState): EngineResult {
    return super.adoptJoinerState(state);
  }
}

export const noReissue: EngineFactory = (options) => createEngine(options, NoReissueEngine);

/**
 * The shape of seed 502308280 (sim-fifo-small; the default mix rarely makes it: a sender's DATA lost
 * to its own process restarting right after it delivered it locally, then a re-join under the same
 * peer id), with the simulator's randomness seeded by `seed`: about one seed in nine shows the loss.
 */
export const reissueScenario = (seed: number): Scenario => ({
  mode: 'fifo',
  size: 2,
  seed,
  steps: [
    { gap: 14, action: { k: 'link-fail', a: 0, b: 15, downMs: 1 } },
    { gap: 0, action: { k: 'send-groups', node: 15 } },
    { gap: 0, action: { k: 'reload', node: 3, samePeer: true } },
    { gap: 48, action: { k: 'crash-after', node: 0, frames: 1, send: false } },
    { gap: 237, action: { k: 'crash-after', node: 0, frames: 3, send: false } },
    { gap: 394, action: { k: 'send', node: 0, count: 1 } },
    { gap: 39, action: { k: 'send-all' } },
  ],
});
