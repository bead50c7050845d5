// SessionCores against each other without a network (CoreMesh): the join
// lifecycle as a peer would notice it — what it stores, shows and sends, and
// when it may send.
import { describe, expect, it } from 'vitest';
import { HISTORY_REASK_MIN_MS, HISTORY_RETRY_MS, reaskPause, TICK_MS } from '../src/session/policy.ts';
import { CoreMesh } from '../src/session/testing/core-mesh.ts';
import { MAX_PARTS } from '../src/wire/caps.ts';
import { asPeerId } from '../src/ids.ts';

/** p1 founds the group and says `n` things; p2 joins and syncs. */
const founded = (mode: 'fifo' | 'total', n: number): CoreMesh => {
  const m = new CoreMesh(mode);
  m.add('p1');
  m.view(1, ['p1'], [['p1', 'joined']]);
  for (let i = 1; i <= n; i += 1) m.send('p1', `m${i}`);
  m.deliver();
  return m;
};

describe('SessionCore: a joiner syncing from a sponsor', () => {
  for (const mode of ['total', 'fifo'] as const) {
    it(`${mode}: gets the newest page with the state, is a member once it is stored, then the older page, and talks`, () => {
      const m = founded(mode, 250);
      const p1 = m.node('p1');
      expect(p1.phase).toBe('member');
      expect(p1.store.size).toBe(250);
      const p2 = m.add('p2');
      m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
      m.deliver();
      expect(p2.phases).toEqual(['syncing', 'adopting', 'member']);
      expect(m.count('history-req', 'p2', 'p1')).toBe(2); // the newest 200 with the state, then the oldest 50
      expect(p2.storeAtMember).toBe(200);
      expect(p2.core.backfilling).toBe(false);
      expect(p2.storedBodies()).toEqual(p1.storedBodies());
      expect(p2.shownBodies()).toEqual(p1.shownBodies());

      m.send('p2', 'hello from p2');
      m.send('p1', 'welcome');
      m.deliver();
      m.advance(10 * TICK_MS);
      for (const n of [p1, p2]) expect(n.storedBodies()).toEqual(expect.arrayContaining(['hello from p2', 'welcome']));
      expect(p1.store.size).toBe(252);
      // Same order keys everywhere (in FIFO too: the key of a message is fixed by its sender).
      expect(p2.storedBodies()).toEqual(p1.storedBodies());
      // The send resolved with its place in our sequence; the timeline shows it delivered now.
      const mine = [...p2.submitted.values()];
      expect(mine.map((x) => [x.body, x.sender])).toEqual([['hello from p2', 'p2']]);
      expect(p2.shown.get(mine[0]!.id)?.state).toBe('delivered');
      expect(p1.problems.filter((p) => p.remote)).toEqual([]);
      expect(p2.problems.filter((p) => p.remote)).toEqual([]);
    });
  }

  it('does not become a member until the history it was handed is durable in its store', () => {
    const m = founded('total', 5);
    const p2 = m.add('p2');
    p2.holdStoreFlush = true;
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    m.advance(3 * TICK_MS);
    expect(p2.phase).toBe('adopting');
    m.send('p2', 'too early');
    m.deliver();
    expect(m.count('data', 'p2', 'p1')).toBe(0);
    m.releaseStoreFlush('p2');
    expect(p2.phase).toBe('member');
    expect(p2.storeAtMember).toBe(5);
    m.deliver();
    expect(m.node('p1').storedBodies().at(-1)).toBe('too early');
  });
});

