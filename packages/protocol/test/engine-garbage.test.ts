import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asPeerId } from '../src/ids.ts';
import { EngineMesh, GROUP } from '../src/ordering/testing/engine-mesh.ts';
import type { EngineFrame } from '../src/wire/frames.ts';

// Frames that got past a (hypothetically lax) parser: the engine must answer with a result, never throw,
// and a rejection must leave its state exactly as it was.
const anyValue = fc.oneof(
  fc.integer({ min: -3, max: 60 }),
  fc.constantFrom('a', 'b', 'c', 'zed', '', null, undefined, 1.5, Number.MAX_SAFE_INTEGER + 2),
  fc.constant({}),
  fc.constant([]),
);
const priority = fc.oneof(anyValue, fc.record({ p: anyValue, by: anyValue }));
const frame = fc.record({
  t: fc.constantFrom('data', 'propose', 'final', 'flush', 'hwm', 'chunk'),
  groupId: fc.constantFrom(GROUP, 'other'),
  viewId: fc.oneof(fc.integer({ min: 0, max: 3 }), anyValue),
  sender: anyValue,
  seq: anyValue,
  lamport: anyValue,
  sentAt: anyValue,
  body: anyValue,
  sig: anyValue,
  priority,
  proposal: fc.option(priority, { nil: undefined }),
  agreed: anyValue,
  delivered: fc.oneof(fc.dictionary(fc.constantFrom('a', 'b', 'c'), anyValue), anyValue),
  unstable: fc.oneof(fc.array(anyValue, { maxLength: 2 }), anyValue),
  pending: fc.oneof(
    fc.array(fc.record({ sender: anyValue, seq: anyValue, proposed: priority }), { maxLength: 2 }),
    anyValue,
  ),
});

describe('garbage frames', () => {
  it('never make the engine throw, and a rejected one changes nothing', () => {
    fc.assert(
      fc.property(frame, fc.constantFrom('a', 'b', 'c'), fc.constantFrom('fifo', 'total'), (f, from, mode) => {
        const m = EngineMesh.started(mode, ['a', 'b', 'c']);
        m.send('b', 'hello');
        m.step('b', 'a');
        const e = m.engine('a');
        const before = JSON.stringify(e.debugState());
        const r = e.receive(asPeerId(from), f as unknown as EngineFrame, 100);
        if ('rejected' in r) {
          expect(r.error.message.length).toBeGreaterThan(10);
          expect(JSON.stringify(e.debugState())).toBe(before);
        }
      }),
      { numRuns: 300, seed: 20261121 },
    );
  });
});
