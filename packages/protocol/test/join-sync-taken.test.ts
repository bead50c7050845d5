// What a syncing joiner shows, and when (src/session/join-sync.ts `takePage`,
// `took`, `shows`, `releaseHeld`; PROTOCOL.md §4): a run per sender plus the
// seqs shown above it, so an item handed again — by a sponsor that starts its
// paging over — is never shown twice; and a page item above a hole in its
// sender's chain (a predecessor it names is still owed) waits until the hole
// is filled, so no sender's message is shown before one it sent earlier.
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, type PeerId } from '../src/ids.ts';
import { ChainGuard } from '../src/session/chain-check.ts';
import { holding, newSync, releaseHeld, restart, shows, takePage, took, type Sync } from '../src/session/join-sync.ts';
import { GENESIS_PREV, linkHash } from '../src/wire/chain.ts';
import type { DataFrame, HistoryItem } from '../src/wire/frames.ts';

const G = asGroupId('g');
const A = asPeerId('ann');
const B = asPeerId('bob');
const J = asPeerId('joe');

/** `sender`'s messages 1..n, each naming the hash of the one before (§1.5); `restartAt` starts a new chain. */
const chain = (sender: PeerId, n: number, restartAt = 0): DataFrame[] => {
  const out: DataFrame[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 1; seq <= n; seq += 1) {
    const f: DataFrame = {
      t: 'data',
      groupId: G,
      viewId: asViewId(1),
      sender,
      seq,
      lamport: seq,
      sentAt: 0,
      body: `${sender}${seq}`,
      prev: seq === restartAt ? GENESIS_PREV : prev,
      sig: 's',
    };
    out.push(f);
    prev = linkHash(f);
  }
  return out;
};
const a = chain(A, 8);
const b = chain(B, 3);
const at = (frames: DataFrame[], seq: number): HistoryItem => ({
  frame: frames[seq - 1] as DataFrame,
  order: String(seq).padStart(4, '0'),
});
const names = (items: readonly HistoryItem[]): string[] => items.map((i) => i.frame.body);

/** A joiner whose store holds ann's 1 and 2, and its chain checks. */
const joiner = (): { s: Sync; chains: ChainGuard; page: (items: HistoryItem[]) => string[] } => {
  const s = newSync(
    {
      groupId: G,
      viewId: asViewId(2),
      members: [A, B, J].map((peerId) => ({ peerId, name: peerId, publicKey: 'k' })),
      changes: [{ peerId: J, change: 'joined' }],
    },
    J,
    0,
  );
  if (s === null) throw new Error('no sponsor');
  holding(s, { [A]: 3 });
  const chains = new ChainGuard();
  chains.learn([a[1] as DataFrame]);
  // As the session takes a page (join-handover.ts): chain checks first, then what is shown.
  const page = (items: HistoryItem[]): string[] => {
    const vetted = chains.page(s.have ?? {}, items).value;
    return names(takePage(s, vetted, items[0]?.order, (sender, seq) => chains.owedBelow(sender, seq)));
  };
  return { s, chains, page };
};

describe('a joiner shows each message once while it syncs', () => {
  it("its engine's deliveries above the run count as shown, and the run takes them in as it reaches them", () => {
    const { s, page } = joiner();
    took(s, [a[5]!, a[6]!, b[1]!]);
    expect(s.have).toEqual({ [A]: 3 }); // what goes on the wire: the run
    for (const seq of [1, 2, 6, 7]) expect(shows(s, a[seq - 1]!)).toBe(true);
    for (const seq of [3, 4, 5, 8]) expect(shows(s, a[seq - 1]!)).toBe(false);
    expect(shows(s, b[1]!)).toBe(true);
    expect(shows(s, b[0]!)).toBe(false);
    expect(page([at(a, 3), at(a, 4), at(a, 5), at(b, 1), at(a, 6)])).toEqual(['ann3', 'ann4', 'ann5', 'bob1']);
    expect(s.have).toEqual({ [A]: 8, [B]: 3 });
    expect(s.above.size).toBe(0);
    expect(s.before).toBe('0003'); // pages go backwards: the next is asked below the lowest key taken
  });

  it('a paging started over hands what was taken again: none of it is shown twice', () => {
    const { s, page } = joiner();
    expect(page([at(a, 3), at(a, 4)])).toEqual(['ann3', 'ann4']);
    // The sponsor restarted and hands 3, 4 and 5 again: only 5 is new.
    expect(page([at(a, 3), at(a, 4), at(a, 5)])).toEqual(['ann5']);
    expect(s.have).toEqual({ [A]: 6 });
  });
});

