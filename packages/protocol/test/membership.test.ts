// The one membership model (src/membership/), which the tracker, the peer
// package's MemoryTracker and the simulator's ModelTracker drive: each rule
// by example, then all of them under random sequences of joins, links-ready,
// leaves, failures and link reports (views stay consistent whatever happens).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId } from '@chorus/protocol';
import type { PeerId } from '@chorus/protocol';
import * as m from '../src/membership/index.ts';
import type { Membership, Step } from '../src/membership/index.ts';

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

describe('membership rules under random inputs', () => {
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
});

/** Applies a step that must succeed and change the state. */
function must<T>(step: Step<T>): { s: Membership; step: Step<T> } {
  expect(step.result.ok).toBe(true);
  expect(step.next).not.toBeNull();
  return { s: step.next!, step };
}

/** A group whose members are `peers`, installed in that order (the first founds it). */
function groupOf(...peers: PeerId[]): Membership {
  let s = m.emptyMembership();
  for (const p of peers) {
    s = must(m.join(G, s, who(p), 0)).s;
    if (m.isJoining(s, p)) s = must(m.linksReady(G, s, p)).s;
  }
  return s;
}

const ids = (xs: readonly { readonly peerId: PeerId }[] | undefined): PeerId[] => (xs ?? []).map((x) => x.peerId);
const [A, B, C, D] = [PEERS[0]!, PEERS[1]!, PEERS[2]!, PEERS[3]!];

describe('two-phase join', () => {
  it('installs the founder of an empty group at once, as view 1', () => {
    const { s, step } = must(m.join(G, m.emptyMembership(), who(A), 5));
    expect(step.effects.view).toEqual({ groupId: G, viewId: 1, members: [who(A)], changes: [{ peerId: A, change: 'joined' }] });
    expect(step.result).toEqual({ ok: true, value: step.effects.view });
    expect(s.joining).toEqual([]);
  });

  it('keeps a joiner of a non-empty group out of every view until it reports its links, and tells the members about it', () => {
    const s0 = groupOf(A, B);
    const { s, step } = must(m.join(G, s0, who(C), 7));
    expect(step.effects.view).toBeUndefined();
    expect(step.result).toEqual({ ok: true, value: m.viewOf(G, s0) });
    expect(step.effects.joiningNotices).toEqual([{ to: [A, B], peer: who(C) }]);
    expect(s.viewId).toBe(s0.viewId);
    expect(m.isJoining(s, C) && !m.isMember(s, C) && m.isInGroup(s, C)).toBe(true);

    const ready = must(m.linksReady(G, s, C));
    expect(ready.step.effects.view?.viewId).toBe(s0.viewId + 1);
    expect(ids(ready.step.effects.view?.members)).toEqual([A, B, C]);
    expect(ready.step.effects.view?.changes).toEqual([{ peerId: C, change: 'joined' }]);
    expect(ready.s.joining).toEqual([]);
  });

  it('carries a session\'s role into the views and notices, and no role where there is none', () => {
    const archivist = { ...who(B), role: 'archivist' as const };
    const asked = must(m.join(G, groupOf(A), archivist, 1));
    expect(asked.step.effects.joiningNotices).toEqual([{ to: [A], peer: archivist }]);
    const { step } = must(m.linksReady(G, asked.s, B));
    expect(step.effects.view?.members).toEqual([who(A), archivist]);
  });

  it('tells a member just installed about the joiners it missed', () => {
    let s = groupOf(A);
    s = must(m.join(G, s, who(B), 1)).s;
    s = must(m.join(G, s, who(C), 2)).s;
    const { step } = must(m.linksReady(G, s, B));
    expect(step.effects.joiningNotices).toEqual([{ to: [B], peer: who(C) }]);
  });

  it('refuses a member that asks to join again, and leaves the state as it was', () => {
    const s = groupOf(A, B);
    const step = m.join(G, s, who(B), 9);
    expect(step.result.ok).toBe(false);
    expect(step.result.ok ? null : step.result.error.code).toBe('bad-state');
    expect(step.next).toBeNull();
    expect(step.effects).toEqual({});
  });

  it('takes no one new into a group that holds the most members and joiners it may, but lets a joiner ask again', () => {
    let s = groupOf(A);
    s = must(m.join(G, s, who(B), 1, 2)).s;
    const full = m.join(G, s, who(C), 2, 2);
    expect(full.next).toBeNull();
    expect(full.result.ok ? null : full.result.error.code).toBe('too-many');
    expect(m.join(G, s, who(B), 3, 2).result.ok).toBe(true);
  });

  it('restarts the clock of a joiner that asks again, without listing it twice', () => {
    let s = groupOf(A);
    s = must(m.join(G, s, who(B), 1)).s;
    s = must(m.join(G, s, who(B), 50)).s;
    expect(s.joining.map((j) => [j.peerId, j.since])).toEqual([[B, 50]]);
    expect(m.expireJoin(G, s, B, 50 + JOIN_TIMEOUT - 1, JOIN_TIMEOUT).next).toBeNull();
    const gone = must(m.expireJoin(G, s, B, 50 + JOIN_TIMEOUT, JOIN_TIMEOUT));
    expect(gone.s.joining).toEqual([]);
    expect(gone.step.effects.view).toBeUndefined();
    expect(gone.step.effects.removed).toEqual([{ peerId: B, reason: 'failed' }]);
  });

  it('answers links-ready from a member with its view, unchanged, and refuses an outsider', () => {
    const s = groupOf(A, B);
    const again = m.linksReady(G, s, B);
    expect(again.next).toBeNull();
    expect(again.result).toEqual({ ok: true, value: m.viewOf(G, s) });
    const outsider = m.linksReady(G, s, C);
    expect(outsider.next).toBeNull();
    expect(outsider.result.ok ? null : outsider.result.error.code).toBe('not-member');
  });
});

