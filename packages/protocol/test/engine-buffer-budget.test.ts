// Future-view frames (issue 12, finding 6): frames for a view this member has
// not installed wait in a buffer. It was capped at 10 000 frames for everyone
// together, so one member's unsigned FLUSH frames for made-up views (up to
// 1 MiB each) could fill the heap and crowd out the others. Now each peer has
// its own byte and frame budget; what exceeds it is refused as that peer's
// fault, state unchanged, and honest peers' buffered frames still arrive.

import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import { MAX_BUFFERED_BYTES_PER_PEER } from '../src/ordering/group-engine.ts';
import { EngineMesh, GROUP, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { DataFrame, FlushFrame } from '../src/wire/frames.ts';

const c = asPeerId('c');

/**
 * A FLUSH for a made-up future view, ~260 kB: 64 DATA of 4000 characters (unsigned: the engine checks no signatures).
 */
const bomb = (viewId: number): FlushFrame => {
  const unstable: DataFrame[] = Array.from({ length: 64 }, (_, i) => ({
    t: 'data',
    groupId: GROUP,
    viewId: asViewId(1),
    sender: c,
    seq: i + 1,
    lamport: 1,
    sentAt: 1,
    body: 'x'.repeat(4000),
    sig: `sig:c:${i}`,
  }));
  return { t: 'flush', groupId: GROUP, viewId: asViewId(viewId), unstable, pending: [], agreed: 0, delivered: {} };
};

describe('future-view buffer budget per peer', () => {
  it('300 large FLUSH frames for future views from one peer stop at its byte budget; the others still get through and the view change completes', () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    m.send('a', 'a1');
    m.run();
    // a and c move to view 2 first: their FLUSH frames reach b before the tracker's view does (buffered).
    m.installView(makeView(2, ['a', 'b', 'c']), ['a', 'c']);
    m.run();
    expect(m.engine('b').debugState().buffered).toBe(2);

    let accepted = 0;
    let refused = 0;
    for (let v = 10; v < 310; v += 1) {
      const before = JSON.stringify(m.engine('b').debugState());
      const r = m.deliverFrame('c', 'b', bomb(v));
      if (!('rejected' in r)) accepted += 1;
      else {
        refused += 1;
        expect(r).toMatchObject({ fault: 'remote', error: { code: 'too-many' } });
        expect(JSON.stringify(m.engine('b').debugState())).toBe(before);
      }
    }
    expect(refused).toBeGreaterThan(200);
    expect(accepted).toBeGreaterThan(10);
    const use = m.engine('b').debugState().bufferedBytes;
    expect(use['c']).toBeLessThanOrEqual(MAX_BUFFERED_BYTES_PER_PEER);
    expect(use['a']).toBeLessThan(10_000);

    // a's budget is its own: its frames for a later view are still taken while c's is full.
    const ahead: DataFrame = {
      t: 'data',
      groupId: GROUP,
      viewId: asViewId(3),
      sender: asPeerId('a'),
      seq: 9,
      lamport: 9,
      sentAt: 9,
      body: 'later',
      sig: 'sig:a:9',
    };
    expect(m.deliverFrame('a', 'b', ahead)).not.toHaveProperty('rejected');

    m.installView(makeView(2, ['a', 'b', 'c']), ['b']);
    m.run();
    m.send('b', 'b1');
    m.send('c', 'c1');
    m.run();
    for (const id of ['a', 'b', 'c']) {
      expect(m.engine(id).view?.viewId, id).toBe(2);
      expect([...m.bodies(id)].sort(), id).toEqual(['a1', 'b1', 'c1']);
    }
  });
});