describe("a page item above a hole in its sender's chain waits for the hole", () => {
  it('is neither stored nor shown until its predecessors come, then follows them in seq order', () => {
    const { s, page } = joiner();
    // ann's 3 and 4 are missing (5 names 4): 5 and 6 wait, bob's 1 continues its run.
    expect(page([at(a, 5), at(b, 1), at(a, 6)])).toEqual(['bob1']);
    expect(shows(s, a[4]!)).toBe(false);
    expect(s.have).toEqual({ [A]: 3, [B]: 2 }); // the next request still asks for ann's 3 on
    expect(s.heldBytes).toBeGreaterThan(0);
    // A copy of a held item changes nothing; the hole filled, everything follows it.
    expect(page([at(a, 5)])).toEqual([]);
    expect(page([at(a, 3), at(a, 4)])).toEqual(['ann3', 'ann4', 'ann5', 'ann6']);
    expect(s.have).toEqual({ [A]: 7, [B]: 2 });
    expect(s.held.size).toBe(0);
    expect(s.heldBytes).toBe(0);
  });

  it("waits for a lower seq of its sender later on the same page (the sender's order keys need not grow with its seqs)", () => {
    const { s, page } = joiner();
    // ann's 4 comes before her 3 on the page (hostile seed 701404: a lying clock signed 3 with a huge key).
    expect(page([at(a, 4), at(b, 1), at(a, 3), at(a, 5)])).toEqual(['bob1', 'ann3', 'ann4', 'ann5']);
    expect(s.have).toEqual({ [A]: 6, [B]: 2 });
    expect(s.held.size).toBe(0);
    expect(s.heldBytes).toBe(0);
  });

  it('a sponsor given up (a lying one: hostile seed 37151) takes what it held with it: the next hands it again', () => {
    const { s, page } = joiner();
    expect(page([at(a, 4)])).toEqual([]);
    restart(s, B);
    expect(s.held.size).toBe(0);
    expect(s.have).toEqual({ [A]: 3 });
    expect(page([at(a, 3), at(a, 4)])).toEqual(['ann3', 'ann4']);
  });

  it('a hole no chain link names (the sender restarted its chain; seqs below a floor) is shown above at once', () => {
    const { s, page } = joiner();
    const restarted = chain(A, 6, 5);
    expect(page([at(restarted, 5), at(restarted, 6)])).toEqual(['ann5', 'ann6']);
    expect(s.have).toEqual({ [A]: 3 });
    expect(shows(s, restarted[5]!)).toBe(true);
  });

  it('a hole nobody fills: the held items are shown above it at the end, in seq order, once', () => {
    const { s, page } = joiner();
    page([at(a, 7), at(a, 5)]);
    expect(names(releaseHeld(s))).toEqual(['ann5', 'ann7']);
    expect(shows(s, a[4]!) && shows(s, a[6]!)).toBe(true);
    expect(page([3, 4, 5, 6, 7].map((seq) => at(a, seq)))).toEqual(['ann3', 'ann4', 'ann6']);
    expect(s.have).toEqual({ [A]: 8 });
    expect(s.heldBytes).toBe(0);
  });

  it('its engine delivering a held message drops the held copy; a delivery that fills the hole lets the rest follow', () => {
    const { s, chains, page } = joiner();
    page([at(a, 4), at(a, 5)]);
    for (const f of [a[2]!, a[3]!]) {
      took(s, [f]);
      chains.delivered(f);
    }
    expect(s.have).toEqual({ [A]: 5 });
    expect(page([])).toEqual(['ann5']);
    expect(s.have).toEqual({ [A]: 6 });
    expect(s.held.size).toBe(0);
  });
});