describe('SessionCore: history pages are pipelined', () => {
  it('asks for the next older page when a page arrives, before it is checked or stored, and once per page', () => {
    const m = founded('fifo', 450);
    const p2 = m.add('p2');
    // The newest page (with the state) goes through; the next one stays on the wire until the test
    // has shown it to p2 as arriving.
    let pages = 0;
    m.hold = (f) => f.frame.t === 'history-res' && ++pages > 1;
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    expect(p2.phase).toBe('member');
    expect(p2.core.backfilling).toBe(true);
    const older = m.sent.filter((s) => s.frame.t === 'history-res' && s.from === 'p1')[1]?.frame;
    if (older?.t !== 'history-res') throw new Error('p1 sent no older history page');
    expect(older.items).toHaveLength(200);
    expect(m.count('history-req', 'p2', 'p1')).toBe(2);
    m.run(p2, (c) => c.historyArrived(asPeerId('p1'), older, m.now));
    // The next request is out, before the page's first item, while nothing of the page is stored or shown yet.
    const next = m.sent.filter((s) => s.frame.t === 'history-req' && s.from === 'p2').at(-1)?.frame;
    expect(next?.t === 'history-req' && next.before).toBe(older.items[0]?.order);
    expect(p2.store.size).toBe(200);
    expect(p2.shown.size).toBe(200);
    m.hold = null;
    m.release();
    m.deliver();
    expect(p2.phase).toBe('member');
    expect(p2.core.backfilling).toBe(false);
    expect(p2.storedBodies()).toEqual(m.node('p1').storedBodies());
    expect(m.count('history-req', 'p2', 'p1')).toBe(3); // 200 + 200 + 50: no page asked for twice
    expect(p2.problems).toEqual([]);
  });
});

describe('SessionCore: the sponsor leaves mid-sync', () => {
  it('the joiner asks the next old member from the start and ends with the whole history once', () => {
    const m = founded('total', 3);
    const p2 = m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    m.send('p2', 'p2 was here');
    m.deliver();
    expect(p2.phase).toBe('member');

    // p3 joins; p1 (its sponsor, the lowest old member) never gets a page through to it.
    m.drop = (f) => f.frame.t === 'history-res' && f.from === 'p1';
    const p3 = m.add('p3');
    m.send('p3', 'queued while joining');
    m.view(3, ['p1', 'p2', 'p3'], [['p3', 'joined']]);
    m.deliver();
    m.advance(2 * TICK_MS);
    expect(p3.phase).toBe('syncing');
    expect(m.count('history-req', 'p3', 'p1')).toBe(1);
    // p2, the next old member in p3's order, is asked only as p1's witness (PROTOCOL.md §7.3 "Corroborated").
    expect(m.asks('p3', 'p2', 'sponsor')).toBe(0);
    expect(m.asks('p3', 'p2', 'witness')).toBe(1);

    // p1 fails: the tracker's next view says so, and p3 turns to p2 at once (not after HISTORY_RETRY_MS).
    m.crash('p1');
    const asked = m.now;
    m.view(4, ['p2', 'p3'], [['p1', 'failed']]);
    m.deliver();
    expect(
      m.sent.find((s) => s.frame.t === 'history-req' && s.frame.limit > 1 && s.from === 'p3' && s.to === 'p2')?.at,
    ).toBe(asked);
    m.advance(5 * TICK_MS);
    expect(p3.phase).toBe('member');
    expect(p3.storeAtMember).toBe(4);
    expect(p3.storedBodies()).toEqual(p2.storedBodies());
    expect(p2.storedBodies()).toEqual(['m1', 'm2', 'm3', 'p2 was here', 'queued while joining']);
    expect(p3.shownBodies()).toEqual(p2.shownBodies());
  });

  it('with no answer at all, the joiner turns to the next old member after HISTORY_RETRY_MS', () => {
    const m = founded('fifo', 2);
    m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    m.drop = (f) => f.frame.t === 'history-res' && f.from === 'p1';
    const p3 = m.add('p3');
    m.view(3, ['p1', 'p2', 'p3'], [['p3', 'joined']]);
    m.deliver();
    m.advance(HISTORY_RETRY_MS - TICK_MS);
    expect(m.asks('p3', 'p2', 'sponsor')).toBe(0);
    m.advance(2 * TICK_MS);
    expect(m.asks('p3', 'p2', 'sponsor')).toBe(1);
    expect(p3.phase).toBe('member');
    expect(p3.storedBodies()).toEqual(['m1', 'm2']);
  });
});

