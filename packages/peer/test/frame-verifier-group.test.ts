// A sponsor's history page can only bring messages of the joiner's group: an
// item signed (validly) for another group is refused before it reaches the
// session core and the store, and the rest of the page goes on.
import { describe, expect, it } from 'vitest';
import {
  asGroupId,
  asPeerId,
  asViewId,
  exportPublicKey,
  generateIdentity,
  signFields,
  type DataFrame,
  type GroupId,
  type HistoryItem,
  type ProtocolError,
} from '@chorus/protocol';
import { FrameVerifier } from '../src/session/frame-verifier.ts';
import { KeyRing } from '../src/session/key-ring.ts';

const cats = asGroupId('cats');
const dogs = asGroupId('dogs');
const alice = asPeerId('alice');
const sponsor = asPeerId('sponsor');

describe('FrameVerifier on history pages', () => {
  it("refuses an item of another group (same sender, same seq) and keeps the group's own", async () => {
    const keys = await generateIdentity();
    const ring = new KeyRing();
    ring.learn([{ peerId: alice, name: 'Alice', publicKey: await exportPublicKey(keys.publicKey) }]);
    const item = async (groupId: GroupId, body: string): Promise<HistoryItem> => {
      const fields = { groupId, viewId: asViewId(1), sender: alice, seq: 1, lamport: 1, sentAt: 1, body };
      const frame: DataFrame = { t: 'data', ...fields, sig: await signFields(keys.privateKey, fields) };
      return { frame, order: '0001', senderName: 'Alice' };
    };
    const refused: ProtocolError[] = [];
    const verifier = new FrameVerifier(dogs, ring, (_from, e) => refused.push(e));
    const page = {
      t: 'history-res' as const,
      groupId: dogs,
      req: 1,
      items: [await item(cats, 'cats 1'), await item(dogs, 'dogs 1')],
      done: false,
    };
    const v = await verifier.verify(sponsor, page);
    expect(v?.kind).toBe('page');
    expect(v?.kind === 'page' ? v.items.map((i) => i.frame.body) : null).toEqual(['dogs 1']);
    expect(refused.map((e) => e.code)).toEqual(['not-member']);
  });
});
