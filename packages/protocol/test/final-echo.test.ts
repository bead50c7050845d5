// The echo bookkeeping of total-order groups (src/ordering/final-echo.ts,
// PROTOCOL.md §3.3 "Echo"): what a member needs before it delivers another
// sender's message, and what it refuses.

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, type MessageId, type PeerId } from '../src/ids.ts';
import { EchoBook, echoesNeeded, echoFrames, MAX_ECHOES_PER_PEER } from '../src/ordering/final-echo.ts';

const asMessageId = (s: string): MessageId => s as MessageId;
const [A, B, C, S] = ['a', 'b', 'c', 's'].map(asPeerId) as [PeerId, PeerId, PeerId, PeerId];
const M = asMessageId('g/s:1');
const at = (p: number, sig = 'sig-1') => ({ priority: { p, by: B }, sig });

describe('EchoBook', () => {
  it('confirms a message only when every needed member echoed exactly what we hold', () => {
    const book = new EchoBook();
    const needed = echoesNeeded([A, B, C, S], A, S);
    expect(needed).toEqual([B, C]);
    expect(book.hear(B, M, at(5))).toBe('new');
    expect(book.confirmed(M, at(5), needed)).toBe(false);
    expect(book.hear(C, M, at(5))).toBe('new');
    expect(book.confirmed(M, at(5), needed)).toBe(true);
    // Another priority or another version of the DATA is not a confirmation.
    expect(book.confirmed(M, at(6), needed)).toBe(false);
    expect(book.confirmed(M, at(5, 'sig-2'), needed)).toBe(false);
  });

  it('keeps the first word of a peer: a resend is the same, another value is refused', () => {
    const book = new EchoBook();
    expect(book.hear(B, M, at(5))).toBe('new');
    expect(book.hear(B, M, at(5))).toBe('same');
    expect(book.hear(B, M, at(6))).toBe('changed');
    expect(book.of(M, B)).toEqual(at(5));
  });

  it('names the members whose echo contradicts ours', () => {
    const book = new EchoBook();
    book.hear(B, M, at(5));
    book.hear(C, M, at(6));
    expect(book.contradicting(M, at(5))).toEqual([C]);
    expect(book.confirmed(M, at(5), [B, C])).toBe(false);
  });

  it('bounds what one peer can make it keep, and frees it on delivery and at a view change', () => {
    const book = new EchoBook();
    for (let i = 1; i <= MAX_ECHOES_PER_PEER; i++) expect(book.hear(B, asMessageId(`g/s:${i}`), at(i))).toBe('new');
    expect(book.hear(B, asMessageId('g/s:0'), at(1))).toBe('too-many');
    expect(book.hear(C, asMessageId('g/s:0'), at(1))).toBe('new');
    book.forget(asMessageId('g/s:1'));
    expect(book.hear(B, asMessageId('g/s:0'), at(1))).toBe('new');
    book.clear();
    expect(book.size).toBe(0);
  });
});

describe('echoFrames', () => {
  it('goes to every other member, without the entries of its own messages', () => {
    const sig = 'x';
    const entries = [
      { sender: S, seq: 1, priority: { p: 3, by: B }, sig, final: 'f' },
      { sender: B, seq: 2, priority: { p: 4, by: C }, sig, final: 'f' },
    ];
    const out = echoFrames(asGroupId('g'), asViewId(2), A, [A, B, C, S], entries);
    expect(out.map((o) => [o.to, o.frame.t === 'echo' ? o.frame.finals.map((e) => e.sender) : []])).toEqual([
      [B, [S]],
      [C, [S, B]],
      [S, [B]],
    ]);
    expect(echoFrames(asGroupId('g'), asViewId(2), A, [A, S], [entries[0] as (typeof entries)[0]])).toEqual([]);
  });
});
