// The hold-back heap must name the same head as a scan of the queue in
// admission order would (the engine's old way), whatever sequence of
// admissions, priority changes (up or down) and deliveries happens.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, messageId } from '../src/ids.ts';
import type { MessageId } from '../src/ids.ts';
import { HoldBackHeap } from '../src/ordering/hold-back-heap.ts';
import { comparePriority } from '../src/ordering/priority.ts';
import type { Priority } from '../src/wire/frames.ts';

type Op =
  { k: 'admit'; p: number; by: number } | { k: 'change'; pick: number; p: number; by: number } | { k: 'deliver' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constant('admit' as const),
    p: fc.integer({ min: 1, max: 30 }),
    by: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({
    k: fc.constant('change' as const),
    pick: fc.nat(),
    p: fc.integer({ min: 1, max: 30 }),
    by: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ k: fc.constant('deliver' as const) }),
);

const BY = ['a', 'b', 'c'].map(asPeerId);

describe('hold-back heap', () => {
  it('always names the head a scan of the queue in admission order names', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const queue = new Map<MessageId, Priority>();
        const heap = new HoldBackHeap(comparePriority);
        const admittedAt = new Map<MessageId, number>();
        let n = 0;
        const scanHead = (): MessageId | null => {
          let head: [MessageId, Priority] | null = null;
          for (const e of queue) if (head === null || comparePriority(e[1], head[1]) < 0) head = e;
          return head?.[0] ?? null;
        };
        for (const o of ops) {
          if (o.k === 'admit') {
            const id = messageId(asGroupId('g'), asPeerId('s'), ++n);
            const pr = { p: o.p, by: BY[o.by] as Priority['by'] };
            queue.set(id, pr);
            admittedAt.set(id, n);
            heap.push(id, pr, n);
          } else if (o.k === 'change') {
            const ids = [...queue.keys()];
            const id = ids[o.pick % Math.max(1, ids.length)];
            if (id === undefined) continue;
            const pr = { p: o.p, by: BY[o.by] as Priority['by'] };
            queue.set(id, pr);
            heap.push(id, pr, admittedAt.get(id) as number);
          } else {
            const top = heap.peek((id) => queue.get(id));
            expect(top?.id ?? null).toBe(scanHead());
            if (top !== null) {
              heap.pop();
              queue.delete(top.id);
            }
          }
          expect(heap.peek((id) => queue.get(id))?.id ?? null).toBe(scanHead());
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