describe('leave, failure, eviction', () => {
  it('makes a new view without the member; only one removed against its will is told so', () => {
    const s = groupOf(A, B, C);
    const left = must(m.remove(G, s, B, 'left'));
    expect(left.step.effects.view).toEqual({ groupId: G, viewId: s.viewId + 1, members: [who(A), who(C)], changes: [{ peerId: B, change: 'left' }] });
    expect(left.step.effects.removed).toEqual([]);
    const failed = must(m.remove(G, s, B, 'failed'));
    expect(failed.step.effects.removed).toEqual([{ peerId: B, reason: 'failed' }]);
    expect(failed.step.effects.view?.changes).toEqual([{ peerId: B, change: 'failed' }]);
  });

  it('drops a joiner without a view, and tells the members (who dial it) that it is gone', () => {
    let s = groupOf(A, C);
    s = must(m.join(G, s, who(B), 1)).s;
    const { s: after, step } = must(m.remove(G, s, B, 'failed'));
    expect(step.effects.view).toBeUndefined();
    expect(step.effects.joinerGone).toEqual([{ to: [A, C], peerId: B }]);
    expect(must(m.remove(G, groupOf(A), A, 'left')).step.effects.joinerGone).toBeUndefined();
    expect(after.viewId).toBe(s.viewId);
    expect(m.isInGroup(after, B)).toBe(false);
  });

  it('refuses to remove someone who is not in the group', () => {
    const step = m.remove(G, groupOf(A), B, 'left');
    expect(step.next).toBeNull();
    expect(step.result.ok ? null : step.result.error.code).toBe('not-member');
  });

  it('empties the group with a view of nobody; the next joiner founds it again above that view', () => {
    const s = groupOf(A);
    const empty = must(m.remove(G, s, A, 'failed'));
    expect(empty.step.effects.view).toEqual({ groupId: G, viewId: 2, members: [], changes: [{ peerId: A, change: 'failed' }] });
    const again = must(m.join(G, empty.s, who(B), 3));
    expect(again.step.effects.view?.viewId).toBe(3);
  });

  it('continues views above the floor a restored group brings, and never lowers it', () => {
    const raised = must(m.raiseViewFloor(m.emptyMembership(), 41)).s;
    expect(m.raiseViewFloor(raised, 12).next).toBeNull();
    expect(must(m.join(G, raised, who(A), 0)).step.effects.view?.viewId).toBe(42);
  });
});

describe('link reports', () => {
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

  it('forgets a link that came back up, and keeps the first outage time when it is reported down again', () => {
    let s = groupOf(A, B);
    const first = must(m.reportLink(s, A, B, 'down', 100));
    expect(first.step.effects.linkCheck).toEqual({ a: A, b: B, since: 100 });
    const again = m.reportLink(first.s, B, A, 'down', 130);
    expect(again.next).toBeNull();
    expect(again.effects.linkCheck).toEqual({ a: A, b: B, since: 100 });
    s = must(m.reportLink(first.s, B, A, 'up', 140)).s;
    expect(s.linksDown).toEqual([]);
    expect(m.expireLink(G, s, A, B, 100 + GRACE, GRACE).next).toBeNull();
  });

  it('ignores reports about a joiner (its links are settled by links-ready) and refuses a link to oneself', () => {
    let s = groupOf(A, B);
    s = must(m.join(G, s, who(C), 1)).s;
    const aboutJoiner = m.reportLink(s, A, C, 'down', 2);
    expect(aboutJoiner.result.ok).toBe(true);
    expect(aboutJoiner.next).toBeNull();
    const self = m.reportLink(s, A, A, 'down', 2);
    expect(self.result.ok ? null : self.result.error.code).toBe('bad-state');
  });

  it('forgets the outages of a member that is removed', () => {
    let s = groupOf(A, B, C, D);
    s = must(m.reportLink(s, A, C, 'down', 1)).s;
    s = must(m.reportLink(s, B, D, 'down', 1)).s;
    s = must(m.remove(G, s, C, 'left')).s;
    expect(s.linksDown).toEqual([{ a: B, b: D, since: 1 }]);
    expect(m.youngerOf(s, A, D)).toBe(D);
    expect(m.youngerOf(s, A, C)).toBeNull();
  });
});
