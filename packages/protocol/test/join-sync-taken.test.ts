// What a syncing joiner shows already (src/session/join-sync.ts `took`,
// `shows`; PROTOCOL.md §4): a run per sender plus the seqs taken above it, so
// an item handed again — by a sponsor that starts its paging over, or after
// pages out of seq order — is never shown twice.
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, type PeerId } from '../src/ids.ts';
import { holding, newSync, shows, took, type Sync } from '../src/session/join-sync.ts';
import type { DataFrame } from '../src/wire/frames.ts';

const G = asGroupId('g');
const A = asPeerId('ann');
const B = asPeerId('bob');
const J = asPeerId('joe');

const f = (sender: PeerId, seq: number): DataFrame => ({
  t: 'data',
  groupId: G,
  viewId: asViewId(1),
  sender,
  seq,
  lamport: seq,
  sentAt: 0,
  body: `${sender}${seq}`,
  sig: 's',
});

const sync = (): Sync => {
  const s = newSync(
    {
      groupId: G,
      viewId: asViewId(2),
      members: [A, J].map((peerId) => ({ peerId, name: peerId, publicKey: 'k' })),
      changes: [{ peerId: J, change: 'joined' }],
    },
    J,
    0,
  );
  if (s === null) throw new Error('no sponsor');
  holding(s, { [A]: 3 }); // the store holds ann's 1 and 2
  return s;
};

describe('a joiner shows each message once while it syncs', () => {
  it('seqs taken above the run count as shown, and the run takes them in as it reaches them', () => {
    const s = sync();
    took(s, [f(A, 6), f(A, 7), f(B, 2)], '0010');
    expect(s.have).toEqual({ [A]: 3 }); // what goes on the wire: the run
    for (const seq of [1, 2, 6, 7]) expect(shows(s, f(A, seq))).toBe(true);
    for (const seq of [3, 4, 5, 8]) expect(shows(s, f(A, seq))).toBe(false);
    expect(shows(s, f(B, 2))).toBe(true);
    expect(shows(s, f(B, 1))).toBe(false);
    took(s, [f(A, 3), f(A, 4), f(A, 5), f(B, 1)], '0020');
    expect(s.have).toEqual({ [A]: 8, [B]: 3 });
    expect(s.above.size).toBe(0);
    expect(s.after).toBe('0020');
  });

  it('a paging started over hands what was taken again: none of it is fresh', () => {
    const s = sync();
    const page = [f(A, 5), f(A, 3), f(A, 4)];
    took(s, [page[0]!], '0005');
    // The sponsor restarted and hands 3, 4 and 5 again: only 3 and 4 are new.
    expect(page.filter((x) => !shows(s, x)).map((x) => x.seq)).toEqual([3, 4]);
  });
});
