// Cumulative PROPOSE and FINAL on the wire (PROTOCOL.md §1.2c): what a peer
// reads from `proposes` and `finals` frames, a FINAL signed in a list, an ECHO
// that restates such FINALs, and the proof two signed lists make for the
// tracker. Signatures here are real Ed25519.

import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../src/crypto/identity.ts';
import { signFinal, verifyFinal, verifyProof } from '../src/crypto/signing.ts';
import { asGroupId, asPeerId, asViewId } from '../src/ids.ts';
import { contradicts, echoOfFinal, finalOfEcho } from '../src/ordering/final-proof.ts';
import { parseChannelMessage } from '../src/wire/batch.ts';
import { MAX_CUMULATIVE_ITEMS } from '../src/wire/caps.ts';
import { canonicalFinalText, encodeFrame } from '../src/wire/canonical.ts';
import { finalsOf, listHolds, proposesOf, type FinalItem, type FinalsFrame } from '../src/wire/cumulative.ts';
import type { EchoFrame, FinalFrame, WireFrame } from '../src/wire/frames.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';

const G = asGroupId('g-1');
const [ALICE, BOB, CAROL] = [asPeerId('alice'), asPeerId('bob'), asPeerId('carol')];
const V = asViewId(3);
const SIG = `${'A'.repeat(85)}Q==`;
const VERSION = (n: number): string => `${String.fromCharCode(65 + n).repeat(86)}==`;
const fromAlice = { groupId: G, from: ALICE };

const items = (n: number): FinalItem[] => Array.from({ length: n }, (_, i) => [i + 1, 10 + i, BOB, VERSION(i % 20)]);
const finals = (list: readonly FinalItem[], sig = SIG): FinalsFrame => ({
  t: 'finals',
  groupId: G,
  viewId: V,
  sender: ALICE,
  items: list,
  sig,
});

const read = (frame: WireFrame | object, ctx = fromAlice) => parseFrame(JSON.stringify(frame), ctx);
const code = (frame: WireFrame | object, ctx = fromAlice): string | null => {
  const r = read(frame, ctx);
  return r.ok ? null : r.error.code;
};

describe('proposes and finals frames', () => {
  it('read back as the single PROPOSEs and FINALs they stand for, in order', () => {
    const p = read({
      t: 'proposes',
      groupId: G,
      viewId: V,
      sender: BOB,
      items: [
        [4, 12],
        [5, 13],
      ],
    });
    expect(p.ok && p.value.t === 'proposes' && proposesOf(p.value, ALICE)).toEqual([
      { t: 'propose', groupId: G, viewId: V, sender: BOB, seq: 4, priority: { p: 12, by: ALICE } },
      { t: 'propose', groupId: G, viewId: V, sender: BOB, seq: 5, priority: { p: 13, by: ALICE } },
    ]);
    const f = read(finals(items(2)));
    const singles = f.ok && f.value.t === 'finals' ? finalsOf(f.value) : [];
    expect(singles.map((s) => [s.seq, s.priority, s.version, s.sig])).toEqual([
      [1, { p: 10, by: BOB }, VERSION(0), SIG],
      [2, { p: 11, by: BOB }, VERSION(1), SIG],
    ]);
    expect(singles.every((s) => s.list !== undefined && listHolds(s))).toBe(true);
  });

  it('a list holds exactly its entries: another priority, proposer, version or seq is not in it, however often asked', () => {
    const list = items(MAX_CUMULATIVE_ITEMS);
    const entry = (i: number) => ({ seq: i + 1, priority: { p: 10 + i, by: BOB }, version: VERSION(i % 20), list });
    // Asked entry by entry, as an ECHO's entries of one list are: every verdict is the list's content.
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < list.length; i++) {
        expect(listHolds(entry(i))).toBe(true);
        expect(listHolds({ ...entry(i), priority: { p: 11 + i, by: BOB } })).toBe(false);
        expect(listHolds({ ...entry(i), priority: { p: 10 + i, by: CAROL } })).toBe(false);
        expect(listHolds({ ...entry(i), version: VERSION((i + 1) % 20) })).toBe(false);
      }
    expect(listHolds({ ...entry(0), seq: MAX_CUMULATIVE_ITEMS + 1 })).toBe(false);
    // A list still being built (the session's own, before it is signed) is read as it is now.
    const growing: FinalItem[] = [];
    expect(listHolds({ ...entry(0), list: growing })).toBe(false);
    growing.push(list[0]!);
    expect(listHolds({ ...entry(0), list: growing })).toBe(true);
  });

  it('hold 1..MAX_CUMULATIVE_ITEMS entries, each message once', () => {
    expect(code(finals(items(MAX_CUMULATIVE_ITEMS)))).toBeNull();
    expect(code(finals(items(MAX_CUMULATIVE_ITEMS + 1)))).toBe('too-many');
    expect(code(finals([]))).toBe('bad-type');
    expect(code(finals([...items(2), items(1)[0]!]))).toBe('bad-state');
    expect(
      code({
        t: 'proposes',
        groupId: G,
        viewId: V,
        sender: BOB,
        items: [
          [4, 12],
          [4, 13],
        ],
      }),
    ).toBe('bad-state');
  });

  it('refuse an entry of the wrong shape with the path that is wrong', () => {
    const bad: [unknown, string][] = [
      [[1, 10, BOB], 'bad-type'],
      [[0, 10, BOB, SIG], 'bad-type'],
      [[1, 1.5, BOB, SIG], 'bad-type'],
      [[1, 10, 'b/o', SIG], 'bad-type'],
      [[1, 10, BOB, 'not a signature'], 'bad-signature'],
      [{ seq: 1 }, 'bad-type'],
    ];
    for (const [item, c] of bad) {
      const r = read({ ...finals(items(1)), items: [item] });
      expect(r.ok ? null : r.error.code).toBe(c);
      expect(r.ok ? '' : r.error.message).toContain('finals.items[0]');
    }
  });

  it('a FINALs frame of another sender than the link peer is forged; PROPOSEs name the link peer as proposer', () => {
    expect(code(finals(items(2)), { groupId: G, from: BOB })).toBe('forged-sender');
    const p = read(
      { t: 'proposes', groupId: G, viewId: V, sender: BOB, items: [[4, 12]] },
      { groupId: G, from: CAROL },
    );
    expect(p.ok && p.value.t === 'proposes' && proposesOf(p.value, CAROL)[0]?.priority.by).toBe(CAROL);
  });

  it('a bad cumulative frame in a batch is refused in its place; the frames around it are kept', () => {
    const good = { t: 'propose', groupId: G, viewId: V, sender: BOB, seq: 4, priority: { p: 12, by: ALICE } };
    const text = JSON.stringify({ t: 'batch', frames: [good, finals([]), good] });
    const r = parseChannelMessage(text, fromAlice);
    expect(r.ok && r.value.kind === 'batch' && r.value.members.map((m) => m.ok)).toEqual([true, false, true]);
  });
});

