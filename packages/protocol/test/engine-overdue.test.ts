// Overdue agreement inputs (PROTOCOL.md §3.3 "Overdue"): whom a total-order member reports `stalled`, and the
// copies and late echo relays that let every member tell a silent member from a waiting one.

import { describe, expect, it } from 'vitest';
import { asPeerId } from '../src/ids.ts';
import { UNSHOWN_STATE_GRACES } from '../src/ordering/agreement-watch.ts';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';

const WAIT = 1000;
const overdue = (m: EngineMesh, id: string, now: number) => m.engine(id).agreementOverdue(now, WAIT);
const chase = (m: EngineMesh, ids: readonly string[], now: number): void => {
  for (const id of ids) m.apply(id, m.engine(id).chaseAgreement(now, WAIT));
  m.run();
};
/** Everything `id` would send is lost: it keeps its channels and says nothing (a mute member). */
const mute = (m: EngineMesh, id: string): void => {
  for (const p of m.engines.keys()) if (p !== id) m.setCut(id, p, true);
};
/** a, b, c: a sends, b and c get its DATA and propose; a's FINALs wait on its links to b and c. */
const proposedToA = (): EngineMesh => {
  const m = EngineMesh.started('total', ['a', 'b', 'c']);
  m.send('a', 'hello');
  for (const [from, to] of [
    ['a', 'b'],
    ['a', 'c'],
    ['b', 'a'],
    ['c', 'a'],
  ] as const)
    m.step(from, to);
  return m;
};

describe('overdue agreement inputs', () => {
  it('a mute member is overdue to the sender, and after the copies to every other member; no one else is', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c', 'm']);
    mute(m, 'm');
    const installed = m.now;
    m.send('a', 'hello');
    m.run();
    const t0 = m.now;
    for (const id of ['a', 'b', 'c']) expect(overdue(m, id, installed), id).toEqual([]);
    chase(m, ['a', 'b', 'c'], t0 + WAIT / 2);
    // m sent nothing of this view that shows it has state: it may be a joiner still fetching its history.
    for (const id of ['a', 'b', 'c']) expect(overdue(m, id, t0 + WAIT + 10), id).toEqual([]);
    const late = installed + UNSHOWN_STATE_GRACES * WAIT;
    for (const id of ['a', 'b', 'c']) expect(overdue(m, id, late), id).toEqual([asPeerId('m')]);
    expect(m.bodies('b')).toEqual([]);
    // The tracker evicts it: the view change orders the message and nobody waits any more.
    m.installView(makeView(2, ['a', 'b', 'c'], [['m', 'evicted']]), ['a', 'b', 'c']);
    m.run();
    for (const id of ['a', 'b', 'c']) {
      expect(m.bodies(id), id).toEqual(['hello']);
      expect(overdue(m, id, t0 + 10 * WAIT), id).toEqual([]);
    }
    expect(m.rejections).toEqual([]);
  });

  it('without the copies only the sender could tell: a member that waits reports nobody it cannot see', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c', 'm']);
    mute(m, 'm');
    const late = m.now + UNSHOWN_STATE_GRACES * WAIT;
    overdue(m, 'b', m.now);
    m.send('a', 'hello');
    m.run();
    // b has heard nothing from c or m about the message: both are silent to it for now.
    expect(overdue(m, 'b', late)).toEqual(['c', 'm'].map(asPeerId));
    chase(m, ['b', 'c'], late);
    expect(overdue(m, 'b', late)).toEqual([asPeerId('m')]);
  });

  it('a sender that never sends its FINAL is overdue to every member that proposed', () => {
    const m = proposedToA();
    expect(m.pending('a', 'b').map((f) => f.t)).toEqual(['final']);
    m.lose('a', 'b');
    m.lose('a', 'c');
    const t0 = m.now;
    chase(m, ['b', 'c'], t0 + WAIT / 2);
    expect(overdue(m, 'b', t0 + WAIT + 10)).toEqual([asPeerId('a')]);
    expect(overdue(m, 'c', t0 + WAIT + 10)).toEqual([asPeerId('a')]);
    expect(overdue(m, 'a', t0 + WAIT + 10)).toEqual([]);
  });

  it("a FINAL the sender kept from one member reaches it in another's echo at half the bound: all deliver", () => {
    const m = proposedToA();
    m.lose('a', 'c');
    m.run();
    expect(m.bodies('b')).toEqual([]);
    expect(m.bodies('c')).toEqual([]);
    const t0 = m.now;
    chase(m, ['b', 'c'], t0 + WAIT / 2);
    for (const id of ['a', 'b', 'c']) {
      expect(m.bodies(id), id).toEqual(['hello']);
      expect(overdue(m, id, t0 + WAIT + 10), id).toEqual([]);
    }
    expect(m.orders('c')).toEqual(m.orders('a'));
  });

  it('a FIFO group has no agreement: nothing is ever overdue', () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'm']);
    mute(m, 'm');
    m.send('a', 'hello');
    m.run();
    expect(m.bodies('b')).toEqual(['hello']);
    expect(overdue(m, 'a', m.now + 100 * WAIT)).toEqual([]);
    expect(m.engine('b').chaseAgreement(m.now + 100 * WAIT, WAIT)).toEqual({ frames: [], deliveries: [], events: [] });
  });
});
