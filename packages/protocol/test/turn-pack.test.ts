// One turn's sends packed per link (src/session/turn-pack.ts, PROTOCOL.md
// §1.2c): what a receiver reads from the packed frames is what the engine sent
// it, in an order that keeps every view change frame where it was.

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId } from '../src/ids.ts';
import { MAX_CUMULATIVE_ITEMS, MAX_ECHO_LISTS } from '../src/wire/caps.ts';
import { singleFrames } from '../src/wire/cumulative.ts';
import type { EchoEntry, EchoFrame, GroupFrame, ProposeFrame } from '../src/wire/frames.ts';
import { listsOf, packTurn, type Send } from '../src/session/turn-pack.ts';

const G = asGroupId('g');
const V = asViewId(2);
const [A, B, C, D] = ['a', 'b', 'c', 'd'].map(asPeerId) as [
  ReturnType<typeof asPeerId>,
  ReturnType<typeof asPeerId>,
  ReturnType<typeof asPeerId>,
  ReturnType<typeof asPeerId>,
];
const SIG = `${'A'.repeat(85)}Q==`;

const propose = (sender: typeof A, seq: number, p: number): ProposeFrame => ({
  t: 'propose',
  groupId: G,
  viewId: V,
  sender,
  seq,
  priority: { p, by: A },
});
const echo = (sender: typeof A, seq: number): EchoFrame => ({
  t: 'echo',
  groupId: G,
  viewId: V,
  finals: [{ sender, seq, priority: { p: seq, by: sender }, sig: SIG, final: SIG }],
});
const hwm: GroupFrame = { t: 'hwm', groupId: G, viewId: V, delivered: {} };
const send = (to: typeof A, frame: GroupFrame): Send => ({ type: 'send', to, frame });

/** What each link carries, read back frame by frame as the receiver's session does. */
const perLink = (sends: readonly Send[]): Map<string, GroupFrame[]> => {
  const out = new Map<string, GroupFrame[]>();
  for (const s of sends) out.set(s.to, [...(out.get(s.to) ?? []), ...singleFrames(A, s.frame as never)]);
  return out;
};

describe('packTurn', () => {
  it('packs PROPOSEs per link and sender and ECHOs per link; each link reads the same frames', () => {
    const sends = [
      send(B, propose(B, 1, 5)),
      send(C, echo(B, 7)),
      send(B, propose(B, 2, 6)),
      send(D, echo(B, 7)),
      send(C, propose(C, 4, 7)),
      send(C, echo(D, 3)),
      send(B, propose(B, 3, 8)),
    ];
    const packed = packTurn(sends, () => undefined);
    expect(packed.map((s) => `${s.to}:${s.frame.t}`)).toEqual(['b:proposes', 'c:echo', 'd:echo', 'c:propose']);
    const read = perLink(packed);
    expect(read.get(B)).toEqual([propose(B, 1, 5), propose(B, 2, 6), propose(B, 3, 8)]);
    expect(read.get(C)).toEqual([
      { ...echo(B, 7), finals: [...echo(B, 7).finals, ...echo(D, 3).finals] },
      propose(C, 4, 7),
    ]);
  });

  it('a FLUSH, FLUSH-OK or HWM closes what is open for its link: nothing packed after it passes it', () => {
    const packed = packTurn(
      [send(B, propose(B, 1, 5)), send(B, hwm), send(B, propose(B, 2, 6)), send(B, propose(B, 3, 7))],
      () => undefined,
    );
    expect(packed.map((s) => s.frame.t)).toEqual(['propose', 'hwm', 'proposes']);
  });

  it('puts at most MAX_CUMULATIVE_ITEMS entries in one frame', () => {
    const n = MAX_CUMULATIVE_ITEMS + 3;
    const packed = packTurn(
      Array.from({ length: n }, (_, i) => send(B, propose(B, i + 1, i + 10))),
      () => undefined,
    );
    expect(packed.map((s) => (s.frame.t === 'proposes' ? s.frame.items.length : 1))).toEqual([MAX_CUMULATIVE_ITEMS, 3]);
  });

  it('lists only new FINALs of one view, two or more to a list', () => {
    const final = (seq: number, viewId = V) => ({
      t: 'final' as const,
      groupId: G,
      viewId,
      sender: A,
      seq,
      priority: { p: seq, by: B },
      version: SIG,
    });
    const sends = [1, 2, 3].flatMap((seq) => [send(B, final(seq)), send(C, final(seq))]);
    sends.push(send(B, final(9, asViewId(3))));
    const lists = listsOf(sends, (f) => f.seq !== 2);
    expect(lists.map((l) => l.map((f) => f.seq))).toEqual([[1, 3]]);
  });

  it('splits ECHOs so no frame restates more than MAX_ECHO_LISTS signed lists', () => {
    const listed = (i: number): EchoEntry => ({
      sender: B,
      seq: i + 1,
      priority: { p: i + 1, by: B },
      sig: SIG,
      final: SIG,
      list: [[i + 1, i + 1, B, SIG]],
    });
    const many: EchoFrame = {
      t: 'echo',
      groupId: G,
      viewId: V,
      finals: Array.from({ length: 70 }, (_, i) => listed(i)),
    };
    const packed = packTurn([send(C, many), send(C, echo(D, 3))], () => undefined);
    expect(packed.map((s) => (s.frame.t === 'echo' ? s.frame.finals.length : 0))).toEqual([MAX_ECHO_LISTS, 7]);
    expect(packed.flatMap((s) => (s.frame.t === 'echo' ? s.frame.finals : []))).toEqual([
      ...many.finals,
      ...echo(D, 3).finals,
    ]);
  });
});
