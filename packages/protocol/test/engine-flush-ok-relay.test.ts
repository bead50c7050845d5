// A participant that withholds its FLUSH-OK from some members, or sends them one they refuse
// (PROTOCOL.md §3.4 "Relay"): a member that holds every report and sent its own FLUSH-OK, and lacks
// that participant's, asks a participant whose FLUSH-OK it holds for it once it has waited
// RELAY_WAIT_MS, and takes the relayed copy (the runtime checks its sender's signature). Before the
// relay, the victims waited for the withholder to leave.

import { describe, expect, it } from 'vitest';
import { asPeerId } from '../src/ids.ts';
import { RELAY_WAIT_MS } from '../src/ordering/flush-relay.ts';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { EngineFrame, FlushOkFrame } from '../src/wire/frames.ts';

const IDS = ['a', 'b', 'c'];
const isOk = (f: EngineFrame): f is FlushOkFrame => f.t === 'flush-ok';
const asks = (m: EngineMesh, from: string): EngineFrame[] =>
  IDS.filter((p) => p !== from).flatMap((p) => m.pending(from, p).filter((f) => f.t === 'flush-ask'));

/** a, b, c with a message each, then view 2 (same members), c's FLUSH-OK never reaching a. */
const okWithheldFromA = (mode: 'fifo' | 'total'): { m: EngineMesh; ok: FlushOkFrame } => {
  const m = EngineMesh.started(mode, IDS);
  for (const id of IDS) m.send(id, `${id}1`);
  m.run();
  m.send('c', 'c2'); // unstable at the view change
  m.installView(makeView(2, IDS));
  m.setCut('c', 'a', true);
  m.run();
  const fromC = m.take('c', 'a');
  const ok = fromC.find(isOk);
  if (ok === undefined) throw new Error('c sent a no FLUSH-OK');
  for (const f of fromC.filter((f) => !isOk(f))) m.deliverFrame('c', 'a', f);
  m.setCut('c', 'a', false);
  m.run();
  return { m, ok };
};

describe.each(['fifo', 'total'] as const)('%s: a FLUSH-OK withheld from one member', (mode) => {
  it("is relayed on its sender's word by a member whose FLUSH-OK it holds, and every member installs alike", () => {
    const { m } = okWithheldFromA(mode);
    expect(m.engine('a').view?.viewId).toBe(1);
    for (const id of ['b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(2);
    m.tick('a', m.now);
    expect(asks(m, 'a')).toEqual([]);
    m.tick('a', m.now + RELAY_WAIT_MS);
    // Asked of b (installed already: it answers from the flush it resolved), never of c itself.
    expect(asks(m, 'a')).toEqual([{ t: 'flush-ask', groupId: 'g1', viewId: 2, reporter: 'c', kind: 'flush-ok' }]);
    expect(m.pending('a', 'b').some((f) => f.t === 'flush-ask')).toBe(true);
    m.step('a', 'b');
    expect(m.pending('b', 'a')).toEqual([expect.objectContaining({ t: 'flush-ok', sender: 'c', viewId: 2 })]);
    m.run();
    for (const id of IDS) {
      expect(m.engine(id).view?.viewId, id).toBe(2);
      if (mode === 'total') expect(m.orders(id), id).toEqual(m.orders('b'));
      expect([...m.bodies(id)].sort(), id).toEqual([...m.bodies('b')].sort());
    }
    expect(m.bodies('a')).toContain('c2');
    expect(m.rejections).toEqual([]);
  });

  it('without the relay (no tick past the wait) the member never installs: the stall the relay closes', () => {
    const { m } = okWithheldFromA(mode);
    m.tick('a', m.now + RELAY_WAIT_MS - 1);
    m.run();
    expect(m.engine('a').view?.viewId).toBe(1);
  });

  it('refuses a FLUSH-OK relayed by, or for, a peer outside the flush, and still takes the true one', () => {
    const { m, ok } = okWithheldFromA(mode);
    const stranger = m.deliverFrame('b', 'a', { ...ok, sender: asPeerId('z') });
    expect(stranger).toMatchObject({ rejected: true, error: { code: 'not-member' } });
    expect(m.engine('a').view?.viewId).toBe(1);
    m.deliverFrame('b', 'a', { ...ok, sender: asPeerId('c') });
    m.run();
    expect(m.engine('a').view?.viewId).toBe(2);
  });
});

describe('the FLUSH-OK relay adds nothing to an honest flush', () => {
  it('a flush whose FLUSH-OKs all arrive asks for none, however late the ticks', () => {
    const m = EngineMesh.started('total', IDS);
    m.send('a', 'a1');
    m.run();
    m.installView(makeView(2, IDS));
    m.run();
    for (const id of IDS) {
      m.tick(id, m.now + 10 * RELAY_WAIT_MS);
      expect(asks(m, id), id).toEqual([]);
      expect(m.engine(id).view?.viewId, id).toBe(2);
    }
  });

  it('an ask for a FLUSH-OK of a flush the asked member knows nothing of is ignored', () => {
    const m = EngineMesh.started('total', IDS);
    const r = m.deliverFrame('a', 'b', {
      t: 'flush-ask',
      groupId: m.engine('b').groupId,
      viewId: 9 as never,
      reporter: asPeerId('c'),
      kind: 'flush-ok',
    });
    expect(r).toEqual({ frames: [], deliveries: [], events: [] });
  });
});
