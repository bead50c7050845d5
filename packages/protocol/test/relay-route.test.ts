// One end's relayed route (src/relay/relay-route.ts, PROTOCOL.md §1.6), the
// pure logic the peer runtime and the simulator share: a route lives only on
// fresh answers to our probes, a probe handed on twice is refused, losses
// through our relay past the bound make it bad for the pair.

import { describe, expect, it } from 'vitest';
import { asPeerId } from '../src/ids.ts';
import { RelayRoute } from '../src/relay/relay-route.ts';
import { readProbeBody } from '../src/wire/relay-frame.ts';

const [A, B, C, D] = ['pa', 'pb', 'pc', 'pd'].map(asPeerId) as [
  ReturnType<typeof asPeerId>,
  ReturnType<typeof asPeerId>,
  ReturnType<typeof asPeerId>,
  ReturnType<typeof asPeerId>,
];
const TIMES = { routeTtlMs: 1000, badGaps: 3, badWindowMs: 10_000 };
const OPEN = new Set([C, D]);

/** A's route to B and B's to A; `exchange` passes one probe each way through `via` at `now`. */
function pair(now = 0): { a: RelayRoute; b: RelayRoute; exchange: (via: typeof C, at: number) => void } {
  const a = new RelayRoute(B, now, false, TIMES);
  const b = new RelayRoute(A, now, false, TIMES);
  const probe = (from: RelayRoute, to: RelayRoute, via: typeof C, at: number) =>
    to.take(via, { n: from.nextN('probe'), kind: 'probe', body: from.probeBody(via, at) }, OPEN, at);
  return {
    a,
    b,
    exchange: (via, at) => {
      probe(a, b, via, at);
      probe(b, a, via, at);
      probe(a, b, via, at);
    },
  };
}

describe('RelayRoute', () => {
  it('comes up only once the peer answers our probe through the relay, and lapses without fresh answers', () => {
    const { a, b, exchange } = pair();
    const first = b.take(C, { n: 1, kind: 'probe', body: a.probeBody(C, 0) }, OPEN, 0);
    expect(first.change).toBeNull(); // a probe that answers nothing of ours proves nothing yet
    exchange(C, 10);
    expect([a.via, b.via]).toEqual([C, C]);
    expect(a.choose(OPEN, 500)).toBeNull();
    expect(a.choose(OPEN, 1_100)).toEqual({ prev: C, next: null });
  });

  it('refuses a probe handed on twice, and one answering a probe older than the TTL keeps nothing alive', () => {
    const { a, b, exchange } = pair();
    exchange(C, 0);
    const old = { n: b.nextN('probe'), kind: 'probe' as const, body: b.probeBody(C, 0) };
    expect(a.take(C, old, OPEN, 10).replay).toBe(false);
    expect(a.take(C, old, OPEN, 20).replay).toBe(true);
    // A probe B wrote long ago, held back by the relay: it echoes a probe of A's sent 2 s before.
    const echo = readProbeBody(old.body)?.echo ?? null;
    expect(echo).not.toBeNull();
    const held = { n: old.n, kind: 'probe' as const, body: `${(readProbeBody(old.body)?.seq ?? 0) + 5}.${echo}` };
    a.choose(OPEN, 2_000);
    expect(a.via).toBeNull();
    a.take(C, held, OPEN, 2_000);
    expect(a.via).toBeNull();
  });

  it("finds our relay bad after the peer's resets pass the bound, and moves to the other relay", () => {
    const { a, exchange } = pair();
    for (let at = 0; at < 3_000; at += 500) {
      exchange(C, at);
      exchange(D, at);
    }
    expect(a.via).toBe(C);
    // Losses right after a route change are the change's; these come well after.
    let n = 0;
    let bad = null;
    for (const at of [3_000, 3_100, 3_200]) {
      exchange(D, at);
      exchange(C, at);
      bad = a.take(D, { n: ++n, kind: 'reset', body: '' }, OPEN, at).bad;
    }
    expect(bad?.relay).toBe(C);
    expect(a.via).toBe(D);
    expect(a.distrusted.has(C)).toBe(true);
  });
});
