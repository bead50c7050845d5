// A live DATA is checked in the turn it arrives where Node can (node-ed25519.ts)
// and reaches the core in per-peer order either way: the synchronous check
// gives WebCrypto's verdict on every kind of frame, a forged one is refused
// and reported, and a DATA never overtakes an earlier frame of its peer that
// is still waiting for its sender's key.
import { describe, expect, it } from 'vitest';
import {
  asGroupId,
  asPeerId,
  asViewId,
  exportPublicKey,
  generateIdentity,
  GENESIS_PREV,
  canonicalSignedBytes,
  signFields,
  verifyFinal,
  verifyFrame,
  type FinalFields,
  type FinalFrame,
  type FinalItem,
  readPublicKey,
  type DataFrame,
  type GroupFrame,
  type PeerId,
  type ProtocolError,
} from '@chorus/protocol';
import { FrameVerifier, type Verified } from '../src/session/frame-verifier.ts';
import { InboundFrames } from '../src/session/inbound-frames.ts';
import { KeyRing } from '../src/session/key-ring.ts';
import { signDraft, signOwnFinal, syncVerifier } from '../src/session/node-ed25519.ts';

const cats = asGroupId('cats');
const alice = asPeerId('alice');
const carol = asPeerId('carol');

const fieldsOf = (sender: PeerId, seq: number, body = `${sender} ${seq}`) => ({
  groupId: cats,
  viewId: asViewId(1),
  sender,
  seq,
  lamport: seq,
  sentAt: seq,
  body,
  prev: GENESIS_PREV,
});

async function dataFrom(sender: PeerId, key: CryptoKey, seq: number): Promise<DataFrame> {
  const fields = fieldsOf(sender, seq);
  return { t: 'data', ...fields, sig: await signFields(key, fields) };
}

