// The one membership model (src/membership/), which the tracker, the peer
// package's MemoryTracker and the simulator's ModelTracker drive: each rule
// by example, then all of them under random sequences of joins, links-ready,
// leaves, failures and link reports (views stay consistent whatever happens).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeerId } from '@chorus/protocol';
import * as m from '../src/membership/index.ts';
import type { Membership, Step } from '../src/membership/index.ts';
import { confirm, expire, G, GRACE, groupOf, ids, must, PEERS, say, who } from './membership-fixtures.ts';

type Op =
  | { kind: 'join' | 'ready' | 'leave' | 'fail'; p: number }
  | { kind: 'link'; p: number; q: number; up: boolean }
  | { kind: 'expire-link'; p: number; q: number }
  | { kind: 'expire-join'; p: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('join' as const, 'ready' as const, 'leave' as const, 'fail' as const),
    p: fc.nat(4),
  }),
  fc.record({ kind: fc.constant('link' as const), p: fc.nat(4), q: fc.nat(4), up: fc.boolean() }),
  fc.record({ kind: fc.constant('expire-link' as const), p: fc.nat(4), q: fc.nat(4) }),
  fc.record({ kind: fc.constant('expire-join' as const), p: fc.nat(4) }),
);

const JOIN_TIMEOUT = 10;

