// A browser tab keeps its peer id for its whole life. When it joins a group
// again (after leaving, after a false removal, after a tracker restart) its
// runtime builds a new engine, and that engine must not reuse the message ids
// (`sender:seq`) or order keys of the tab's earlier session.

import { describe, expect, it } from 'vitest';
import { totalOrderKey } from '../src/ordering/order-key.ts';
import { EngineMesh, makeView, peer } from '../src/ordering/testing/engine-mesh.ts';

/** c sends twice in a trio, is removed, and comes back with a new engine under the same peer id. */
const trioWhereCRejoins = (mode: 'total' | 'fifo'): EngineMesh => {
  const m = EngineMesh.started(mode, ['a', 'b', 'c']);
  m.send('c', 'c1');
  m.send('c', 'c2');
  m.run();
  m.crash('c');
  m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
  m.run();
  m.add('c');
  m.installView(makeView(3, ['a', 'b', 'c'], [['c', 'joined']]));
  m.run();
  return m;
};

describe('re-joining with the same peer id', () => {
  for (const mode of ['total', 'fifo'] as const) {
    it(`${mode}: the sponsor's state makes the new engine go on after the seqs the group has of it`, () => {
      const m = trioWhereCRejoins(mode);
      m.apply('c', m.engine('c').adoptJoinerState(m.engine('a').joinerState()));
      m.run();
      const frame = m.send('c', 'c3 after re-join');
      m.run();
      expect(frame.seq).toBe(3);
      for (const id of ['a', 'b']) expect(m.bodies(id), id).toEqual(['c1', 'c2', 'c3 after re-join']);
      expect(m.bodies('c')).toEqual(['c3 after re-join']);
      expect(m.rejections).toEqual([]);
      for (const id of ['a', 'b', 'c']) expect(m.engine(id).debugState().holdBackSize, id).toBe(0);
    });
  }

  it('a message drafted before the state arrived under an id the earlier session used is reported dropped, not sent', () => {
    const m = trioWhereCRejoins('total');
    const early = m.send('c', 'typed while joining'); // the new engine does not know of c1, c2 yet
    expect(early.seq).toBe(1);
    m.apply('c', m.engine('c').adoptJoinerState(m.engine('a').joinerState()));
    m.run();
    expect(m.events.get('c')).toContainEqual(expect.objectContaining({ type: 'message-dropped', id: 'g1/c:1' }));
    expect(m.bodies('a')).toEqual(['c1', 'c2']); // c1 was not replaced by the new text
    const again = m.send('c', 'typed while joining');
    m.run();
    expect(again.seq).toBe(3);
    expect(m.bodies('b')).toEqual(['c1', 'c2', 'typed while joining']);
    expect(m.rejections).toEqual([]);
  });
});

