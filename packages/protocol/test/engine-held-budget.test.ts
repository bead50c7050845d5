// FIFO hold-back budget per sender (issue 12): DATA that arrives ahead of its
// sender's next seq waits behind the gap. Only the seq window (10 000 ahead)
// bounded it, so one member could park 10 000 maximum-length messages behind a
// seq it never sends (the hostile simulator's near flood). Now a sender's
// held-back DATA has a byte budget; what exceeds it is refused as that
// sender's fault, state unchanged, and what was held is delivered once the gap
// fills.

import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import { MAX_HELD_BYTES_PER_SENDER } from '../src/ordering/group-engine.ts';
import { EngineMesh, GROUP } from '../src/ordering/testing/engine-mesh.ts';
import type { DataFrame } from '../src/wire/frames.ts';

const c = asPeerId('c');

/** c's DATA `seq` in view 1 with a 4000-character body of 3-byte characters (~12 kB of JSON). */
const ahead = (seq: number): DataFrame => ({
  t: 'data',
  groupId: GROUP,
  viewId: asViewId(1),
  sender: c,
  seq,
  lamport: seq,
  sentAt: 1,
  body: `${seq} ${'€'.repeat(3990)}`,
  sig: `sig:c:${seq}`,
});

describe('hold-back budget per sender', () => {
  it("one sender's DATA behind a gap stops at its byte budget; the rest is delivered in order once the gap fills", () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    let accepted = 0;
    let refused = 0;
    for (let seq = 2; seq < 2000; seq += 1) {
      const before = JSON.stringify(m.engine('b').debugState());
      const r = m.deliverFrame('c', 'b', ahead(seq));
      if (!('rejected' in r)) accepted += 1;
      else {
        refused += 1;
        expect(r).toMatchObject({ fault: 'remote', error: { code: 'too-many' } });
        expect(JSON.stringify(m.engine('b').debugState())).toBe(before);
      }
    }
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(100);
    const held = m.engine('b').debugState().heldBytes['c'] ?? 0;
    expect(held).toBeLessThanOrEqual(MAX_HELD_BYTES_PER_SENDER);
    expect(held).toBeGreaterThan(MAX_HELD_BYTES_PER_SENDER - 20_000);

    // Another sender's gap is its own: a's DATA ahead of its next is still held.
    const a2: DataFrame = { ...ahead(2), sender: asPeerId('a'), body: 'a2', sig: 'sig:a:2' };
    expect(m.deliverFrame('a', 'b', a2)).not.toHaveProperty('rejected');

    // c's first message fills the gap: b delivers it and every held one after it, in seq order.
    m.send('c', 'c1');
    m.run();
    const bodies = [...m.bodies('b')];
    expect(bodies[0]).toBe('c1');
    expect(bodies.length).toBe(1 + accepted);
    expect(bodies.slice(1).map((b) => Number(b.split(' ')[0]))).toEqual(
      Array.from({ length: accepted }, (_, i) => i + 2),
    );
    expect(m.engine('b').debugState().heldBytes['c']).toBeUndefined();
  });
});
