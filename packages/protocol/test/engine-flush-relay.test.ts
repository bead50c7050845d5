// A participant that withholds its FLUSH report from some members (PROTOCOL.md §3.4 "Relay"): a member
// that holds a FLUSH-OK restating the report, and no report of that reporter, asks the FLUSH-OK's
// sender for it once it has waited RELAY_WAIT_MS, and takes the relayed copy if it hashes to the hash
// the reporter signed. Before the relay, the view change waited for the withholder to leave.

import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import { MAX_RELAY_BACKOFF, RELAY_WAIT_MS } from '../src/ordering/flush-relay.ts';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { EngineFrame, FlushFrame } from '../src/wire/frames.ts';

const isFlush = (f: EngineFrame): f is FlushFrame => f.t === 'flush';

/** a, b, c with one message each delivered, then view 2 (same members), c's FLUSH never reaching a. */
const withheldFromA = (mode: 'fifo' | 'total'): EngineMesh => {
  const m = EngineMesh.started(mode, ['a', 'b', 'c']);
  for (const id of ['a', 'b', 'c']) m.send(id, `${id}1`);
  m.run();
  m.send('c', 'c2'); // unstable at the view change: in c's report
  m.installView(makeView(2, ['a', 'b', 'c']));
  m.runHolding('c', 'a', () => true);
  const fromC = m.take('c', 'a');
  // c's FLUSH is withheld; whatever else it sent a (its DATA, its FLUSH-OK) arrives.
  for (const f of fromC.filter((f) => !isFlush(f))) m.deliverFrame('c', 'a', f);
  m.run();
  return m;
};

describe.each(['fifo', 'total'] as const)('%s: a FLUSH report withheld from one member', (mode) => {
  it('is relayed by a member whose FLUSH-OK restates it, and every member installs the view alike', () => {
    const m = withheldFromA(mode);
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(1);
    m.tick('a', m.now);
    expect(m.pending('a', 'b').filter((f) => f.t === 'flush-ask')).toEqual([]);
    m.tick('a', m.now + RELAY_WAIT_MS);
    const asks = [...m.pending('a', 'b'), ...m.pending('a', 'c')].filter((f) => f.t === 'flush-ask');
    // Asked of b, whose FLUSH-OK restates c's report (never of c itself), for the hash c signed.
    expect(asks).toEqual([
      expect.objectContaining({ t: 'flush-ask', viewId: 2, reporter: 'c', report: expect.any(String) }),
    ]);
    expect(m.pending('a', 'b').some((f) => f.t === 'flush-ask')).toBe(true);
    m.step('a', 'b');
    expect(m.pending('b', 'a')).toEqual([expect.objectContaining({ t: 'flush', reporter: 'c', viewId: 2 })]);
    m.run();
    for (const id of ['a', 'b', 'c']) {
      expect(m.engine(id).view?.viewId, id).toBe(2);
      // FIFO promises each sender's order (every member delivers the same set); total order one order.
      if (mode === 'total') expect(m.orders(id), id).toEqual(m.orders('b'));
      expect([...m.bodies(id)].sort(), id).toEqual([...m.bodies('b')].sort());
    }
    expect(m.bodies('a')).toContain('c2');
    expect(m.rejections).toEqual([]);
  });

  it('without the relay (no tick past the wait) nobody installs: the stall the relay closes', () => {
    const m = withheldFromA(mode);
    m.tick('a', m.now + RELAY_WAIT_MS - 1);
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(1);
  });
});

describe('the relay adds nothing to an honest flush', () => {
  it('a report late by less than the wait is not asked for', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('a', 'a1');
    m.run();
    m.installView(makeView(2, ['a', 'b', 'c']));
    m.runHolding('c', 'a', () => true);
    m.tick('a', m.now);
    m.tick('a', m.now + RELAY_WAIT_MS - 1);
    expect([...m.pending('a', 'b'), ...m.pending('a', 'c')].filter((f) => f.t === 'flush-ask')).toEqual([]);
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(2);
  });

  it('a report whose parts are still coming from its reporter is not asked for', () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    m.installView(makeView(2, ['a', 'b', 'c']));
    m.runHolding('c', 'a', () => true);
    const fromC = m.take('c', 'a');
    const flush = fromC.find(isFlush)!;
    // c's report in two parts: the first arrives, the second is on its way.
    const part = (index: number): FlushFrame => ({ ...flush, part: { index, count: 2 } });
    m.deliverFrame('c', 'a', part(0));
    m.tick('a', m.now);
    m.deliverFrame('c', 'a', part(0)); // a repeat is no progress
    m.tick('a', m.now + RELAY_WAIT_MS);
    expect(m.pending('a', 'b').filter((f) => f.t === 'flush-ask')).toHaveLength(1);
  });
});

describe('a relayed report is the reporter’s word, or refused', () => {
  it('a relayed report that is not the one its reporter signed is refused, and a true one still completes the flush', () => {
    const m = withheldFromA('total');
    m.tick('a', m.now);
    m.tick('a', m.now + RELAY_WAIT_MS);
    m.step('a', 'b');
    const [relayed] = m.take('b', 'a') as [FlushFrame];
    const before = m.engine('a').debugState();
    const forged: FlushFrame = { ...relayed, agreed: relayed.agreed + 1 };
    const r = m.deliverFrame('b', 'a', forged);
    expect(r).toMatchObject({ rejected: true, error: { code: 'bad-signature' } });
    expect(m.engine('a').debugState()).toEqual(before);
    // One naming a reporter that takes no part in this flush is refused too.
    const stranger = m.deliverFrame('b', 'a', { ...relayed, reporter: asPeerId('z') });
    expect(stranger).toMatchObject({ rejected: true, error: { code: 'not-member' } });
    m.deliverFrame('b', 'a', relayed);
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(2);
  });

  it('asks are answered once per wait per asker (no amplification), and not for a hash the holder does not hold', () => {
    const m = withheldFromA('fifo');
    const ask = (hash: string): EngineFrame => ({
      t: 'flush-ask',
      groupId: m.engine('b').groupId,
      viewId: asViewId(2),
      reporter: asPeerId('c'),
      report: hash,
    });
    m.tick('a', m.now);
    m.tick('a', m.now + RELAY_WAIT_MS);
    const real = m.take('a', 'b').find((f) => f.t === 'flush-ask')!;
    m.deliverFrame('a', 'b', real);
    m.deliverFrame('a', 'b', real);
    m.deliverFrame('a', 'b', ask(`${'Q'.repeat(42)}A=`));
    expect(m.pending('b', 'a').filter(isFlush)).toHaveLength(1);
    m.tick('b', m.now + RELAY_WAIT_MS);
    m.deliverFrame('a', 'b', real);
    expect(m.pending('b', 'a').filter(isFlush)).toHaveLength(2);
  });
});

describe('asks that bring nothing back off', () => {
  it('each round of asks whose answers are lost doubles the wait, and the report still comes', () => {
    const m = withheldFromA('fifo');
    const start = m.now;
    let asks = 0;
    for (let t = start; t <= start + 10 * RELAY_WAIT_MS; t += 100) {
      m.tick('a', t);
      asks += m.take('a', 'b').filter((f) => f.t === 'flush-ask').length;
    }
    // Asked at W, 3W and 7W (not every W): the answers never came (taken off the link here).
    expect(asks).toBe(3);
    expect(MAX_RELAY_BACKOFF).toBeGreaterThan(0);
    m.tick('a', start + 16 * RELAY_WAIT_MS);
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(2);
  });
});
