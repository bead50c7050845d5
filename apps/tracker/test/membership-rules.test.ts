// The pure membership rules under random sequences of joins, links-ready,
// leaves, failures and link reports: views stay consistent whatever happens.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId } from '@chorus/protocol';
import type { PeerId } from '@chorus/protocol';
import * as m from '../src/membership.ts';
import type { Membership, Step } from '../src/membership.ts';

const G = asGroupId('g1');
const PEERS = ['pa', 'pb', 'pc', 'pd', 'pe'].map(asPeerId);
const who = (p: PeerId) => ({ peerId: p, name: p.toUpperCase(), publicKey: 'k' });

type Op =
  | { kind: 'join' | 'ready' | 'leave' | 'fail'; p: number }
  | { kind: 'link'; p: number; q: number; up: boolean }
  | { kind: 'expire-link'; p: number; q: number }
  | { kind: 'expire-join'; p: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('join' as const, 'ready' as const, 'leave' as const, 'fail' as const), p: fc.nat(4) }),
  fc.record({ kind: fc.constant('link' as const), p: fc.nat(4), q: fc.nat(4), up: fc.boolean() }),
  fc.record({ kind: fc.constant('expire-link' as const), p: fc.nat(4), q: fc.nat(4) }),
  fc.record({ kind: fc.constant('expire-join' as const), p: fc.nat(4) }),
);

const GRACE = 10;
const JOIN_TIMEOUT = 10;

function apply(s: Membership, o: Op, now: number): Step<unknown> {
  const p = PEERS[o.p]!;
  switch (o.kind) {
    case 'join': return m.join(G, s, who(p), now);
    case 'ready': return m.linksReady(G, s, p);
    case 'leave': return m.remove(G, s, p, 'left');
    case 'fail': return m.remove(G, s, p, 'failed');
    case 'link': return m.reportLink(s, p, PEERS[o.q]!, o.up ? 'up' : 'down', now);
    case 'expire-link': {
      const [a, b] = [p, PEERS[o.q]!].sort();
      return m.expireLink(G, s, a!, b!, now, GRACE);
    }
    case 'expire-join': return m.expireJoin(G, s, p, now, JOIN_TIMEOUT);
  }
}

describe('membership rules', () => {
  it('viewId grows by exactly one per installed change, views are what members see, and nobody is both member and joiner', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        let s = m.emptyMembership();
        let now = 0;
        for (const o of ops) {
          now += 3;
          const step = apply(s, o, now);
          const next = step.next ?? s;
          expect(next.viewId).toBeGreaterThanOrEqual(s.viewId);
          if (step.effects.view !== undefined) {
            expect(next.viewId).toBe(s.viewId + 1);
            expect(step.effects.view.viewId).toBe(next.viewId);
            expect(step.effects.view.members.map((x) => x.peerId)).toEqual(next.members.map((x) => x.peerId));
            expect(step.effects.view.changes).toHaveLength(1);
          } else {
            // No view announced: the installed membership did not change.
            expect(next.viewId).toBe(s.viewId);
            expect(next.members.map((x) => x.peerId)).toEqual(s.members.map((x) => x.peerId));
          }
          if (!step.result.ok) expect(step.next).toBeNull();
          const ids = next.members.map((x) => x.peerId);
          expect(new Set(ids).size).toBe(ids.length);
          for (const j of next.joining) expect(ids).not.toContain(j.peerId);
          for (const l of next.linksDown) {
            expect(ids).toContain(l.a);
            expect(ids).toContain(l.b);
          }
          s = next;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('evicts the younger of two members, never the older', () => {
    let s = m.emptyMembership();
    for (const p of PEERS.slice(0, 3)) {
      s = m.join(G, s, who(p), 0).next ?? s;
      s = m.linksReady(G, s, p).next ?? s;
    }
    // pc joined last; a report from the younger end about the older one still evicts pc.
    s = m.reportLink(s, PEERS[2]!, PEERS[0]!, 'down', 100).next ?? s;
    expect(m.expireLink(G, s, PEERS[0]!, PEERS[2]!, 100 + GRACE - 1, GRACE).next).toBeNull();
    const step = m.expireLink(G, s, PEERS[0]!, PEERS[2]!, 100 + GRACE, GRACE);
    expect(step.effects.removed).toEqual([{ peerId: PEERS[2], reason: 'evicted' }]);
    expect(step.effects.view?.members.map((x) => x.peerId)).toEqual([PEERS[0], PEERS[1]]);
  });

  it('accepts a joiner\'s link reports without counting them as bad input or starting an eviction', () => {
    let s = m.emptyMembership();
    s = m.join(G, s, who(PEERS[0]!), 0).next ?? s;
    s = m.linksReady(G, s, PEERS[0]!).next ?? s;
    s = m.join(G, s, who(PEERS[1]!), 1).next ?? s;
    const up = m.reportLink(s, PEERS[1]!, PEERS[0]!, 'up', 2);
    expect(up.result.ok).toBe(true);
    const down = m.reportLink(s, PEERS[1]!, PEERS[0]!, 'down', 2);
    expect(down.result.ok).toBe(true);
    expect(down.next).toBeNull();
    expect(down.effects.linkCheck).toBeUndefined();
    // An outsider is still refused.
    expect(m.reportLink(s, PEERS[3]!, PEERS[0]!, 'up', 2).result.ok).toBe(false);
  });
});