describe('resume: what the store remembers of an earlier session', () => {
  it('total: a peer that starts the group afresh on its own goes on above its stored seq, Lamport time and priority', () => {
    const m = new EngineMesh('total', []);
    m.add('a', {}, { ownSeq: 4, lamport: 9, agreed: 12 });
    m.installView(makeView(7, ['a'], [['a', 'joined']]));
    const first = m.send('a', 'back again');
    expect([first.seq, first.lamport]).toEqual([5, 10]);
    expect(m.orders('a')).toEqual([totalOrderKey(7, { p: 13, by: peer('a') })]);

    // A joiner it sponsors expects seq 6 next from it, not seq 1.
    m.add('b');
    m.installView(makeView(8, ['a', 'b'], [['b', 'joined']]));
    m.run();
    m.apply('b', m.engine('b').adoptJoinerState(m.engine('a').joinerState()));
    m.send('a', 'hello b');
    m.send('b', 'hello a');
    m.run();
    expect(m.bodies('b')).toEqual(m.bodies('a').slice(1));
    expect(m.bodies('b')).toHaveLength(2);
    expect(m.rejections).toEqual([]);
    expect(m.engine('b').debugState().holdBackSize).toBe(0);
  });

  for (const mode of ['total', 'fifo'] as const) {
    it(`${mode}: a peer founding the view alone takes every sender's stored count, so a returning member's next seq is accepted`, () => {
      // a and b talked before (b sent 3 messages); the tracker forgot the group; a is back first.
      const m = new EngineMesh(mode, []);
      m.add('a', {}, { ownSeq: 2, lamport: 6, agreed: mode === 'total' ? 6 : 0, delivered: { a: 2, b: 3 } });
      m.installView(makeView(7, ['a'], [['a', 'joined']]));
      // b comes back as a joiner with its own resume, and adopts a's state.
      m.add('b', {}, { ownSeq: 3, lamport: 6, agreed: mode === 'total' ? 6 : 0 });
      m.installView(makeView(8, ['a', 'b'], [['b', 'joined']]));
      m.run();
      m.apply('b', m.engine('b').adoptJoinerState(m.engine('a').joinerState()));
      const fromB = m.send('b', 'b4');
      const fromA = m.send('a', 'a3');
      m.run();
      expect([fromB.seq, fromA.seq]).toEqual([4, 3]);
      for (const id of ['a', 'b']) expect(m.bodies(id).sort(), id).toEqual(['a3', 'b4']);
      expect(m.rejections).toEqual([]);
      for (const id of ['a', 'b']) expect(m.engine(id).debugState().holdBackSize, id).toBe(0);
    });

    it(`${mode}: when a group starts afresh with several members, the others do not wait for the resumed peer's seq 1`, () => {
      // c founds the group, a and b join, c crashes before it hands them any state: nobody has state.
      const m = new EngineMesh(mode, ['c', 'b']);
      m.add('a', {}, { ownSeq: 7, lamport: 3, agreed: 20 });
      m.installView(makeView(1, ['c']));
      m.installView(
        makeView(
          2,
          ['a', 'b', 'c'],
          [
            ['a', 'joined'],
            ['b', 'joined'],
          ],
        ),
      );
      m.run();
      m.crash('c');
      m.installView(makeView(3, ['a', 'b'], [['c', 'failed']]));
      m.run();
      for (const id of ['a', 'b']) expect(m.engine(id).debugState().adopted, id).toBe(true);
      const f = m.send('a', 'from a');
      m.send('b', 'from b');
      m.run();
      expect(f.seq).toBe(8);
      expect(new Set(m.bodies('a'))).toEqual(new Set(['from a', 'from b']));
      if (mode === 'total') {
        expect(m.bodies('b')).toEqual(m.bodies('a'));
        // Above the priorities a's store holds.
        for (const o of m.orders('a')) expect(Number(o.split(':')[1])).toBeGreaterThan(20);
      } else expect(new Set(m.bodies('b'))).toEqual(new Set(['from a', 'from b']));
      expect(m.rejections).toEqual([]);
      for (const id of ['a', 'b']) expect(m.engine(id).debugState().holdBackSize, id).toBe(0);
    });
  }

  it("total: a resumed peer that joins through a sponsor takes the group's A, not a higher one from its store", () => {
    // The store's A comes from an older era of the group; proposals that far ahead would be refused.
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('a', 'a1');
    m.send('a', 'a2');
    m.run();
    m.crash('a');
    m.installView(makeView(2, ['b', 'c'], [['a', 'failed']]));
    m.run();
    m.add('a', {}, { ownSeq: 2, lamport: 5, agreed: 5_000_000 });
    m.installView(makeView(3, ['a', 'b', 'c'], [['a', 'joined']]));
    m.run();
    m.apply('a', m.engine('a').adoptJoinerState(m.engine('b').joinerState()));
    const f = m.send('a', 'from a');
    m.send('c', 'from c');
    m.run();
    expect(f.seq).toBe(3);
    for (const id of ['b', 'c']) expect(m.bodies(id), id).toEqual(['a1', 'a2', ...m.bodies('a')]);
    expect(new Set(m.bodies('a'))).toEqual(new Set(['from a', 'from c']));
    expect(m.rejections).toEqual([]);
    for (const p of m.orders('a')) expect(Number(p.split(':')[1])).toBeLessThan(100);
  });

  for (const mode of ['total', 'fifo'] as const) {
    it(`${mode}: a resumed peer whose sponsor counts none of its seqs (the group went through an empty view) is not waited for (hwm.floor, seed 1000092)`, () => {
      // b's new group knows nothing of a's three earlier messages; a's store does, so it goes on at 4.
      const m = new EngineMesh(mode, ['b', 'c']);
      m.installView(makeView(5, ['b', 'c']));
      m.run();
      m.add('a', {}, { ownSeq: 3, lamport: 3, agreed: mode === 'total' ? 3 : 0 });
      m.installView(makeView(6, ['a', 'b', 'c'], [['a', 'joined']]));
      m.run();
      m.apply('a', m.engine('a').adoptJoinerState(m.engine('b').joinerState()));
      const f = m.send('a', 'a4');
      m.send('b', 'b1');
      m.run();
      expect(f.seq).toBe(4);
      for (const id of ['a', 'b', 'c']) expect(new Set(m.bodies(id)), id).toEqual(new Set(['a4', 'b1']));
      if (mode === 'total') expect(m.bodies('c')).toEqual(m.bodies('b'));
      expect(m.rejections).toEqual([]);
      for (const id of ['a', 'b', 'c']) expect(m.engine(id).debugState().holdBackSize, id).toBe(0);
    });

    it(`${mode}: a member that never got the floor delivers the resumed peer's messages at the next view change`, () => {
      const m = new EngineMesh(mode, ['b', 'c']);
      m.installView(makeView(5, ['b', 'c']));
      m.run();
      m.send('c', 'c1'); // c has state: its flush report counts
      m.run();
      m.add('a', {}, { ownSeq: 3, lamport: 3, agreed: mode === 'total' ? 3 : 0 });
      m.installView(makeView(6, ['a', 'b', 'c'], [['a', 'joined']]));
      m.run();
      m.apply('a', m.engine('a').adoptJoinerState(m.engine('b').joinerState()));
      m.lose('a', 'c'); // the floor never reaches c
      m.setCut('a', 'c', true);
      m.send('a', 'a4');
      m.run();
      expect(m.bodies('c')).toEqual(['c1']);
      // a is removed before its link to c recovers; b and c flush: b counted a's floor, c did not.
      m.crash('a');
      m.installView(makeView(7, ['b', 'c'], [['a', 'failed']]));
      m.run();
      for (const id of ['b', 'c']) expect(m.bodies(id), id).toEqual(['c1', 'a4']);
      expect(m.rejections).toEqual([]);
    });
  }

  it('fifo: a member that lacks the floor (its copy was lost) hears it again when its counts show it', () => {
    const m = new EngineMesh('fifo', ['b']);
    m.installView(makeView(5, ['b']));
    m.run();
    m.add('a', {}, { ownSeq: 3, lamport: 3, agreed: 0 });
    m.add('j');
    m.installView(
      makeView(
        6,
        ['a', 'b', 'j'],
        [
          ['a', 'joined'],
          ['j', 'joined'],
        ],
      ),
    );
    m.run();
    const forJ = m.engine('b').joinerState(); // taken before a's floor reaches b
    m.apply('a', m.engine('a').adoptJoinerState(m.engine('b').joinerState()));
    m.lose('a', 'j'); // j never gets the floor
    m.run();
    m.apply('j', m.engine('j').adoptJoinerState(forJ));
    m.send('a', 'a4');
    m.run();
    expect(m.bodies('j')).toEqual([]); // held: j waits for a's seq 1
    m.tick('j', 10_000); // j announces its counts; a sees j lacks its floor and says it again
    m.run();
    for (const id of ['a', 'b', 'j']) expect(m.bodies(id), id).toEqual(['a4']);
    expect(m.rejections).toEqual([]);
    expect(m.engine('j').debugState().holdBackSize).toBe(0);
  });

  // PROTOCOL.md §3.1 "Re-issue": b re-joins with seqs 2 and 3 of its earlier engine in its store (delivered
  // there while its links were down); the group counts only b1.
  const rejoinAfterLocalSends = (mode: 'total' | 'fifo'): EngineMesh => {
    const m = EngineMesh.started(mode, ['a', 'b']);
    m.send('b', 'b1');
    m.run();
    m.setCut('b', 'a', true);
    m.send('b', 'b2');
    m.send('b', 'b3');
    m.crash('b');
    m.setCut('b', 'a', false);
    m.installView(makeView(2, ['a'], [['b', 'failed']]));
    m.run();
    m.add('b', {}, { ownSeq: 3, lamport: 3, agreed: mode === 'total' ? 3 : 0 });
    m.installView(makeView(3, ['a', 'b'], [['b', 'joined']]));
    m.run();
    return m;
  };
  const state = (m: EngineMesh) => m.engine('a').joinerState();

  for (const mode of ['total', 'fifo'] as const) {
    it(`${mode}: own seqs the adopted state lacks and the store holds are drafted again, under the same seqs`, () => {
      const m = rejoinAfterLocalSends(mode);
      const b = m.engine('b');
      m.apply('b', b.adoptJoinerState(state(m), { from: 1, to: 3 }));
      expect(b.reissued).toEqual({ from: 2, to: 3 });
      expect(b.resumeFloor).toBeNull(); // no floor: nothing of ours is skipped
      expect(m.send('b', 'b2 again').seq).toBe(2);
      expect(m.send('b', 'b3 again').seq).toBe(3);
      expect(m.send('b', 'b4').seq).toBe(4);
      m.run();
      expect(m.bodies('a')).toEqual(['b1', 'b2 again', 'b3 again', 'b4']);
      expect(m.rejections).toEqual([]);
      expect(m.engine('a').debugState().holdBackSize).toBe(0);
    });
  }

  it('fifo: a store that lacks the lowest missing seq re-issues above it; the floor covers only that seq', () => {
    const m = rejoinAfterLocalSends('fifo');
    const b = m.engine('b');
    m.apply('b', b.adoptJoinerState(state(m), { from: 3, to: 3 }));
    expect(b.reissued).toEqual({ from: 3, to: 3 });
    expect(b.resumeFloor).toBe(2);
    expect(m.send('b', 'b3 again').seq).toBe(3);
    m.run();
    expect(m.bodies('a')).toEqual(['b1', 'b3 again']);
    expect(m.rejections).toEqual([]);
  });

  it('fifo: an offer that does not reach the resume point (a seq sent but never stored above it) is not taken', () => {
    const m = rejoinAfterLocalSends('fifo');
    const b = m.engine('b');
    m.apply('b', b.adoptJoinerState(state(m), { from: 2, to: 2 }));
    expect(b.reissued).toBeNull();
    expect(b.resumeFloor).toBe(3);
    expect(m.send('b', 'b4').seq).toBe(4);
    m.run();
    expect(m.bodies('a')).toEqual(['b1', 'b4']);
  });

  it('refuses a resume that is not three non-negative integers, with a sentence', () => {
    const m = new EngineMesh('fifo', []);
    expect(() => m.add('a', {}, { ownSeq: -1, lamport: 0, agreed: 0 })).toThrow(/resume\.ownSeq/);
    expect(() => m.add('a', {}, { ownSeq: 1, lamport: 0.5, agreed: 0 })).toThrow(RangeError);
  });
});
