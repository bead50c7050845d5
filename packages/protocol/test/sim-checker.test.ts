// The checker on hand-made histories: it accepts a consistent run and names
// the guarantee each kind of wrong delivery breaks. (The simulator tests show
// it catches real engines; these show each rule can fail on its own.)

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, frameMessageId } from '../src/ids.ts';
import type { Delivery } from '../src/ordering/engine.ts';
import type { DataFrame } from '../src/wire/frames.ts';
import { Checker, ViolationError } from '../sim/checker.ts';
import type { Guarantee } from '../sim/checker.ts';
import { fakeSign } from '../sim/fake-signature.ts';

const g = asGroupId('g');
const A = asPeerId('a');
const B = asPeerId('b');
const C = asPeerId('c');
const v1 = asViewId(1);
const v2 = asViewId(2);

const frame = (sender: typeof A, seq: number, body = `${sender}${seq}`): DataFrame => {
  const fields = { groupId: g, viewId: v1, sender, seq, lamport: seq, sentAt: 0, body };
  return { ...fields, t: 'data', sig: fakeSign(fields) };
};
/** Total-order keys begin with the incarnation (order-key.ts); these tests live in incarnation 1. */
const delivery = (f: DataFrame, order: string, viewId = v1): Delivery => ({
  id: frameMessageId(f),
  frame: f,
  order: `0000000000000001:${order}`,
  viewId,
});

const violationOf = (fn: () => void): Guarantee | null => {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof ViolationError) return e.violation.rule;
    throw e;
  }
};

/** A total-order checker where a, b and c installed view 1 and a sent a1, a2 and b sent b1. */
const setup = (mode: 'fifo' | 'total' = 'total') => {
  const c = new Checker(mode);
  for (const p of [A, B, C]) c.onViewInstalled(p, v1, true);
  const a1 = frame(A, 1);
  const a2 = frame(A, 2);
  const b1 = frame(B, 1);
  for (const f of [a1, a2, b1]) c.onSent(f);
  return { c, a1, a2, b1 };
};

