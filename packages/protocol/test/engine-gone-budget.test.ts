// FLUSH frames that departed peers sent for later views (PROTOCOL.md §7.5,
// H4): one budget for all of them and their two newest views each, so a liar
// that floods far views and comes back under new peer ids leaves a bounded
// amount behind, while a reloaded session's FLUSH for the view it takes part
// in next still waits for that view.

import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import { MAX_BUFFERED_BYTES_GONE, MAX_GONE_VIEWS } from '../src/ordering/frame-gate.ts';
import { EngineMesh, GROUP, makeView } from '../src/ordering/testing/engine-mesh.ts';
import { GENESIS_PREV } from '../src/wire/chain.ts';
import { MAX_BODY_CHARS } from '../src/wire/caps.ts';
import type { DataFrame, FlushFrame } from '../src/wire/frames.ts';

const body = 'x'.repeat(MAX_BODY_CHARS);

/** A made-up FLUSH report of `from` for view `viewId`, ~0.9 MB. */
const bigFlush = (from: string, viewId: number): FlushFrame => {
  const unstable: DataFrame[] = Array.from({ length: 220 }, (_, k) => ({
    t: 'data',
    groupId: GROUP,
    viewId: asViewId(1),
    sender: asPeerId(from),
    seq: k + 1,
    lamport: 1,
    sentAt: 1,
    body,
    prev: GENESIS_PREV,
    sig: `sig:${from}:${k}`,
  }));
  return { t: 'flush', groupId: GROUP, viewId: asViewId(viewId), unstable, pending: [], agreed: 0, delivered: {} };
};

const bufferedBy = (m: EngineMesh, at: string): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  for (const f of m.engine(at).debugState().bufferedFrames) {
    const [from, what] = f.split(':') as [string, string];
    out.set(from, [...(out.get(from) ?? []), what]);
  }
  return out;
};

describe.each(['fifo', 'total'] as const)('%s: FLUSH frames of peers a view leaves out', (mode) => {
  it('stay within one budget for all of them, the two newest views of each', () => {
    // Ten departed peer ids (one liar coming back under new ids), each with reports for three far views.
    const liars = Array.from({ length: 10 }, (_, i) => `liar${i}`);
    const m = EngineMesh.started(mode, ['a', 'b', ...liars]);
    for (const id of liars) m.crash(id);
    for (const id of liars)
      for (const v of [2000, 1000, 3000]) expect('rejected' in m.deliverFrame(id, 'a', bigFlush(id, v))).toBe(false);
    const before = m.engine('a').debugState().bufferedBytes;
    expect(Object.values(before).reduce((x, y) => x + y, 0)).toBeGreaterThan(MAX_BUFFERED_BYTES_GONE);

    m.installView(
      makeView(
        2,
        ['a', 'b'],
        liars.map((id): [string, 'failed'] => [id, 'failed']),
      ),
    );
    m.run();
    expect(m.engine('a').view?.viewId).toBe(2);
    const after = m.engine('a').debugState().bufferedBytes;
    const total = Object.values(after).reduce((x, y) => x + y, 0);
    expect(total).toBeGreaterThan(MAX_BUFFERED_BYTES_GONE / 2);
    expect(total).toBeLessThanOrEqual(MAX_BUFFERED_BYTES_GONE);
    // Past the shared budget the peers with the most bytes go first, whole: here one of the ten.
    expect(bufferedBy(m, 'a').size).toBe(9);
    for (const [id, frames] of bufferedBy(m, 'a')) {
      expect(frames.length, id).toBeLessThanOrEqual(MAX_GONE_VIEWS);
      // The newest views stay: what a later session of that peer id would still need.
      expect(frames.sort(), id).toEqual(['flush@2000', 'flush@3000']);
    }
  });

  it("leaves a joiner's FLUSH frames for the views after it alone (it never was a member here)", () => {
    const m = EngineMesh.started(mode, ['a', 'b']);
    for (const v of [4, 5, 6]) expect('rejected' in m.deliverFrame('j', 'a', bigFlush('j', v))).toBe(false);
    m.installView(makeView(2, ['a', 'b']));
    m.run();
    expect(bufferedBy(m, 'a').get('j')?.sort()).toEqual(['flush@4', 'flush@5', 'flush@6']);
  });

  it("keeps a reloaded session's FLUSH for the view it takes part in, which then completes", () => {
    const m = EngineMesh.started(mode, ['a', 'b', 'x']);
    m.send('a', 'a1');
    m.run();
    // x reloads: a new engine under the same peer id, which the tracker re-adds (view 3) and keeps (view 4).
    m.crash('x');
    m.add('x');
    m.installView(makeView(2, ['a', 'b'], [['x', 'failed']]), ['b']);
    m.installView(makeView(3, ['a', 'b', 'x'], [['x', 'joined']]), ['x']);
    m.installView(makeView(4, ['a', 'b', 'x']), ['x']);
    // The new session's FLUSH for view 4 reaches a before a has even heard of view 2.
    m.runHolding('b', 'a', () => true);
    expect(bufferedBy(m, 'a').get('x')).toEqual(['flush@4']);
    m.installView(makeView(2, ['a', 'b'], [['x', 'failed']]), ['a']);
    m.run();
    expect(m.engine('a').view?.viewId).toBe(2);
    expect(bufferedBy(m, 'a').get('x')).toEqual(['flush@4']);
    m.installView(makeView(3, ['a', 'b', 'x'], [['x', 'joined']]), ['a', 'b']);
    m.installView(makeView(4, ['a', 'b', 'x']), ['a', 'b']);
    m.run();
    for (const id of ['a', 'b', 'x']) expect(m.engine(id).view?.viewId, id).toBe(4);
    expect(m.bodies('b')).toEqual(['a1']);
  });
});
