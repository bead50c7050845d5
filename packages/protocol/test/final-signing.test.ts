// Our FINALs leave signed (src/session/final-signing.ts, PROTOCOL.md §3.3
// "Signed FINALs"): the first send of an unsigned FINAL asks for a signature,
// every send behind it waits (so each link keeps the engine's order), and a
// FINAL sent again goes at once with the signature made before. Our FLUSH
// reports the same (§3.4 "Signed reports"): one signature for every part.

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId } from '../src/ids.ts';
import { FinalSigning } from '../src/session/final-signing.ts';
import type { SessionCommand } from '../src/session/session-types.ts';
import { finalFieldsOf } from '../src/wire/canonical.ts';
import type { FinalFrame, FinalItem, FlushFrame, GroupFrame } from '../src/wire/frames.ts';

const [A, B] = [asPeerId('a'), asPeerId('b')];
const final: FinalFrame = {
  t: 'final',
  groupId: asGroupId('g'),
  viewId: asViewId(1),
  sender: A,
  seq: 1,
  priority: { p: 3, by: B },
  version: 'v',
};
const hwm: GroupFrame = { t: 'hwm', groupId: asGroupId('g'), viewId: asViewId(1), delivered: {} };
const send = (to: typeof A, frame: GroupFrame): SessionCommand => ({ type: 'send', to, frame });
/** An unsigned FLUSH report for view 2, hashed (`report`). */
const unsigned: FlushFrame = {
  t: 'flush',
  groupId: asGroupId('g'),
  viewId: asViewId(2),
  unstable: [],
  pending: [],
  agreed: 0,
  delivered: {},
  report: 'H',
};

describe('FinalSigning', () => {
  it('holds every send behind a FINAL out for signing, then releases them in order, the FINAL signed', () => {
    const s = new FinalSigning(A);
    expect(s.pass({ type: 'phase', phase: 'member' })).toEqual([{ type: 'phase', phase: 'member' }]);
    // A FINAL waits for the end of the turn, and every send after it with it.
    expect(s.pass(send(B, final))).toEqual([]);
    expect(s.pass(send(asPeerId('c'), final))).toEqual([]);
    expect(s.pass(send(B, hwm))).toEqual([]);
    expect(s.turnOpen).toBe(true);
    // A lone FINAL is signed alone (one signature for every copy).
    expect(s.endTurn()).toEqual([{ type: 'sign-final', final: finalFieldsOf(final) }]);
    expect(s.turnOpen).toBe(false);
    // A stray answer releases nothing.
    expect(s.signed({ type: 'sign-final', final: { ...final, seq: 2 } }, 'x')).toEqual([]);
    expect(s.signed({ type: 'sign-final', final }, 'SIG')).toEqual([
      send(B, { ...final, sig: 'SIG' }),
      send(asPeerId('c'), { ...final, sig: 'SIG' }),
      send(B, hwm),
    ]);
    // Nothing waits now, and a repair's resend of the same FINAL takes the signature made before.
    expect(s.pass(send(B, hwm))).toEqual([send(B, hwm)]);
    expect(s.pass(send(B, final))).toEqual([]);
    expect(s.endTurn()).toEqual([send(B, { ...final, sig: 'SIG' })]);
  });

  it("signs a turn's FINALs once, as one list that every link gets once; a resend of one carries the list again", () => {
    const s = new FinalSigning(A);
    const C = asPeerId('c');
    const f2: FinalFrame = { ...final, seq: 2, priority: { p: 4, by: C }, version: 'w' };
    for (const f of [final, f2]) for (const to of [B, C]) expect(s.pass(send(to, f))).toEqual([]);
    const items: FinalItem[] = [
      [1, 3, B, 'v'],
      [2, 4, C, 'w'],
    ];
    const list = { t: 'finals' as const, groupId: final.groupId, viewId: final.viewId, sender: A, items };
    const word = { type: 'sign-final' as const, final: { ...finalFieldsOf(final), list: items } };
    expect(s.endTurn()).toEqual([word]);
    expect(s.signed(word, 'L')).toEqual([send(B, { ...list, sig: 'L' }), send(C, { ...list, sig: 'L' })]);
    expect(s.pass(send(C, f2))).toEqual([]);
    expect(s.endTurn()).toEqual([send(C, { ...list, sig: 'L' })]);
  });

  it('signs a FLUSH report once for all its parts and every copy, and a resend takes the signature made before', () => {
    const s = new FinalSigning(A);
    const part = (index: number): GroupFrame => ({ ...unsigned, part: { index, count: 2 } });
    const statement = { groupId: asGroupId('g'), viewId: asViewId(2), reporter: A, report: 'H' };
    expect(s.pass(send(B, part(0)))).toEqual([{ type: 'sign-flush', statement }]);
    expect(s.pass(send(B, part(1)))).toEqual([]);
    expect(s.pass(send(B, hwm))).toEqual([]);
    const signed = (f: GroupFrame): GroupFrame => ({ ...f, sig: 'R' }) as GroupFrame;
    expect(s.signed({ type: 'sign-flush', statement }, 'R')).toEqual([
      send(B, signed(part(0))),
      send(B, signed(part(1))),
      send(B, hwm),
    ]);
    expect(s.pass(send(asPeerId('c'), part(1)))).toEqual([send(asPeerId('c'), signed(part(1)))]);
  });

  it('signs our FLUSH-OK once for every copy; a FLUSH-OK relayed for its sender goes as it came (PROTOCOL.md §3.4 "Relay")', () => {
    const s = new FinalSigning(A);
    const C = asPeerId('c');
    const held = [{ reporter: B, report: 'HB', sig: 'SB' }];
    const ok: GroupFrame = { t: 'flush-ok', groupId: asGroupId('g'), viewId: asViewId(2), reports: 'D', held };
    const statement = {
      groupId: asGroupId('g'),
      viewId: asViewId(2),
      sender: A,
      held: [{ reporter: B, report: 'HB' }],
    };
    expect(s.pass(send(B, ok))).toEqual([{ type: 'sign-flush-ok', statement }]);
    expect(s.pass(send(C, ok))).toEqual([]);
    expect(s.signed({ type: 'sign-flush-ok', statement }, 'K')).toEqual([
      send(B, { ...ok, sig: 'K' } as GroupFrame),
      send(C, { ...ok, sig: 'K' } as GroupFrame),
    ]);
    const relayed: GroupFrame = { ...ok, sender: C, sig: 'KC' } as GroupFrame;
    expect(s.pass(send(B, relayed))).toEqual([send(B, relayed)]);
  });

  it('never signs a report it relays as its own (another\'s, PROTOCOL.md §3.4 "Relay"): it goes as it came', () => {
    const s = new FinalSigning(A);
    const relayed: GroupFrame = { ...unsigned, reporter: asPeerId('c') };
    expect(s.pass(send(B, relayed))).toEqual([send(B, relayed)]);
    expect(s.pass(send(B, { ...relayed, sig: 'C' } as GroupFrame))).toEqual([
      send(B, { ...relayed, sig: 'C' } as GroupFrame),
    ]);
  });
});
