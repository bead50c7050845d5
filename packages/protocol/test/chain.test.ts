// Per-sender hash chains (PROTOCOL.md §1.5): the hash, how a page is
// verified through it, and the session's checks — equivocations refused,
// gaps reported.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, type PeerId } from '../src/ids.ts';
import { ChainBook } from '../src/session/chain-book.ts';
import { ChainGaps, vetDataChain, vetFlushChains, vetPageChains } from '../src/session/chain-check.ts';
import { canonicalSignedText } from '../src/wire/canonical.ts';
import { chainAnchors, GENESIS_PREV, linkHash } from '../src/wire/chain.ts';
import type { DataFrame, FlushFrame, HistoryItem } from '../src/wire/frames.ts';
import { sha256, sha256Base64, sha256TextBase64 } from '../src/wire/sha256.ts';
import { bytesToBase64 } from '../src/crypto/base64.ts';

const G = asGroupId('g-1');
const ALICE = asPeerId('alice');
const BOB = asPeerId('bob');
const SIG = `${'A'.repeat(85)}Q==`;

/** A sender's chain of `n` messages from seq `from`, each naming the hash of the one before. */
function chain(sender: PeerId, n: number, from = 1, first = GENESIS_PREV, tag = ''): DataFrame[] {
  const out: DataFrame[] = [];
  let prev = first;
  for (let seq = from; seq < from + n; seq++) {
    const f: DataFrame = {
      t: 'data',
      groupId: G,
      viewId: asViewId(1),
      sender,
      seq,
      lamport: seq,
      sentAt: 1_000 + seq,
      body: `${sender} ${seq}${tag}`,
      prev,
      sig: SIG,
    };
    out.push(f);
    prev = linkHash(f);
  }
  return out;
}
const item = (frame: DataFrame): HistoryItem => ({
  frame,
  order: `${String(frame.lamport).padStart(16, '0')}:${frame.sender}`,
});

describe('sha256', () => {
  it('is SHA-256 (node:crypto agrees on any bytes, across block boundaries)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(Buffer.from(sha256(bytes)).toString('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
      { numRuns: 400 },
    );
    expect(Buffer.from(sha256(new Uint8Array())).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('spells the same digest in base64 whether node:crypto or this file computes it, as Buffer would', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const js = bytesToBase64(sha256(bytes));
        expect(js).toBe(Buffer.from(sha256(bytes)).toString('base64'));
        expect(sha256Base64(bytes)).toBe(js);
      }),
      { numRuns: 400 },
    );
    // Text (a link's canonical text): node:crypto's one-shot over the string is the JS digest of its UTF-8 as
    // TextEncoder writes it, lone surrogates (U+FFFD) and pairs included.
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(sha256TextBase64(text)).toBe(bytesToBase64(sha256(new TextEncoder().encode(text))));
      }),
      { numRuns: 400 },
    );
    expect(sha256TextBase64('a\ud800b\udc00')).toBe(bytesToBase64(sha256(new TextEncoder().encode('a\ud800b\udc00'))));
    // Short inputs are spelled by table, long ones through btoa: both as Buffer spells them.
    for (let n = 0; n < 400; n += 7) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
});

describe('linkHash', () => {
  it('is SHA-256 of the canonical signed text followed by the signature, and changes with any signed field or the signature', () => {
    const [f] = chain(ALICE, 1) as [DataFrame];
    expect(linkHash(f)).toBe(
      createHash('sha256')
        .update(canonicalSignedText(f) + f.sig)
        .digest('base64'),
    );
    for (const change of [
      { body: 'x' },
      { seq: 2 },
      { prev: `${'B'.repeat(43)}=` },
      { sig: `${'B'.repeat(85)}Q==` },
      { viewId: asViewId(2) },
    ])
      expect(linkHash({ ...f, ...change })).not.toBe(linkHash(f));
  });

  it('hashes the UTF-8 of any body, short or long (non-ASCII, a lone surrogate, past the reused buffer)', () => {
    const [f] = chain(ALICE, 1) as [DataFrame];
    for (const body of ['né 😀 ✓', 'lone \ud800 end', '✓'.repeat(5_000), 'x'.repeat(70_000)]) {
      const g = { ...f, body };
      expect(linkHash(g)).toBe(
        createHash('sha256')
          .update(canonicalSignedText(g) + g.sig)
          .digest('base64'),
      );
    }
  });
});