describe('SessionCore: the sponsor answers when it can', () => {
  it("a request that arrives before the sponsor installed the joiner's view is answered after it, once", () => {
    const m = founded('total', 4);
    m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    // p2's FLUSH for view 3 is slow to reach p1, so p1 installs view 3 late.
    m.hold = (f) => f.frame.t === 'flush' && f.from === 'p2' && f.to === 'p1';
    const p3 = m.add('p3');
    m.view(3, ['p1', 'p2', 'p3'], [['p3', 'joined']]);
    m.deliver();
    expect(m.count('history-req', 'p3', 'p1')).toBe(1);
    expect(m.count('history-res', 'p1', 'p3')).toBe(0);
    expect(m.node('p1').core.view?.viewId).toBe(2);
    m.release();
    m.deliver();
    expect(m.node('p1').core.view?.viewId).toBe(3);
    expect(m.count('history-res', 'p1', 'p3')).toBe(1);
    expect(p3.phase).toBe('member');
    expect(p3.storedBodies()).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('a joiner whose request was lost with its link asks again when the link comes back, not after HISTORY_RETRY_MS', () => {
    const m = founded('fifo', 2);
    let lost = 0;
    m.drop = (f) => f.frame.t === 'history-req' && lost++ === 0;
    const p2 = m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    expect(p2.phase).toBe('syncing');
    m.run(p2, (c) => c.link(m.node('p1').core.self.peerId, 'up', m.now));
    m.deliver();
    expect(m.now).toBe(0);
    expect(p2.phase).toBe('member');
    expect(p2.storedBodies()).toEqual(['m1', 'm2']);
  });
});

describe('SessionCore: re-ask pacing after refusals', () => {
  it('a sponsor that keeps sending a last page without state gets requests after growing pauses', () => {
    const m = founded('total', 2);
    // p1's pages never arrive; each request is answered by a broken last page without state.
    m.drop = (f) => {
      if (f.frame.t === 'history-req') {
        m.run(m.node('p2'), (c) =>
          c.receive(
            f.to as never,
            {
              t: 'history-res',
              groupId: f.frame.groupId,
              req: (f.frame as { readonly req: number }).req,
              items: [],
              done: true,
            },
            m.now,
          ),
        );
        return true;
      }
      return false;
    };
    const p2 = m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.advance(8 * HISTORY_REASK_MIN_MS);
    const at = m.sent.filter((s) => s.frame.t === 'history-req').map((s) => s.at);
    // Asked at once, then after 200, 400 and 800 ms: a loop would have asked once per delivery.
    expect(at).toEqual([
      0,
      reaskPause(1),
      reaskPause(1) + reaskPause(2),
      reaskPause(1) + reaskPause(2) + reaskPause(3),
    ]);
    const refusals = p2.problems.filter((p) => p.remote && p.problem.code === 'missing-field');
    expect(refusals.length).toBe(at.length);
    expect(p2.phase).toBe('syncing');

    // Once the sponsor answers properly, the joiner gets history and becomes a member.
    m.drop = null;
    m.advance(HISTORY_RETRY_MS);
    expect(p2.phase).toBe('member');
    expect(p2.storedBodies()).toEqual(['m1', 'm2']);
  });

  it('a sponsor whose state in parts passes MAX_STATE_BYTES is refused (too-large, parts dropped); a proper answer later makes the joiner a member', () => {
    const m = founded('total', 2);
    const filler = Array.from({ length: 60 }, (_, i) => ({
      frame: {
        t: 'data' as const,
        groupId: 'x' as never,
        viewId: 0 as never,
        sender: 'p1' as never,
        seq: i + 1,
        lamport: 1,
        sentAt: 1,
        body: 'x'.repeat(4000),
        sig: 's',
      },
    }));
    let fed = false;
    m.drop = (f) => {
      if (f.frame.t !== 'history-req' || fed) return false;
      fed = true;
      const state = { viewId: 2 as never, incarnation: 1 as never, agreed: 0, nextSeq: {}, unstable: filler };
      for (let index = 0; index < 300; index += 1)
        m.run(m.node('p2'), (c) =>
          c.receive(
            f.to as never,
            {
              t: 'history-res',
              groupId: f.frame.groupId,
              req: (f.frame as { readonly req: number }).req,
              items: [],
              done: true,
              state,
              statePart: { index, count: MAX_PARTS },
            },
            m.now,
          ),
        );
      return true;
    };
    const p2 = m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    expect(fed).toBe(true);
    expect(p2.problems.filter((p) => p.remote && p.problem.code === 'too-large')).toHaveLength(1);
    expect(p2.phase).toBe('syncing');
    m.drop = null;
    m.advance(HISTORY_RETRY_MS);
    expect(p2.phase).toBe('member');
    expect(p2.storedBodies()).toEqual(['m1', 'm2']);
  });

  it('the pause doubles per refusal and stops growing at HISTORY_RETRY_MS', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(reaskPause)).toEqual([
      200,
      400,
      800,
      1600,
      3200,
      HISTORY_RETRY_MS,
      HISTORY_RETRY_MS,
      HISTORY_RETRY_MS,
    ]);
  });
});