function apply(s: Membership, o: Op, now: number): Step<unknown> {
  const p = PEERS[o.p]!;
  switch (o.kind) {
    case 'join':
      return m.join(G, s, who(p), now);
    case 'ready':
      return m.linksReady(G, s, p);
    case 'leave':
      return m.remove(G, s, p, 'left');
    case 'fail':
      return m.remove(G, s, p, 'failed');
    case 'link':
      return m.reportLink(G, s, p, PEERS[o.q]!, o.up ? 'up' : 'down', now);
    case 'expire-link': {
      const [a, b] = [p, PEERS[o.q]!].sort();
      return m.expireLink(G, s, a!, b!, now, GRACE);
    }
    case 'expire-join':
      return m.expireJoin(G, s, p, now, JOIN_TIMEOUT);
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
          // One view per viewId: whoever asks later (group:view, links-ready again) gets the pushed view, changes and
          // all.
          if (step.effects.view !== undefined) expect(m.viewOf(G, next)).toEqual(step.effects.view);
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

const [A, B, C, D] = [PEERS[0]!, PEERS[1]!, PEERS[2]!, PEERS[3]!];

describe('two-phase join', () => {
  it('installs the founder of an empty group at once, as view 1', () => {
    const { s, step } = must(m.join(G, m.emptyMembership(), who(A), 5));
    expect(step.effects.view).toEqual({
      groupId: G,
      viewId: 1,
      members: [who(A)],
      changes: [{ peerId: A, change: 'joined' }],
    });
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

    const ready = must(m.linksReady(G, confirm(s, C), C));
    expect(ready.step.effects.view?.viewId).toBe(s0.viewId + 1);
    expect(ids(ready.step.effects.view?.members)).toEqual([A, B, C]);
    expect(ready.step.effects.view?.changes).toEqual([{ peerId: C, change: 'joined' }]);
    expect(ready.s.joining).toEqual([]);
  });

  it("carries a session's role into the views and notices, and no role where there is none", () => {
    const archivist = { ...who(B), role: 'archivist' as const };
    const asked = must(m.join(G, groupOf(A), archivist, 1));
    expect(asked.step.effects.joiningNotices).toEqual([{ to: [A], peer: archivist }]);
    const { step } = must(m.linksReady(G, confirm(asked.s, B), B));
    expect(step.effects.view?.members).toEqual([who(A), archivist]);
  });

  it('tells a member just installed about the joiners it missed', () => {
    let s = groupOf(A);
    s = must(m.join(G, s, who(B), 1)).s;
    s = must(m.join(G, s, who(C), 2)).s;
    const { step } = must(m.linksReady(G, confirm(s, B), B));
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
    expect(left.step.effects.view).toEqual({
      groupId: G,
      viewId: s.viewId + 1,
      members: [who(A), who(C)],
      changes: [{ peerId: B, change: 'left' }],
    });
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
    expect(empty.step.effects.view).toEqual({
      groupId: G,
      viewId: 2,
      members: [],
      changes: [{ peerId: A, change: 'failed' }],
    });
    const again = must(m.join(G, empty.s, who(B), 3));
    expect(again.step.effects.view?.viewId).toBe(3);
  });

  it('hands out one view per viewId: a later group:view or a repeated links-ready carries the changes the push carried', () => {
    // After an in-memory tracker restart, A restores the group and is installed alone; B joins and
    // is installed before A's links-ready answer. If that answer said "no changes", A's engine
    // would count B as a flush participant while B installs as a joiner: both wait for ever.
    const a = must(m.join(G, m.emptyMembership(), who(A), 0));
    const b = must(m.linksReady(G, confirm(must(m.join(G, a.s, who(B), 1)).s, B), B));
    const pushed = b.step.effects.view;
    expect(pushed?.changes).toEqual([{ peerId: B, change: 'joined' }]);
    const again = m.linksReady(G, b.s, A);
    expect(again.next).toBeNull();
    expect(again.result).toEqual({ ok: true, value: pushed });
    expect(m.viewOf(G, b.s)).toEqual(pushed);
    // A joiner's answer is the installed view it links to, as the members have it.
    expect(m.join(G, b.s, who(C), 2).result).toEqual({ ok: true, value: pushed });
    // A leave's view too.
    const left = must(m.remove(G, b.s, A, 'left'));
    expect(m.viewOf(G, left.s)).toEqual(left.step.effects.view);
  });

  it('continues views above the floor a restored group brings, and never lowers it', () => {
    const raised = must(m.raiseViewFloor(m.emptyMembership(), 41)).s;
    expect(m.raiseViewFloor(raised, 12).next).toBeNull();
    expect(must(m.join(G, raised, who(A), 0)).step.effects.view?.viewId).toBe(42);
  });
});

describe('joiners confirmed by the members', () => {
  it('installs a joiner only once every member of its view says its link is up, whichever comes last', () => {
    const s0 = must(m.join(G, groupOf(A, B), who(C), 1)).s;
    // On its own word alone: still out, answered with the current view.
    const alone = must(m.linksReady(G, s0, C));
    expect(alone.step.effects.view).toBeUndefined();
    expect(alone.step.result).toEqual({ ok: true, value: m.viewOf(G, s0) });
    expect(m.isJoining(alone.s, C)).toBe(true);
    const one = must(m.reportLink(G, alone.s, A, C, 'up', 2));
    expect(one.step.effects.view).toBeUndefined();
    // The last confirmation installs it, and its step carries the view to push.
    const last = must(m.reportLink(G, one.s, B, C, 'up', 3));
    expect(ids(last.step.effects.view?.members)).toEqual([A, B, C]);
    expect(last.step.result).toEqual({ ok: true, value: null });
    // Confirmations first, links-ready last: links-ready installs.
    const early = confirm(s0, C);
    expect(m.isJoining(early, C)).toBe(true);
    expect(ids(must(m.linksReady(G, early, C)).step.effects.view?.members)).toEqual([A, B, C]);
  });

  it('takes a confirmation back on a down report, waits for no member that went, and starts over when the joiner asks again', () => {
    let s = must(m.join(G, groupOf(A, B), who(C), 1)).s;
    s = must(m.reportLink(G, s, A, C, 'up', 2)).s;
    s = must(m.reportLink(G, s, A, C, 'down', 3)).s;
    s = must(m.reportLink(G, s, B, C, 'up', 4)).s;
    s = must(m.linksReady(G, s, C)).s;
    expect(m.isJoining(s, C)).toBe(true);
    // A leaves without confirming: asking again installs C.
    s = must(m.remove(G, s, A, 'left')).s;
    expect(ids(must(m.linksReady(G, s, C)).step.effects.view?.members)).toEqual([B, C]);
    // A joiner that asks to join again needs every confirmation anew.
    let t = confirm(must(m.join(G, groupOf(A, B), who(C), 1)).s, C);
    t = must(m.join(G, t, who(C), 5)).s;
    expect(m.linksReady(G, t, C).effects.view).toBeUndefined();
  });

  it('does not wait for a member installed after the joiner got its view (the joiner links to it once installed)', () => {
    let s = groupOf(A);
    s = must(m.join(G, s, who(B), 1)).s;
    s = must(m.join(G, s, who(C), 2)).s;
    s = must(m.linksReady(G, confirm(s, B), B)).s;
    // C's view was [A]: A's word is enough, B's is not needed.
    s = must(m.reportLink(G, s, A, C, 'up', 3)).s;
    expect(ids(must(m.linksReady(G, s, C)).step.effects.view?.members)).toEqual([A, B, C]);
  });

  it('drops a joiner nobody confirms at the join timeout, having never been in a view', () => {
    let s = must(m.join(G, groupOf(A, B), who(C), 10)).s;
    s = must(m.linksReady(G, s, C)).s;
    const gone = must(m.expireJoin(G, s, C, 10 + JOIN_TIMEOUT, JOIN_TIMEOUT));
    expect(gone.step.effects.view).toBeUndefined();
    expect(gone.step.effects.removed).toEqual([{ peerId: C, reason: 'failed' }]);
    expect(gone.s.viewId).toBe(s.viewId);
  });
});

describe('relayed links (PROTOCOL.md §1.6)', () => {
  it('installs a joiner that a member reaches only through a third member, on "relayed via" that member', () => {
    let s = must(m.join(G, groupOf(A, B), who(C), 1)).s;
    s = must(m.reportLink(G, s, B, C, 'up', 2)).s;
    s = must(m.linksReady(G, s, C)).s;
    expect(m.isJoining(s, C)).toBe(true);
    const relayed = must(m.reportLink(G, s, A, C, 'relayed', 3, B));
    expect(ids(relayed.step.effects.view?.members)).toEqual([A, B, C]);
  });

  it('refuses "relayed" through no one, through an end of the pair or through a non-member, and changes nothing', () => {
    const s = must(m.join(G, groupOf(A, B), who(C), 1)).s;
    for (const [via, code] of [
      [undefined, 'bad-state'],
      [A, 'bad-state'],
      [C, 'bad-state'],
      [D, 'not-member'],
    ] as const) {
      const step = m.reportLink(G, s, A, C, 'relayed', 2, via);
      expect(step.next).toBeNull();
      expect(step.result.ok ? null : step.result.error.code).toBe(code);
    }
  });

  it('withdraws a down claim like "up"; when the relay goes and both ends say down again, the younger is evicted', () => {
    let s = down(groupOf(A, B, C), 100, [C, A], [A, C]);
    s = must(m.reportLink(G, s, A, C, 'relayed', 101, B)).s;
    s = must(m.reportLink(G, s, C, A, 'relayed', 101, B)).s;
    expect(s.linksDown).toEqual([]);
    expect(expire(s, A, C, 100 + GRACE).effects.removed).toBeUndefined();
    // B leaves: the ends have no other relay and report down; one grace later C (the younger) goes.
    s = must(m.remove(G, s, B, 'failed')).s;
    s = down(s, 200, [A, C], [C, A]);
    expect(expire(s, A, C, 200 + GRACE).effects.removed).toEqual([{ peerId: C, reason: 'evicted' }]);
  });
});

/** Reports of `by` that their link to `peer` is down, at `now`. */
const down = (s: Membership, now: number, ...pairs: [PeerId, PeerId][]): Membership => say(s, now, 'down', ...pairs);

describe('link reports', () => {
  it('evicts the younger of two members whose link both ends report down, never the older', () => {
    const s = down(groupOf(A, B, C), 100, [C, A], [A, C]);
    expect(expire(s, A, C, 100 + GRACE - 1).next).toBeNull();
    const step = expire(s, A, C, 100 + GRACE);
    expect(step.effects.removed).toEqual([{ peerId: C, reason: 'evicted' }]);
    expect(ids(step.effects.view?.members)).toEqual([A, B]);
  });

  it('never evicts the accused on one report; the reporter of a false one gets a mark each grace time and the third evicts it', () => {
    let s = down(groupOf(A, B, C), 100, [A, C]);
    for (const k of [1, 2]) {
      const now = 100 + k * GRACE;
      const step = expire(s, A, C, now);
      expect(step.effects.view).toBeUndefined();
      expect(step.effects.falseReport).toBe(A);
      expect(step.effects.linkCheck).toEqual({ a: A, b: C, since: now });
      s = step.next!;
      expect(m.isMember(s, C) && m.isMember(s, A)).toBe(true);
    }
    const third = expire(s, A, C, 100 + 3 * GRACE);
    expect(third.effects.removed).toEqual([{ peerId: A, reason: 'evicted' }]);
    expect(ids(third.effects.view?.members)).toEqual([B, C]);
  });

  it('rate-limits a reporter to one report nobody corroborates, and lets it corroborate the other end', () => {
    let s = down(groupOf(A, B, C, D), 1, [A, C]);
    const second = m.reportLink(G, s, A, D, 'down', 2);
    expect(second.next).toBeNull();
    expect(second.result.ok ? null : second.result.error.code).toBe('rate-limited');
    s = down(s, 2, [B, A], [A, B]);
    expect(s.linksDown.find((l) => l.a === A && l.b === B)?.by).toEqual([B, A]);
    // Withdrawn (up), the claim no longer limits it.
    s = must(m.reportLink(G, s, A, C, 'up', 3)).s;
    expect(m.reportLink(G, s, A, D, 'down', 4).result.ok).toBe(true);
  });

  it('evicts the member a majority of the view reports down, though it says nothing (a silent member)', () => {
    const s = down(groupOf(A, B, C, D), 5, [A, D], [B, D], [C, D]);
    const step = expire(s, B, D, 5 + GRACE);
    expect(step.effects.removed).toEqual([{ peerId: D, reason: 'evicted' }]);
    // Two of four is no majority: the older accused stays, and nobody is marked (others agree with the reporter).
    const half = down(groupOf(A, B, C, D), 5, [C, A], [D, A]);
    const none = expire(half, A, C, 5 + GRACE);
    expect(none.effects.removed).toBeUndefined();
    expect(none.effects.falseReport).toBeUndefined();
  });

  it('decides nothing in a view of two when only one end says down (nobody can tell who is right)', () => {
    let s = down(groupOf(A, B), 1, [A, B]);
    for (let k = 1; k <= 5; k++) {
      const step = expire(s, A, B, 1 + k * GRACE);
      expect(step.effects.removed).toBeUndefined();
      expect(step.effects.falseReport).toBeUndefined();
      s = step.next!;
    }
    // The other end agreeing settles it: the younger goes.
    s = down(s, 60, [B, A]);
    expect(expire(s, A, B, 1 + 6 * GRACE).effects.removed).toEqual([{ peerId: B, reason: 'evicted' }]);
  });

  it('forgets marks older than the window', () => {
    let s = down(groupOf(A, B, C), 0, [A, C]);
    s = expire(s, A, C, GRACE).next!;
    s = expire(s, A, C, 2 * GRACE).next!;
    s = must(m.reportLink(G, s, A, C, 'up', 2 * GRACE)).s;
    const later = m.FALSE_REPORT_WINDOW_GRACES * GRACE + 3 * GRACE;
    s = down(s, later, [A, C]);
    const step = expire(s, A, C, later + GRACE);
    expect(step.effects.removed).toBeUndefined();
    expect(step.next?.falseReports?.map((f) => f.peerId)).toEqual([A]);
  });

  it('forgets a link that came back up, and keeps the first outage time when it is reported down again', () => {
    let s = groupOf(A, B);
    const first = must(m.reportLink(G, s, A, B, 'down', 100));
    expect(first.step.effects.linkCheck).toEqual({ a: A, b: B, since: 100 });
    const again = m.reportLink(G, first.s, A, B, 'down', 130);
    expect(again.next).toBeNull();
    expect(again.effects.linkCheck).toEqual({ a: A, b: B, since: 100 });
    s = must(m.reportLink(G, first.s, A, B, 'up', 140)).s;
    expect(s.linksDown).toEqual([]);
    expect(expire(s, A, B, 100 + GRACE).next).toBeNull();
  });

  it("ignores a joiner's reports and refuses an outsider's and a link to oneself", () => {
    const s = must(m.join(G, groupOf(A, B), who(C), 1)).s;
    const byJoiner = m.reportLink(G, s, C, A, 'down', 2);
    expect(byJoiner.result.ok).toBe(true);
    expect(byJoiner.next).toBeNull();
    expect(m.reportLink(G, s, D, A, 'up', 2).result.ok).toBe(false);
    const self = m.reportLink(G, s, A, A, 'down', 2);
    expect(self.result.ok ? null : self.result.error.code).toBe('bad-state');
  });

  it('forgets the outages of a member that is removed', () => {
    let s = groupOf(A, B, C, D);
    s = down(s, 1, [A, C], [B, D]);
    s = must(m.remove(G, s, C, 'left')).s;
    expect(s.linksDown).toEqual([{ a: B, b: D, since: 1, by: [B] }]);
    expect(m.youngerOf(s, A, D)).toBe(D);
    expect(m.youngerOf(s, A, C)).toBeNull();
  });
});