describe('chainAnchors: one signature per chain segment', () => {
  it('a whole run of one sender rests on its newest message; two senders on one each', () => {
    const items = [...chain(ALICE, 5), ...chain(BOB, 3)].sort(
      (a, b) => a.lamport - b.lamport || (a.sender < b.sender ? -1 : 1),
    );
    const anchors = chainAnchors(items, (f) => f);
    const roots = new Set(anchors);
    expect(roots.size).toBe(2);
    items.forEach((f, i) => expect(items[anchors[i]!]!.seq).toBe(f.sender === ALICE ? 5 : 3));
  });

  it('a message the next one does not name (altered, or a seq missing between them) needs its own signature', () => {
    const a = chain(ALICE, 4);
    const altered = [a[0]!, { ...a[1]!, body: 'changed by the sponsor' }, a[2]!, a[3]!];
    const anchors = chainAnchors(altered, (f) => f);
    expect(anchors).toEqual([1, 1, 3, 3]);
    expect(chainAnchors([a[0]!, a[2]!, a[3]!], (f) => f)).toEqual([0, 2, 2]);
  });

  it('items with another key than their successor are not vouched for by it', () => {
    const a = chain(ALICE, 2);
    expect(
      chainAnchors(
        a,
        (f) => f,
        (f) => (f.seq === 1 ? 'k1' : 'k2'),
      ),
    ).toEqual([0, 1]);
  });
});

describe('ChainBook', () => {
  it('our own drafts name our previous message, genesis first or when we do not hold it', () => {
    const book = new ChainBook();
    expect(book.prevFor(ALICE, 1)).toBe(GENESIS_PREV);
    const [m1] = chain(ALICE, 1) as [DataFrame];
    expect(book.admit(m1)).toBeNull();
    expect(book.prevFor(ALICE, 2)).toBe(linkHash(m1));
    expect(book.prevFor(ALICE, 5)).toBe(GENESIS_PREV);
  });

  it('a chain in any arrival order passes; the same message twice is a no-op', () => {
    const book = new ChainBook();
    const a = chain(ALICE, 6);
    for (const f of [a[3]!, a[0]!, a[5]!, a[1]!, a[2]!, a[4]!, a[2]!]) expect(book.admit(f)).toBeNull();
  });

  it('two messages on one seq, two on one predecessor, a wrong predecessor: equivocation, the first stays', () => {
    const a = chain(ALICE, 3);
    const fork = chain(ALICE, 2, 2, linkHash(a[0]!), ' (fork)');
    const book = new ChainBook();
    for (const f of a) expect(book.admit(f)).toBeNull();
    expect(book.admit(fork[0]!)?.code).toBe('equivocation'); // seq 2 again, other content
    expect(book.admit(fork[1]!)?.code).toBe('equivocation'); // seq 3 naming the fork's seq 2
    const sameParent = { ...a[1]!, seq: 7 };
    expect(book.admit(sameParent)?.code).toBe('equivocation'); // seq 7 naming seq 1 as a[1] does
    expect(book.hashOf(ALICE, 2)).toBe(linkHash(a[1]!));
    // Found in the other order too: the successor first, then a predecessor it does not name.
    const late = new ChainBook();
    expect(late.admit(a[2]!)).toBeNull();
    expect(late.admit(fork[0]!)?.code).toBe('equivocation');
  });

  it("a sender's re-issue (same text and sentAt, signed for a later view) replaces the version held; another text or the same view is an equivocation", () => {
    // A member held its 2 and 3 without delivering them (they came after the view moved on, or a second tab
    // of the sender showed them from their store); the sender re-joined and sent both again (PROTOCOL.md §3.1).
    const a = chain(ALICE, 3);
    const book = new ChainBook();
    for (const f of a) expect(book.admit(f)).toBeNull();
    const later = asViewId(a[1]!.viewId + 4);
    const re2 = { ...a[1]!, viewId: later, lamport: 40, sig: `${'C'.repeat(85)}Q==` };
    expect(book.admit({ ...re2, body: 'another text' })?.code).toBe('equivocation');
    expect(book.admit({ ...re2, sentAt: re2.sentAt + 1 })?.code).toBe('equivocation');
    expect(book.admit({ ...re2, viewId: a[1]!.viewId })?.code).toBe('equivocation');
    expect(book.hashOf(ALICE, 2)).toBe(linkHash(a[1]!));
    expect(book.admit(re2)).toBeNull();
    expect(book.hashOf(ALICE, 2)).toBe(linkHash(re2));
    // Its 3 again, naming the re-issued 2: the old 3 named the old 2 and is gone with it.
    const re3 = { ...a[2]!, viewId: later, lamport: 41, prev: linkHash(re2), sig: `${'D'.repeat(85)}Q==` };
    expect(book.admit(re3)).toBeNull();
    expect(book.hashOf(ALICE, 3)).toBe(linkHash(re3));
    // The old versions are now the other histories.
    expect(book.admit(a[1]!)?.code).toBe('equivocation');
  });

  it('a backfill paging down a chain longer than its window still checks every page against the next newer one', () => {
    // 12 000 messages of one sender, taken as a backfill takes them: pages of 200, newest page first.
    const a = chain(ALICE, 12_000);
    // Seq 3 800 in another version its sender also signed (the same predecessor): the older page of a
    // page boundary that falls after the book first forgot links.
    const [fork] = chain(ALICE, 1, 3_800, linkHash(a[3_798]!), ' (fork)') as [DataFrame];
    const book = new ChainBook();
    const found: string[] = [];
    for (let top = 12_000; top > 0; top -= 200) {
      const page = a.slice(top - 200, top).map((f) => (f.seq === 3_800 ? fork : f));
      for (const f of page) {
        const fault = book.admit(f);
        if (fault !== null) found.push(`${f.seq}: ${fault.code}`);
      }
    }
    expect(found).toEqual(['3800: equivocation']);
  });

  it('a restart (genesis at a later seq) and a message stored before chains are accepted', () => {
    const book = new ChainBook();
    const a = chain(ALICE, 2);
    for (const f of a) book.admit(f);
    expect(book.admit(chain(ALICE, 1, 3)[0]!)).toBeNull();
    const { prev: _p, ...legacy } = chain(BOB, 1)[0]!;
    expect(book.admit(legacy)).toBeNull();
  });
});