describe('checker', () => {
  it('accepts members that deliver one log and move to the next view together', () => {
    const { c, a1, a2, b1 } = setup();
    expect(
      violationOf(() => {
        for (const p of [A, B, C]) {
          c.onDeliver(p, delivery(a1, '1:a'), false);
          c.onDeliver(p, delivery(b1, '2:b'), false);
          c.onDeliver(p, delivery(a2, '3:a'), false);
          c.onViewInstalled(p, v2, true);
        }
        c.checkLiveness([A, B, C], new Set(), new Map([[A, 0]]));
      }),
    ).toBe(null);
  });

  it('S1: a message delivered twice', () => {
    const { c, a1 } = setup('fifo');
    c.onDeliver(A, delivery(a1, '1'), false);
    expect(violationOf(() => c.onDeliver(A, delivery(a1, '1'), false))).toBe('S1');
  });

  it('S2: a message nobody sent, or one altered after signing', () => {
    const { c, a1 } = setup('fifo');
    expect(violationOf(() => c.onDeliver(A, delivery(frame(C, 1), '1'), false))).toBe('S2');
    const altered = { ...a1, body: 'forged' };
    expect(violationOf(() => c.onDeliver(B, delivery(altered, '1'), false))).toBe('S2');
    const resigned = { ...altered, sig: fakeSign(altered) };
    expect(violationOf(() => c.onDeliver(C, delivery(resigned, '1'), false))).toBe('S2');
  });

  it("S3: a sender's second message before its first", () => {
    const { c, a2 } = setup('fifo');
    expect(violationOf(() => c.onDeliver(A, delivery(a2, '2'), false))).toBe('S3');
  });

  it('S4: two members order two messages differently, even if one of them crashed later', () => {
    const { c, a1, b1 } = setup();
    c.onDeliver(A, delivery(a1, '1:a'), false);
    expect(violationOf(() => c.onDeliver(B, delivery(b1, '1:a'), false))).toBe('S4');
  });

  it('S4: members in the group store one key per message; a sender that crashed before its FINAL left may differ', () => {
    const { c, a1 } = setup();
    c.onDeliver(A, delivery(a1, '1:b'), false);
    c.onGone(A);
    expect(violationOf(() => c.onDeliver(B, delivery(a1, '2:c'), false))).toBe(null);
    expect(violationOf(() => c.onDeliver(C, delivery(a1, '3:c'), false))).toBe('S4');
  });

  it('S4: the same agreed order key for two messages, or a log that does not sort by its keys', () => {
    const { c, a1, b1 } = setup();
    c.onDeliver(A, delivery(a1, '5:a'), false);
    expect(violationOf(() => c.onDeliver(A, delivery(b1, '4:b'), false))).toBe('S4');
    const d = setup();
    d.c.onDeliver(A, delivery(d.a1, '5:a'), false);
    expect(violationOf(() => d.c.onDeliver(B, delivery(d.a1, '6:a'), false))).toBe('S4');
  });

  it('S4 does not apply to FIFO groups: members may interleave senders differently', () => {
    const { c, a1, b1 } = setup('fifo');
    expect(
      violationOf(() => {
        c.onDeliver(A, delivery(a1, 'x'), false);
        c.onDeliver(A, delivery(b1, 'y'), false);
        c.onDeliver(B, delivery(b1, 'y'), false);
        c.onDeliver(B, delivery(a1, 'x'), false);
      }),
    ).toBe(null);
  });

  it('S5: two members move to the same next view having delivered different sets', () => {
    const { c, a1 } = setup('fifo');
    c.onDeliver(A, delivery(a1, '1'), false);
    c.onViewInstalled(A, v2, true);
    expect(violationOf(() => c.onViewInstalled(B, v2, true))).toBe('S5');
  });

  it('S5: a delivery tagged with a view other than the installed one', () => {
    const { c, a1 } = setup('fifo');
    expect(violationOf(() => c.onDeliver(A, delivery(a1, '1', v2), false))).toBe('S5');
  });

  it('S6: P or A going down', () => {
    const { c } = setup();
    c.onCounters(A, { P: 3, A: 2 });
    expect(violationOf(() => c.onCounters(A, { P: 2, A: 2 }))).toBe('S6');
    expect(violationOf(() => c.onCounters(B, { A: 5 }))).toBe(null);
    expect(violationOf(() => c.onCounters(B, { A: 4 }))).toBe('S6');
  });

  it('S7: a joiner handed history after it delivered on its own; S7/L3: a joiner ending with another log', () => {
    const { c, a1, b1 } = setup();
    c.onViewInstalled(C, v2, true);
    c.onDeliver(C, delivery(b1, '3:b', v2), false);
    expect(violationOf(() => c.onHistory(C, [delivery(a1, '1:a')], A))).toBe('S7');
    const d = setup();
    // b1's sender b is gone; survivor c has it, joiner j was handed an empty history.
    d.c.onDeliver(C, delivery(d.b1, '1:b'), false);
    d.c.onHistory(asPeerId('j'), [], C);
    expect(violationOf(() => d.c.checkLiveness([C, asPeerId('j')], new Set([asPeerId('j')]), new Map()))).toBe('S7');
  });

  it('S4 across incarnations: a new era beside a stale one is fine, a key naming the wrong incarnation is not', () => {
    const c = new Checker('total');
    c.onFreshStart(A, v1); // the creator: era of incarnation 1
    for (const p of [A, B]) c.onViewInstalled(p, v1, true);
    const a1 = frame(A, 1);
    const c1 = frame(C, 1);
    const c2 = frame(C, 2);
    for (const f of [a1, c1, c2]) c.onSent(f);
    c.onGone(A);
    c.onGone(B);
    // C starts afresh in view 5 while B, removed unawares, still delivers in incarnation 1.
    c.onFreshStart(C, asViewId(5));
    c.onViewInstalled(C, asViewId(5), true);
    c.onDeliver(C, { ...delivery(c1, ''), order: '0000000000000005:0000000000000001:c', viewId: asViewId(5) }, false);
    expect(violationOf(() => c.onDeliver(B, delivery(a1, '0000000000000001:b'), false))).toBe(null);
    // An engine that kept the old incarnation in the new era forks it: caught.
    expect(
      violationOf(() =>
        c.onDeliver(
          C,
          { ...delivery(c2, ''), order: '0000000000000001:0000000000000002:c', viewId: asViewId(5) },
          false,
        ),
      ),
    ).toBe('S4');
  });

  it("L1: a surviving sender's message missing at a survivor; L2: a hold-back queue left non-empty", () => {
    const { c, a1 } = setup('fifo');
    c.onDeliver(A, delivery(a1, '1'), false);
    expect(violationOf(() => c.checkLiveness([A, B], new Set(), new Map()))).toBe('L1');
    const d = setup('fifo');
    expect(violationOf(() => d.c.checkLiveness([C], new Set(), new Map([[C, 1]])))).toBe('L2');
  });

  it("L1 forgives a dead sender's lost message; L3 still wants equal logs", () => {
    const { c, b1 } = setup('fifo');
    // a and b died; a1, a2 reached nobody: fine. b1 reached only C: L3 against a survivor D without it.
    const D = asPeerId('d');
    c.onViewInstalled(D, v1, true);
    c.onDeliver(C, delivery(b1, '1'), false);
    expect(violationOf(() => c.checkLiveness([C], new Set(), new Map()))).toBe(null);
    expect(violationOf(() => c.checkLiveness([C, D], new Set(), new Map()))).toBe('L3');
  });
});