describe('SessionCore: the outbox waits until we are a member', () => {
  it('texts submitted while joining go out after adoption, in order, with seqs after the adopted state', () => {
    const m = founded('total', 3);
    const p2 = m.add('p2');
    m.drop = (f) => f.frame.t === 'history-res';
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    for (const t of ['one', 'two', 'three']) m.send('p2', t);
    m.advance(10 * TICK_MS);
    expect(p2.phase).toBe('syncing');
    expect(p2.core.outboxSize).toBe(3);
    expect(m.count('data', 'p2', 'p1')).toBe(0);
    expect(p2.submitted.size).toBe(0);

    m.drop = null;
    m.advance(HISTORY_RETRY_MS);
    expect(p2.phase).toBe('member');
    expect(p2.core.outboxSize).toBe(0);
    expect(m.node('p1').storedBodies()).toEqual(['m1', 'm2', 'm3', 'one', 'two', 'three']);
    expect(p2.storedBodies()).toEqual(m.node('p1').storedBodies());
  });

  it('a session re-joining with a fresh engine sends after its earlier messages, none dropped as stale', () => {
    const m = founded('total', 1);
    m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    for (const t of ['a', 'b', 'c']) m.send('p2', t);
    m.deliver();
    // p2 is dropped and comes back as a new session of the same peer id (a re-join): its engine starts at seq 0.
    m.crash('p2');
    m.view(3, ['p1'], [['p2', 'failed']]);
    m.deliver();
    const again = m.add('p2');
    const t = m.send('p2', 'd, typed while re-joining');
    m.view(4, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    m.advance(5 * TICK_MS);
    expect(again.phase).toBe('member');
    expect(again.submitted.get(t)?.id).toBe('g1/p2:4');
    expect(m.node('p1').storedBodies()).toEqual(['m1', 'a', 'b', 'c', 'd, typed while re-joining']);
    expect(again.storedBodies()).toEqual(m.node('p1').storedBodies());
    expect(again.problems.map((p) => p.problem.code)).not.toContain('message-dropped');
  });

  it('closing while joining fails every text not sent, and a closed session takes no more', () => {
    const m = founded('fifo', 1);
    const p2 = m.add('p2');
    m.drop = (f) => f.frame.t === 'history-res';
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    const a = m.send('p2', 'a');
    const b = m.send('p2', 'b');
    m.run(p2, (c) => c.close('You left the group.', m.now));
    expect(p2.phase).toBe('closed');
    expect([p2.failed.get(a), p2.failed.get(b)]).toEqual(['bad-state', 'bad-state']);
    const c = m.send('p2', 'c');
    expect(p2.failed.get(c)).toBe('bad-state');
    m.drop = null;
    m.advance(HISTORY_RETRY_MS + TICK_MS);
    expect(m.count('data', 'p2', 'p1')).toBe(0);
  });

  it('refuses empty and over-long texts at once, whatever the phase', () => {
    const m = founded('fifo', 0);
    const e = m.send('p1', '   ');
    const l = m.send('p1', 'x'.repeat(5000));
    expect([m.node('p1').failed.get(e), m.node('p1').failed.get(l)]).toEqual(['missing-field', 'too-long']);
  });
});