describe('Ed25519 in the turn a frame arrives (Node)', () => {
  it('gives the same verdicts as WebCrypto, and its signatures verify there', async () => {
    const id = await generateIdentity();
    const other = await generateIdentity();
    const pub = await exportPublicKey(id.publicKey);
    const key = await readPublicKey(pub);
    if (!key.ok) throw new Error(key.error.message);
    const check = syncVerifier(pub);
    expect(check).not.toBeNull();
    const good = await dataFrom(alice, id.privateKey, 1);
    const byOther = await dataFrom(alice, other.privateKey, 1);
    const cases: DataFrame[] = [
      good,
      { ...good, body: 'altered' },
      { ...good, seq: 2 },
      byOther,
      { ...good, sig: 'not base64!' },
      { ...good, sig: good.sig.slice(4) },
    ];
    const checked = (f: DataFrame): boolean => check!(canonicalSignedBytes(f), f.sig);
    for (const f of cases) expect(checked(f)).toBe(await verifyFrame(key.value, f));
    expect(cases.map(checked)).toEqual([true, false, false, false, false, false]);

    const fields = fieldsOf(alice, 7, 'signed in this turn');
    const sig = signDraft(id.privateKey, fields);
    expect(typeof sig).toBe('string');
    expect(await verifyFrame(key.value, { t: 'data', ...fields, sig: sig as string })).toBe(true);
    expect(syncVerifier('not a key')).toBeNull();
  });

  it('signs a FINAL in this turn; the key ring checks it at once, and an echo that alters it fails', async () => {
    const id = await generateIdentity();
    const pub = await exportPublicKey(id.publicKey);
    const ring = new KeyRing();
    ring.learn([{ peerId: alice, name: 'alice', publicKey: pub }]);
    const good = await dataFrom(alice, id.privateKey, 1);
    const fields: FinalFields = {
      groupId: cats,
      viewId: asViewId(1),
      sender: alice,
      seq: 1,
      priority: { p: 4, by: carol },
      version: good.sig,
    };
    const sig = signOwnFinal(id.privateKey, fields);
    expect(typeof sig).toBe('string');
    const final: FinalFrame = { t: 'final', ...fields, sig: sig as string };
    const key = await readPublicKey(pub);
    if (!key.ok) throw new Error(key.error.message);
    expect(await verifyFinal(key.value, final, final.sig!)).toBe(true);
    expect(ring.verifyFinalNow(final)).toBe(true);
    expect(ring.verifyFinalNow({ ...final, priority: { p: 5, by: carol } })).toBe(false);
    expect(ring.verifyFinalNow({ ...final, version: GENESIS_PREV })).toBe(false);
    const { sig: _unsigned, ...bare } = final;
    expect(ring.verifyFinalNow(bare)).toBe(false);
    expect(await ring.verifyFinal({ ...final, seq: 2 }, 0)).toBe(false);
  });

  it('checks the entries of one signed list once each, and never lends its verdict to another signature, view or sender', async () => {
    const [a, c] = await Promise.all([generateIdentity(), generateIdentity()]);
    const ring = new KeyRing();
    ring.learn([
      { peerId: alice, name: 'alice', publicKey: await exportPublicKey(a.publicKey) },
      { peerId: carol, name: 'carol', publicKey: await exportPublicKey(c.publicKey) },
    ]);
    const versions = await Promise.all([1, 2, 3].map((seq) => dataFrom(alice, a.privateKey, seq)));
    const list: FinalItem[] = versions.map((d, i) => [d.seq, 10 + i, carol, d.sig]);
    const finalAt = (i: number, over: Partial<FinalFrame> = {}): FinalFrame => ({
      t: 'final',
      groupId: cats,
      viewId: asViewId(1),
      sender: alice,
      seq: i + 1,
      priority: { p: 10 + i, by: carol },
      version: versions[i]!.sig,
      list,
      ...over,
    });
    const sig = signOwnFinal(a.privateKey, finalAt(0));
    if (typeof sig !== 'string') throw new Error('Node signs at once');
    // Each entry as an ECHO restates it, twice over: valid every time.
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < list.length; i++) expect(ring.verifyFinalNow(finalAt(i, { sig }))).toBe(true);
    // The same list object under a signature it does not carry, another view, or another sender: refused.
    const forged = signOwnFinal(c.privateKey, finalAt(0, { sender: carol }));
    if (typeof forged !== 'string') throw new Error('Node signs at once');
    expect(ring.verifyFinalNow(finalAt(1, { sig: forged }))).toBe(false);
    expect(ring.verifyFinalNow(finalAt(1, { sig, viewId: asViewId(2) }))).toBe(false);
    expect(ring.verifyFinalNow(finalAt(1, { sig, sender: carol }))).toBe(false);
    // An entry the list does not hold, under the list's valid signature: refused.
    expect(ring.verifyFinalNow(finalAt(1, { sig, priority: { p: 99, by: carol } }))).toBe(false);
    // The carol-signed copy of the list verifies as carol's, not as alice's.
    expect(ring.verifyFinalNow(finalAt(2, { sig: forged, sender: carol }))).toBe(true);
    expect(ring.verifyFinalNow(finalAt(2, { sig: forged }))).toBe(false);
  });

  it('keeps per-peer order: a DATA waits behind its peer frame whose sender key is not known yet', async () => {
    const ring = new KeyRing();
    const [a, c] = await Promise.all([generateIdentity(), generateIdentity()]);
    ring.learn([{ peerId: alice, name: 'Alice', publicKey: await exportPublicKey(a.publicKey) }]);
    const rejected: [PeerId, ProtocolError][] = [];
    const verifier = new FrameVerifier(cats, ring, (from, e) => rejected.push([from, e]));
    const taken: string[] = [];
    const inbound = new InboundFrames(
      verifier,
      () => false,
      () => {},
      (_from, v: Verified) => {
        if (v.kind === 'frame' && v.frame.t === 'data') taken.push(`${v.frame.sender}:${v.frame.seq}`);
      },
      (_from, _f, e) => {
        throw e;
      },
    );
    // From alice's link: carol's DATA (carol's key arrives later), then alice's own.
    const fromCarol = await dataFrom(carol, c.privateKey, 1);
    inbound.push(alice, fromCarol as GroupFrame);
    inbound.push(alice, await dataFrom(alice, a.privateKey, 1));
    expect(taken).toEqual([]);
    ring.learn([{ peerId: carol, name: 'Carol', publicKey: await exportPublicKey(c.publicKey) }]);
    await expect.poll(() => taken).toEqual(['carol:1', 'alice:1']);

    // Idle again: a good DATA is taken in this very turn, a forged one refused and reported.
    await new Promise((r) => setTimeout(r, 0));
    inbound.push(alice, await dataFrom(alice, a.privateKey, 2));
    expect(taken).toEqual(['carol:1', 'alice:1', 'alice:2']);
    const forged = await dataFrom(alice, c.privateKey, 3);
    inbound.push(alice, forged);
    expect(taken).toHaveLength(3);
    expect(rejected.map(([from, e]) => [from, e.code])).toEqual([[alice, 'bad-signature']]);
  });

  it('takes a PROPOSE and an HWM, which carry nothing signed, in the turn they arrive, and a DATA behind them', async () => {
    const ring = new KeyRing();
    const a = await generateIdentity();
    ring.learn([{ peerId: alice, name: 'Alice', publicKey: await exportPublicKey(a.publicKey) }]);
    const verifier = new FrameVerifier(cats, ring, () => {});
    const taken: string[] = [];
    const inbound = new InboundFrames(
      verifier,
      () => false,
      () => {},
      (_from, v: Verified) => {
        if (v.kind === 'frame') taken.push(v.frame.t);
      },
      (_from, _f, e) => {
        throw e;
      },
    );
    const data = await dataFrom(alice, a.privateKey, 1);
    const propose: GroupFrame = {
      t: 'propose',
      groupId: cats,
      viewId: asViewId(1),
      sender: carol,
      seq: 1,
      priority: { p: 2, by: alice },
    };
    const hwm: GroupFrame = { t: 'hwm', groupId: cats, viewId: asViewId(1), delivered: { [alice]: 1 } };
    inbound.push(alice, propose);
    inbound.push(alice, hwm);
    inbound.push(alice, data);
    // One turn: the session packs what they set off (a FINAL, its ECHOs) together, not turn by turn.
    expect(taken).toEqual(['propose', 'hwm', 'data']);
  });
});

describe('a history page and the request it sets off', () => {
  it('is checked and handed to the core only after the frames made as it arrived went out', async () => {
    const ring = new KeyRing();
    const verifier = new FrameVerifier(cats, ring, () => {});
    const order: string[] = [];
    const inbound = new InboundFrames(
      verifier,
      () => false,
      // The next request is asked as the page arrives; the mesh writes a turn's frames at the end of the turn.
      () => void setImmediate(() => order.push('request written')),
      (_from, v: Verified) => {
        if (v.kind === 'page') order.push(`page ${v.page.req} taken`);
      },
      (_from, _f, e) => {
        throw e;
      },
    );
    const page: GroupFrame = { t: 'history-res', groupId: cats, req: 3, items: [], done: false };
    inbound.push(alice, page);
    await expect.poll(() => order).toEqual(['request written', 'page 3 taken']);
  });
});
