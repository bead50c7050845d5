// Seeded simulation of a tracker on the in-memory store that restarts
// (PROTOCOL.md §2, Restore): it forgets every group, each member re-joins with
// a new session from its store after its own delay, the first one back
// restores the group with views above its last one and founds it alone, the
// others join it; joins of anyone else find no group until then. The default
// mix keeps its seeds (its `tracker-restart` is a tracker that keeps state, as
// with Redis); this suite adds the forgetting restart to the same mix.

import { describe, expect, it } from 'vitest';
import { correctEngine } from '../sim/default-engine.ts';
import { forgettingBounds, toleratedByKnownGaps } from '../sim/known-gaps.ts';
import { checkScenarios } from '../sim/property.ts';
import type { Scenario } from '../sim/scenario.ts';
import { runScenario } from '../sim/simulator.ts';
// Seeds pinned before joiners asked a witness (PROTOCOL.md §7.3 "Corroborated") whose runs its frames
// move replay as found, with `UNCORROBORATED` (sim/session-variant.ts).
import { UNCORROBORATED } from '../sim/session-variant.ts';

const RUNS = 500;
const SUITE_TIMEOUT_MS = 600_000;
/** Fixed so every run checks the same scenarios; change it to explore new ones. */
const FC_SEED = 1616;