describe('a FINAL signed in a list', () => {
  const single: FinalFrame = {
    t: 'final',
    groupId: G,
    viewId: V,
    sender: ALICE,
    seq: 2,
    priority: { p: 11, by: BOB },
    version: VERSION(1),
    sig: SIG,
  };

  it('travels with its list, which must hold its own entry', () => {
    const withList = { ...single, list: items(3) };
    expect(read(withList)).toEqual({ ok: true, value: withList });
    expect(code({ ...single, priority: { p: 99, by: BOB }, list: items(3) })).toBe('bad-state');
  });

  it('an ECHO names each list once and its entries by index; an index past the lists or a list without the entry is refused', () => {
    const list = items(3);
    const entries = finalsOf(finals(list)).map((f) => echoOfFinal(f, false));
    const echo: EchoFrame = { t: 'echo', groupId: G, viewId: V, finals: entries };
    const text = encodeFrame(echo);
    expect(text.split(VERSION(2)).length - 1).toBe(1 + 1); // the list once, plus entry 3's own `sig`
    const back = parseFrame(text, { groupId: G, from: CAROL });
    expect(back).toEqual({ ok: true, value: echo });
    const read = back.ok && back.value.t === 'echo' ? back.value.finals : [];
    expect(read.length === 3 && read.every((e) => e.list === read[0]?.list)).toBe(true);
    const wire = JSON.parse(text) as { finals: { list: number }[]; lists: unknown[] };
    expect(code({ ...wire, finals: [{ ...wire.finals[0], list: 1 }] }, { groupId: G, from: CAROL })).toBe('bad-type');
    expect(code({ ...wire, lists: [items(1)] }, { groupId: G, from: CAROL })).toBe('bad-state');
  });

  it('verifies for every entry of its list under one signature, and for no entry the list lacks', async () => {
    const keys = await generateIdentity();
    const list = items(5);
    const first = finalsOf(finals(list))[0] as FinalFrame;
    const sig = await signFinal(keys.privateKey, first);
    for (const f of finalsOf(finals(list, sig))) expect(await verifyFinal(keys.publicKey, f, sig)).toBe(true);
    const outside = { ...first, seq: 9, list };
    expect(await verifyFinal(keys.publicKey, outside, sig)).toBe(false);
    // Neither form passes for the other: the list's signature is not one over a single FINAL.
    const { list: _l, ...alone } = first;
    expect(await verifyFinal(keys.publicKey, alone, sig)).toBe(false);
    expect(canonicalFinalText(first)).toContain('chorus-finals-v1');
  });

  it('two signed lists that give one message two priorities are a proof the tracker accepts; an echo restates it', async () => {
    const keys = await generateIdentity();
    const a = items(3);
    const b = items(3).map((item, i): FinalItem => (i === 1 ? [item[0], 77, CAROL, item[3]] : item));
    const signA = await signFinal(keys.privateKey, finalsOf(finals(a))[0] as FinalFrame);
    const signB = await signFinal(keys.privateKey, finalsOf(finals(b))[0] as FinalFrame);
    const one = finalsOf(finals(a, signA))[1] as FinalFrame;
    const other = finalsOf(finals(b, signB))[1] as FinalFrame;
    const proof = { final: one, other };
    expect(contradicts(proof)).toBe(true);
    expect(await verifyProof(keys.publicKey, proof)).toBe(true);
    // The proof as the tracker reads it (JSON, both FINALs with their lists).
    const again = { final: read(JSON.parse(JSON.stringify(one))), other: read(JSON.parse(JSON.stringify(other))) };
    expect(again.final.ok && again.other.ok).toBe(true);
    // Restated by an echo, the FINAL is the same signed word.
    const echo = { groupId: G, viewId: V };
    expect(await verifyFinal(keys.publicKey, finalOfEcho(echo, echoOfFinal(one, false)), signA)).toBe(true);
    // The same message at the same priority in two lists is no proof; an entry a list lacks proves nothing.
    expect(contradicts({ final: one, other: finalsOf(finals(a, signB))[1] as FinalFrame })).toBe(false);
    expect(contradicts({ final: { ...one, priority: { p: 5, by: BOB } }, other })).toBe(false);
  });
});
