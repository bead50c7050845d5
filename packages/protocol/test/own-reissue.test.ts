// Which of our stored messages a re-joining session offers to send again (PROTOCOL.md §3.1 "Re-issue").

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId } from '../src/ids.ts';
import { firstReissuePrev, MAX_REISSUE, ownTail, reissueOffer } from '../src/session/own-reissue.ts';
import { GENESIS_PREV, linkHash } from '../src/wire/chain.ts';
import type { DataFrame } from '../src/wire/frames.ts';

const frame = (sender: string, seq: number, viewId: number): DataFrame => ({
  t: 'data',
  groupId: asGroupId('g'),
  viewId: asViewId(viewId),
  sender: asPeerId(sender),
  seq,
  lamport: seq,
  sentAt: 1_000 + seq,
  body: `m${seq}`,
  prev: GENESIS_PREV,
  sig: 'sig',
});

describe('re-issue offer', () => {
  const own = [1, 2, 4, 5, 6].map((seq) => frame('me', seq, 7));

  it('offers the run that ends at our newest stored message without a hole', () => {
    expect(reissueOffer(own, 3, { incarnation: asViewId(3) })).toEqual({ from: 4, to: 6 });
  });

  it('offers nothing when the earlier session was in another incarnation than the state (§3.11)', () => {
    // A tracker that forgot the group can leave two incarnations side by side, the later one with lower view ids.
    expect(reissueOffer(own, 9, { incarnation: asViewId(3) })).toBeNull();
    expect(reissueOffer(own, null, { incarnation: asViewId(3) })).toBeNull();
    // Signed in view 7, before the state's incarnation began.
    expect(reissueOffer(own, 8, { incarnation: asViewId(8) })).toBeNull();
  });

  it('keeps only our own newest MAX_REISSUE messages, by seq', () => {
    const many = [...Array(MAX_REISSUE + 5).keys()].map((i) => frame('me', MAX_REISSUE + 5 - i, 1));
    const tail = ownTail([...many, frame('other', 99, 1)], asPeerId('me'));
    expect(tail).toHaveLength(MAX_REISSUE);
    expect(tail[0]?.seq).toBe(6);
    expect(tail.at(-1)?.seq).toBe(MAX_REISSUE + 5);
    expect(reissueOffer([], 1, { incarnation: asViewId(1) })).toBeNull();
  });
});

describe('the first re-issue names the group message before it', () => {
  const stored = [frame('me', 2, 4), { ...frame('me', 3, 2), prev: 'stale-prev' }];

  it("names our from − 1 as the store holds it (a re-issue of an earlier session, taken whole), not the stored from's link", () => {
    expect(firstReissuePrev(stored, 3, null)).toBe(linkHash(stored[0] as DataFrame));
  });

  it("falls back to the stored message's own link when the store lacks from − 1, and restarts above a floor", () => {
    expect(firstReissuePrev(stored.slice(1), 3, null)).toBe('stale-prev');
    expect(firstReissuePrev(stored, 3, 2)).toBe(GENESIS_PREV);
    expect(firstReissuePrev(stored, 1, null)).toBe(GENESIS_PREV);
  });
});
