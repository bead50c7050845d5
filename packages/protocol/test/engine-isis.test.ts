import { describe, expect, it } from 'vitest';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { DataFrame } from '../src/wire/frames.ts';

/** Drain links in an order picked by a tiny seeded generator: one seed, one interleaving. */
const runShuffled = (m: EngineMesh, seed: number): void => {
  let x = seed >>> 0 || 1;
  const ids = [...m.engines.keys()];
  const pairs = ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => [a, b] as const));
  for (let idle = 0; idle < 200;) {
    x = (x * 1103515245 + 12345) >>> 0;
    const [a, b] = pairs[x % pairs.length] as readonly [string, string];
    if (m.step(a, b)) idle = 0;
    else idle += 1;
  }
  m.run();
};

describe('ISIS total order', () => {
  it('gives three members sending at once the same log, whatever order frames arrive in', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const m = EngineMesh.started('total', ['a', 'b', 'c']);
      for (let i = 1; i <= 3; i++) for (const id of ['c', 'a', 'b']) m.send(id, `${id}${i}`);
      runShuffled(m, seed);
      const log = m.bodies('a');
      expect(log, `seed ${seed}`).toHaveLength(9);
      expect(m.bodies('b'), `seed ${seed}`).toEqual(log);
      expect(m.bodies('c'), `seed ${seed}`).toEqual(log);
      expect(m.orders('b')).toEqual(m.orders('a'));
      expect(new Set(m.orders('a')).size).toBe(9); // agreed priorities are unique
      expect([...m.orders('a')].sort()).toEqual(m.orders('a')); // delivered in order-key order
      for (const s of ['a', 'b', 'c']) expect(log.filter((b) => b.startsWith(s))).toEqual([`${s}1`, `${s}2`, `${s}3`]);
      for (const id of ['a', 'b', 'c']) expect(m.engine(id).debugState().holdBackSize).toBe(0);
      expect(m.rejections).toEqual([]);
    }
  });

  it('does not deliver a message before every member proposed for it', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.setCut('c', 'a', true); // c's proposal cannot reach a yet
    m.send('a', 'x');
    m.run();
    expect(m.bodies('a')).toEqual([]);
    expect(m.bodies('b')).toEqual([]);
    m.setCut('c', 'a', false);
    m.run();
    expect(m.bodies('a')).toEqual(['x']);
    expect(m.bodies('c')).toEqual(['x']);
  });

  it('breaks a tie on p by the proposer id, the larger id winning, identically on both members', () => {
    const m = EngineMesh.started('total', ['a', 'b']);
    m.send('a', 'from-a'); // a proposes (1,a) for its own
    m.send('b', 'from-b'); // b proposes (1,b) for its own
    m.run(); // a proposes (2,a) for from-b, b proposes (2,b) for from-a
    // from-a agreed (2,b), from-b agreed (2,a): same p, a < b, so from-b first
    expect(m.bodies('a')).toEqual(['from-b', 'from-a']);
    expect(m.bodies('b')).toEqual(['from-b', 'from-a']);
    const orders = m.orders('a');
    // Keys are incarnation:p:by (order-key.ts).
    expect(orders.map((o) => o.split(':')[2])).toEqual(['a', 'b']);
    expect(orders[0]?.split(':')[1]).toBe(orders[1]?.split(':')[1]);
  });

  it('lets an agreed priority raise later proposals (P and A never go down)', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    let lastP = 0;
    let lastA = 0;
    for (let i = 0; i < 6; i++) {
      m.send(['a', 'b', 'c'][i % 3] as string, `m${i}`);
      m.run();
      const s = m.engine('a').debugState();
      expect(s.proposedMax).toBeGreaterThanOrEqual(lastP);
      expect(s.agreedMax).toBeGreaterThan(lastA);
      lastP = s.proposedMax;
      lastA = s.agreedMax;
    }
    expect(m.bodies('c')).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']); // sequential sends keep their order
  });

  it('refuses frames of an older view and keeps frames of a newer view until it is installed', () => {
    const m = EngineMesh.started('total', ['a', 'b']);
    const old = m.send('a', 'in view 1');
    m.run();
    m.installView(makeView(2, ['a', 'b']));
    m.run();
    expect(m.engine('b').view?.viewId).toBe(2);
    const before = JSON.stringify(m.engine('b').debugState());
    expect(m.deliverFrame('a', 'b', { ...old, seq: 2 })).toMatchObject({ rejected: true, error: { code: 'old-view' } });
    expect(JSON.stringify(m.engine('b').debugState())).toBe(before);

    // c finishes the flush for view 3 first; its view-3 DATA waits at b until b installs view 3
    m.add('c');
    m.installView(makeView(3, ['a', 'b', 'c'], [['c', 'joined']]));
    m.run();
    m.apply('c', m.engine('c').adoptJoinerState(m.engine('a').joinerState()));
    m.installView(makeView(4, ['a', 'b', 'c']));
    m.runHolding('a', 'b', (f) => f.t === 'flush-ok'); // a's FLUSH-OK for view 4 is late at b
    m.setCut('a', 'b', true);
    m.run();
    expect(m.engine('c').view?.viewId).toBe(4);
    expect(m.engine('b').view?.viewId).toBe(3);
    const early: DataFrame = m.send('c', 'from c in view 4');
    expect(early.viewId).toBe(4);
    m.run();
    expect(m.engine('b').debugState().buffered).toBe(1);
    expect(m.bodies('b')).toEqual(['in view 1']);
    m.setCut('a', 'b', false);
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId).toBe(4);
    expect(m.bodies('b')).toEqual(['in view 1', 'from c in view 4']);
    expect(m.bodies('a')).toEqual(m.bodies('b'));
    expect(m.bodies('c')).toEqual(['from c in view 4']);
    expect(m.engine('b').debugState().buffered).toBe(0);
  });
});
