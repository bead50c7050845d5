// A joiner verifies a history page through the senders' hash chains
// (PROTOCOL.md §1.5): one Ed25519 signature per sender per page, not one per
// message; an item a sponsor altered is refused on its own signature and the
// genuine items around it stay.
import { describe, expect, it } from 'vitest';
import {
  asGroupId,
  asPeerId,
  asViewId,
  exportPublicKey,
  generateIdentity,
  GENESIS_PREV,
  linkHash,
  signFields,
  type DataFrame,
  type HistoryItem,
  type PeerId,
  type ProtocolError,
} from '@chorus/protocol';
import { FrameVerifier } from '../src/session/frame-verifier.ts';
import { KeyRing } from '../src/session/key-ring.ts';

const cats = asGroupId('cats');
const sponsor = asPeerId('sponsor');

async function chainOf(sender: PeerId, key: CryptoKey, n: number): Promise<HistoryItem[]> {
  const out: HistoryItem[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 1; seq <= n; seq++) {
    const fields = {
      groupId: cats,
      viewId: asViewId(1),
      sender,
      seq,
      lamport: seq,
      sentAt: seq,
      body: `${sender} ${seq}`,
      prev,
    };
    const frame: DataFrame = { t: 'data', ...fields, sig: await signFields(key, fields) };
    prev = linkHash(frame);
    out.push({ frame, order: `${String(seq).padStart(4, '0')}:${sender}` });
  }
  return out;
}

async function setup() {
  const ring = new KeyRing();
  const ids = await Promise.all([generateIdentity(), generateIdentity()]);
  const [alice, bob] = [asPeerId('alice'), asPeerId('bob')];
  ring.learn([
    { peerId: alice, name: 'Alice', publicKey: await exportPublicKey(ids[0]!.publicKey) },
    { peerId: bob, name: 'Bob', publicKey: await exportPublicKey(ids[1]!.publicKey) },
  ]);
  let checks = 0;
  const verify = ring.verify.bind(ring);
  ring.verify = (f, wait) => {
    checks += 1;
    return verify(f, wait);
  };
  const items = [...(await chainOf(alice, ids[0]!.privateKey, 30)), ...(await chainOf(bob, ids[1]!.privateKey, 20))];
  items.sort((a, b) => (a.order < b.order ? -1 : 1));
  const refused: ProtocolError[] = [];
  const verifier = new FrameVerifier(cats, ring, (_from, e) => refused.push(e));
  return { items, refused, verifier, checks: () => checks };
}

const bodies = (v: Awaited<ReturnType<FrameVerifier['verify']>>): string[] =>
  v?.kind === 'page' ? v.items.map((i) => i.frame.body) : [];

describe('FrameVerifier: history through hash chains', () => {
  it('a page of 50 messages from two senders costs two signature checks and keeps every item', async () => {
    const { items, refused, verifier, checks } = await setup();
    const v = await verifier.verify(sponsor, { t: 'history-res', groupId: cats, req: 1, items, done: false });
    expect(bodies(v)).toHaveLength(50);
    expect(refused).toEqual([]);
    expect(checks()).toBe(2);
  });

  it('an item the sponsor altered is refused; the items its successor no longer vouches for are checked on their own and stay', async () => {
    const { items, refused, verifier } = await setup();
    const target = items.findIndex((i) => i.frame.sender === 'alice' && i.frame.seq === 10);
    const altered = items.map((it, i) => (i === target ? { ...it, frame: { ...it.frame, body: 'altered' } } : it));
    const v = await verifier.verify(sponsor, { t: 'history-res', groupId: cats, req: 1, items: altered, done: false });
    expect(bodies(v)).toHaveLength(49);
    expect(bodies(v)).not.toContain('altered');
    expect(refused.map((e) => e.code)).toEqual(['bad-signature']);
  });
});