describe('simulation: an in-memory tracker restarts and forgets the groups', () => {
  it('a member whose own messages were not delivered here yet when it re-joins goes on above them (no seq sent twice)', () => {
    // a1 sent m1-m4 in view 3; b1 and c1 delivered them, a1 was still flushing for view 4 when the
    // tracker forgot the group. Its store had none of them, so its new session (resumed from the
    // store alone) sent a new m under seq 1 again: S1, and every store that had the first kept it.
    const scenario: Scenario = {
      mode: 'total',
      size: 3,
      seed: 2147483600,
      steps: [
        { gap: 0, action: { k: 'tab-pair', node: 0 } },
        { gap: 106, action: { k: 'send-groups', node: 0 } },
        { gap: 177, action: { k: 'send', node: 0, count: 3 } },
        { gap: 127, action: { k: 'tab-pair', node: 0 } },
        { gap: 137, action: { k: 'tracker-forgets' } },
        { gap: 67, action: { k: 'send-groups', node: 0 } },
      ],
    };
    const r = runScenario(scenario, { factory: correctEngine, tolerate: [], trace: true });
    expect(r.violation, `npm run sim -- --scenario '${JSON.stringify(scenario)}'`).toBeNull();
    expect(r.trace.some((l) => l.includes('tracker restarts on the in-memory store'))).toBe(true);
  });

  it('a second forgetting restart before every member is back does not name two incarnations alike (restore offset)', () => {
    // b1 restored g-sim-2 as view 1027 (2 + RESTORE_VIEW_MARGIN); the tracker forgot it again
    // before a1 was back, and a1, whose last view was still 2, restored it as view 1027 too: two
    // incarnations named 1027, whose total-order keys collided (S4). Each restorer now adds a
    // random offset below RESTORE_VIEW_SPREAD (membership.restoreViewFloor).
    const scenario: Scenario = {
      mode: 'fifo',
      groups: ['fifo', 'total'],
      size: 2,
      seed: 757254652,
      steps: [
        { gap: 0, action: { k: 'tracker-forgets' } },
        { gap: 0, action: { k: 'crash-after', node: 0, frames: 6, send: true } },
        { gap: 316, action: { k: 'link-fail', a: 0, b: 0, downMs: 1 } },
        { gap: 118, action: { k: 'send-all', group: 1 } },
        { gap: 80, action: { k: 'tracker-forgets' } },
        { gap: 269, action: { k: 'send-groups', node: 0 } },
        { gap: 0, action: { k: 'send', node: 1, count: 1, group: 2 } },
      ],
    };
    const r = runScenario(scenario, { factory: correctEngine, tolerate: [], trace: true });
    expect(r.violation, `npm run sim -- --scenario '${JSON.stringify(scenario)}'`).toBeNull();
    expect(r.trace.filter((l) => l.includes('tracker restarts on the in-memory store')).length).toBe(2);
  });

  it('a frame an earlier session sent for a higher view id does not wait for good after a second restart', () => {
    // 333-a1 restored g-sim as view 742050 after the first restart; 2f1-b1, whose last view was 4,
    // restored it as 533078 after the second. a3a-c1 had joined the new incarnation when an HWM of
    // 333-a1's old session (view 742051) reached it: a view id above its own, so it waited in the
    // buffer for a view this incarnation would not issue in ~200 000 view changes (L2). 333-a1's
    // new session's first frame in view 533080 shows the old one's frames are stale: dropped.
    const scenario: Scenario = {
      mode: 'fifo',
      groups: ['fifo'],
      size: 4,
      seed: 1606418391,
      steps: [
        { gap: 78, action: { k: 'tracker-forgets' } },
        { gap: 0, action: { k: 'crash-after', node: 11, frames: 1, send: false } },
        { gap: 15, action: { k: 'send-all', group: 1 } },
        { gap: 265, action: { k: 'link-fail', a: 0, b: 0, downMs: 1 } },
        { gap: 340, action: { k: 'crash-after', node: 0, frames: 2, send: false } },
        { gap: 193, action: { k: 'tracker-forgets' } },
        { gap: 0, action: { k: 'send', node: 0, count: 1 } },
      ],
    };
    const r = runScenario(scenario, { factory: correctEngine, tolerate: [], trace: true });
    expect(r.violation, `npm run sim -- --scenario '${JSON.stringify(scenario)}'`).toBeNull();
    expect(r.trace.filter((l) => l.includes('tracker restarts on the in-memory store')).length).toBe(2);
  });

  it('after a second forgetting restart a re-joined member is not handed an earlier-incarnation message below a floor (store floors)', () => {
    // 146-d1 sent 146-d1:1 in view 3 of g-sim-1; it reached nobody, 189-c1 restored the group
    // (422810) and 146-d1 re-joined above it (floor=1), its 146-d1:2 delivered at 189-c1. After the
    // second restart 146-d1 restored from its store; 189-c1 re-joined saying it held nothing of
    // 146-d1 (its store's run from seq 1 stopped at once), and the history page handed it 146-d1:1,
    // delivered after seq 2 of that sender (S3). Its group record now names the floor its engine
    // skipped, so it says it holds 146-d1 up to seq 2 (PROTOCOL.md §4, `floors`). Since joiners rank
    // sponsors by SHA-256(joiner ‖ member) (§7.2) the found seed's first joins go otherwise; simulator
    // seed 667 (same steps) builds it again: 1bc-c1's 1bc-c1:1 of view 3 reaches nobody, cbe-d1
    // restores (251288), and after the second restart cbe-d1 says it holds 1bc-c1 up to seq 2.
    const scenario: Scenario = {
      mode: 'total',
      groups: ['fifo'],
      size: 4,
      seed: 667,
      steps: [
        { gap: 63, action: { k: 'tracker-forgets' } },
        { gap: 16, action: { k: 'crash-after', node: 9, frames: 0, send: false } },
        { gap: 47, action: { k: 'send-all', group: 1 } },
        { gap: 265, action: { k: 'link-fail', a: 0, b: 1, downMs: 1 } },
        { gap: 340, action: { k: 'crash-after', node: 0, frames: 1, send: false } },
        { gap: 193, action: { k: 'tracker-forgets' } },
        { gap: 0, action: { k: 'send-groups', node: 0 } },
      ],
    };
    const r = runScenario(scenario, { factory: correctEngine, tolerate: [], trace: true, session: UNCORROBORATED });
    expect(r.violation, `npm run sim -- --scenario '${JSON.stringify(scenario)}'`).toBeNull();
    expect(r.trace.some((l) => l.includes('1bc-c1 -> cbe-d1 @1 DATA 1bc-c1:1 v3'))).toBe(true);
    expect(
      r.trace.some((l) => l.includes('cbe-d1 -> 1bc-c1 @1 HISTORY-REQ 1 after the start have {"1bc-c1":3,"cbe-d1":2}')),
    ).toBe(true);
  });

  it('a member that restored the group alone over an own seq it sent but never stored is not handed that seq below later ones (founder floors)', () => {
    // `npm run sim -- --seeds 3000 --forgets`, seed 512: 541-b1 sent 541-b1:1 in view 5 and the tracker forgot
    // the group before it delivered it; it restored the group alone (its resume point above the seq it sent),
    // sent 541-b1:2-4 there, and re-joined the incarnation the others went on in, where 541-b1:1 had been
    // delivered: its store held 2-4 only, the history handed it 1 after 4 (S3). A founder reads its store
    // too, so its record names the floor its engine counted without storing.
    const scenario: Scenario = {
      mode: 'total',
      groups: ['fifo'],
      size: 5,
      seed: 2147483641,
      steps: [
        { gap: 398, action: { k: 'send-all' } },
        { gap: 1, action: { k: 'send', node: 0, count: 3, group: 2 } },
        { gap: 0, action: { k: 'send', node: 0, count: 2, group: 1 } },
        { gap: 122, action: { k: 'tracker-forgets' } },
        { gap: 2, action: { k: 'link-fail', a: 0, b: 1, downMs: 2084, group: 1 } },
        { gap: 187, action: { k: 'send', node: 11, count: 3, group: 2 } },
        { gap: 1, action: { k: 'tracker-forgets', group: 2 } },
        { gap: 8, action: { k: 'send', node: 12, count: 2, group: 2 } },
      ],
    };
    const r = runScenario(scenario, { factory: correctEngine, tolerate: [], trace: true, session: UNCORROBORATED });
    expect(r.violation, `npm run sim -- --scenario '${JSON.stringify(scenario)}'`).toBeNull();
    expect(r.trace.some((l) => l.includes('541-b1 asks to join g-sim showing 3 stored messages'))).toBe(true);
  });

  it("a crashed peer's frame of a later view, from an earlier incarnation's session, is dropped once a view without it is installed", () => {
    // 2c8-c1's DATA of view 222767 (the incarnation it restored first) reached b6b-a1's next session, which
    // joined the incarnation b3b-d1 restored at 179890: a higher view id, buffered. 2c8-c1 re-joined, crashed
    // before it sent a frame of a view b6b-a1 installed (which drops such frames) and was removed: the DATA
    // waited for good (L2). Installing a view without the peer drops them (dropGoneFuture).
    const scenario: Scenario = {
      mode: 'fifo',
      groups: ['fifo'],
      size: 5,
      seed: 2147483628,
      steps: [
        { gap: 4, action: { k: 'tracker-forgets' } },
        { gap: 79, action: { k: 'crash-after', node: 6, frames: 0, send: false } },
        { gap: 0, action: { k: 'send-all', group: 1 } },
        { gap: 265, action: { k: 'link-fail', a: 5, b: 0, downMs: 597 } },
        { gap: 298, action: { k: 'crash-after', node: 0, frames: 4, send: false } },
        { gap: 193, action: { k: 'tracker-forgets' } },
        { gap: 235, action: { k: 'send-groups', node: 0 } },
      ],
    };
    const r = runScenario(scenario, { factory: correctEngine, tolerate: [], trace: true, session: UNCORROBORATED });
    expect(r.violation, `npm run sim -- --scenario '${JSON.stringify(scenario)}'`).toBeNull();
    expect(r.trace.some((l) => l.includes('2c8-c1 -> b6b-a1 @0 DATA 2c8-c1:1 v222767'))).toBe(true);
    expect(r.trace.filter((l) => l.includes('tracker restarts on the in-memory store')).length).toBe(2);
  });

  it('re-joiners whose only member with state was dropped for an unbacked count ask it again once the old member left to ask is silent', () => {
    // Found by this suite's property (fast-check seed 1616) once joiners ranked sponsors by SHA-256(joiner ‖
    // member): after the forgetting restart 419-a1 restored the group and handed f20-b1, ba8-c1 and 2b3-d1
    // a state counting 419-a1:3 and f20-b1:2 without their heads (its resume floors, PROTOCOL.md §4
    // "Heads"); all three dropped it, and each had another old member present that was itself still
    // joining, so none took 419-a1 at its word (`pardon`) and they asked each other for good (L2). Now
    // a joiner whose only old member left to ask is silent asks the unbacked one again (join-sync.ts `due`).
    const scenario: Scenario = {
      mode: 'total',
      size: 3,
      seed: 12,
      steps: [
        { gap: 0, action: { k: 'send-groups', node: 0 } },
        { gap: 370, action: { k: 'tracker-restart' } },
        { gap: 255, action: { k: 'send-all' } },
        { gap: 171, action: { k: 'tab-pair', node: 0 } },
        { gap: 52, action: { k: 'tracker-forgets' } },
        { gap: 343, action: { k: 'join', send: 1 } },
        { gap: 24, action: { k: 'reload', node: 5, samePeer: true } },
      ],
    };
    const r = runScenario(scenario, {
      factory: correctEngine,
      tolerate: toleratedByKnownGaps(),
      trace: true,
      session: UNCORROBORATED,
    });
    expect(r.violation, `npm run sim -- --scenario '${JSON.stringify(scenario)}'`).toBeNull();
    expect(r.trace.some((l) => l.includes('f20-b1@0 problem bad-state (remote): Sponsor 419-a1 dropped'))).toBe(true);
    for (const joiner of ['f20-b1', 'ba8-c1'])
      expect(r.trace.some((l) => l.includes(`${joiner}@0 adopts the state of view 518612 from 419-a1`))).toBe(true);
    expect(r.trace.some((l) => l.includes('2b3-d1@0 adopts the state of view 518612'))).toBe(true);
  });

  it(
    `keeps every guarantee on ${RUNS} generated scenarios, both orderings, 1-5 members`,
    () => {
      let twice = 0;
      const t = checkScenarios({
        factory: correctEngine,
        ...forgettingBounds(),
        tolerate: toleratedByKnownGaps(),
        numRuns: RUNS,
        seed: FC_SEED,
        // Every run is taken, however many forgetting restarts it has; this only counts those with two or more.
        where: (s) => {
          if (s.steps.filter((x) => x.action.k === 'tracker-forgets').length >= 2) twice++;
          return true;
        },
      });
      console.log(
        `tracker forgets: ${t.scenarios} scenarios (${twice} with two or more forgetting restarts), ${t.steps} steps, ${t.messages} messages, ${t.deliveries} deliveries, ${t.views} views, ${t.tolerated} tolerated known-gap violations; actions ${JSON.stringify(t.byAction)}`,
      );
      expect(t.scenarios).toBe(RUNS);
      expect(t.byAction['tracker-forgets'] ?? 0).toBeGreaterThan(RUNS / 5);
      expect(twice).toBeGreaterThan(RUNS / 20);
      expect(t.messages).toBeGreaterThan(RUNS);
    },
    SUITE_TIMEOUT_MS,
  );
});