describe('session checks', () => {
  it('a live equivocation is refused and reported; in a FLUSH (what others delivered) it is reported and kept', () => {
    const book = new ChainBook();
    const a = chain(ALICE, 2);
    expect(vetDataChain(book, {}, a[0]!).value).toBe(a[0]);
    const forked = { ...a[0]!, body: 'other' };
    const r = vetDataChain(book, {}, forked);
    expect(r.value).toBeNull();
    expect(r.faults.map((f) => f.code)).toEqual(['equivocation']);
    const flush = {
      t: 'flush',
      groupId: G,
      viewId: asViewId(2),
      unstable: [forked, a[1]!],
      pending: [],
      agreed: 0,
      delivered: {},
    } as unknown as FlushFrame;
    const v = vetFlushChains(book, {}, flush);
    expect(v.value.unstable).toEqual([forked, a[1]]);
    expect(v.faults.map((f) => f.code)).toEqual(['equivocation']);
    // Broken "fork accepted" lets it through.
    expect(vetDataChain(new ChainBook(), { acceptForks: true }, a[0]!).faults).toEqual([]);
  });

  it('a hand-over that leaves out a message of a chain owes it: a gap at its end; one that hands it later (any page order) does not', () => {
    const a = chain(ALICE, 5);
    const book = new ChainBook();
    const gaps = new ChainGaps();
    const take = (frames: DataFrame[], have = {}) =>
      gaps.took(
        book,
        have,
        vetPageChains(book, {}, frames.map(item)).value.map((i) => i.frame),
      );
    take([a[0]!, a[1]!, a[3]!]);
    take([a[4]!]);
    expect(gaps.open(asPeerId('sponsor')).map((f) => f.code)).toEqual(['gap']);
    expect(gaps.open(asPeerId('sponsor'))[0]?.message).toMatch(/left out alice's message 3:/);
    take([a[2]!]); // the next page (a lower key: another incarnation) brings it
    expect(gaps.open(asPeerId('sponsor'))).toEqual([]);
    // Against what the joiner holds: seqs below `have` are held; a chain the sender restarted owes nothing.
    const held = new ChainGaps();
    held.took(new ChainBook(), { [ALICE]: 4 }, [a[3]!, a[4]!]);
    held.took(new ChainBook(), {}, chain(ALICE, 2, 7));
    expect(held.open(asPeerId('s'))).toEqual([]);
    const fresh = new ChainGaps();
    fresh.took(new ChainBook(), { [ALICE]: 3 }, [a[3]!, a[4]!]);
    expect(fresh.open(asPeerId('s'))[0]?.message).toMatch(/message 3:/);
    fresh.paid([a[2]!]); // delivered live meanwhile
    expect(fresh.open(asPeerId('s'))).toEqual([]);
  });

  it("a page item that forks from what the joiner holds is reported as an equivocation (and kept: it is the group's log)", () => {
    const a = chain(ALICE, 3);
    const held = new ChainBook();
    held.learn(a.slice(0, 2));
    const fork = chain(ALICE, 1, 3, linkHash({ ...a[1]!, body: 'other' }))[0]!;
    const r = vetPageChains(held, {}, [item(fork)]);
    expect(r.value).toHaveLength(1);
    expect(r.faults.map((f) => f.code)).toEqual(['equivocation']);
  });
});
