// The overdue watch over a flush (PROTOCOL.md §3.4 "Withheld from everyone"): a participant whose own
// FLUSH report, or whose FLUSH-OK while every other participant's is in, this member has waited on for
// the bound is named (the session reports it `stalled`, a majority of the others evicts it). Only the
// participant whose own frame is missing is named; a report that some FLUSH-OK restates is the
// relay's (flush-relay.ts), not the watch's. Before the watch, such a participant stalled the view
// change for everyone until it left.

import { describe, expect, it } from 'vitest';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { EngineFrame } from '../src/wire/frames.ts';

const WAIT = 2000;
const IDS = ['a', 'b', 'c'];

/** a, b, c with a message each, then view 2 (same members); c's frames reach a and b only if `pass` takes them. */
const withheldByC = (mode: 'fifo' | 'total', pass: (f: EngineFrame) => boolean): EngineMesh => {
  const m = EngineMesh.started(mode, IDS);
  for (const id of IDS) m.send(id, `${id}1`);
  m.run();
  m.setCut('c', 'a', true);
  m.setCut('c', 'b', true);
  m.installView(makeView(2, IDS));
  m.run();
  for (const to of ['a', 'b']) for (const f of m.take('c', to)) if (pass(f)) m.deliverFrame('c', to, f);
  m.run();
  return m;
};

const overdue = (m: EngineMesh, id: string, at: number): readonly string[] => m.engine(id).flushOverdue(at, WAIT);

/** a and b, still in view 1, name nobody until the bound has passed since `t0`, then c alone. */
const cNamedAtTheBound = (m: EngineMesh, t0: number): void => {
  for (const id of ['a', 'b']) {
    expect(m.engine(id).view?.viewId, id).toBe(1);
    expect(overdue(m, id, t0), id).toEqual([]);
    expect(overdue(m, id, t0 + WAIT - 1), id).toEqual([]);
    expect(overdue(m, id, t0 + WAIT), id).toEqual(['c']);
  }
};

describe.each(['fifo', 'total'] as const)('%s: the overdue watch over a flush', (mode) => {
  it('names a participant whose report reached nobody once the bound has passed, and nobody else', () => {
    const m = withheldByC(mode, () => false);
    const t0 = m.now;
    cNamedAtTheBound(m, t0);
    // Its report comes after all: nobody is overdue, and the view change completes.
    m.setCut('c', 'a', false);
    m.setCut('c', 'b', false);
    m.linkUp('c', 'a');
    m.linkUp('c', 'b');
    m.run();
    for (const id of IDS) expect(m.engine(id).view?.viewId, id).toBe(2);
    for (const id of ['a', 'b']) expect(overdue(m, id, t0 + 2 * WAIT), id).toEqual([]);
  });

  it('names a participant whose FLUSH-OK reached nobody once every other one is in', () => {
    const m = withheldByC(mode, (f) => f.t === 'flush');
    const t0 = m.now;
    cNamedAtTheBound(m, t0);
  });

  it('does not name a reporter whose report a FLUSH-OK restates (the relay fetches it)', () => {
    const m = EngineMesh.started(mode, IDS);
    m.installView(makeView(2, IDS));
    m.setCut('c', 'a', true);
    m.run();
    // c's report reached b only; b's FLUSH-OK restating it reached a.
    for (const f of m.take('c', 'a')) if (f.t !== 'flush') m.deliverFrame('c', 'a', f);
    m.run();
    expect(m.engine('a').view?.viewId).toBe(1);
    const t0 = m.now;
    expect(overdue(m, 'a', t0)).toEqual([]);
    expect(overdue(m, 'a', t0 + 10 * WAIT)).toEqual([]);
  });
});

describe('the watch adds nothing to an honest flush', () => {
  it('a flush whose frames all arrive names nobody, during it or after', () => {
    const m = EngineMesh.started('total', IDS);
    m.send('a', 'a1');
    m.run();
    m.installView(makeView(2, IDS));
    for (const id of IDS) expect(overdue(m, id, m.now), id).toEqual([]);
    m.run();
    for (const id of IDS) {
      expect(m.engine(id).view?.viewId, id).toBe(2);
      expect(overdue(m, id, m.now + 10 * WAIT), id).toEqual([]);
    }
  });
});
