// Direct messages (PROTOCOL.md §2 Direct messages): the id comes from the two
// keys alone, and a DM charter is FIFO, open, and created by one of its two.

import { describe, expect, it } from 'vitest';
import { charterGroupId, dmGroupId, isDmGroupId, otherParty, parseCharter, sortParties } from '../src/index.ts';
import type { GroupCharter } from '../src/index.ts';

const keyA = `${'A'.repeat(43)}=`;
const keyB = `${'B'.repeat(43)}=`;
const keyC = `${'C'.repeat(43)}=`;
const ann = { publicKey: keyA, name: 'Ann' };
const ben = { publicKey: keyB, name: 'Ben' };

const charter = (over: Partial<GroupCharter> = {}): GroupCharter => ({
  v: 1,
  name: 'Direct message',
  ordering: 'fifo',
  createdBy: 'Ann',
  creatorKey: keyA,
  createdAt: 1,
  nonce: 'n'.repeat(22),
  dm: sortParties(ben, ann),
  ...over,
});

describe('direct message ids and charters', () => {
  it('gives both people the same id, whichever opens it, and another pair another id', async () => {
    const ab = await dmGroupId(keyA, keyB);
    expect(await dmGroupId(keyB, keyA)).toBe(ab);
    expect(await dmGroupId(keyA, keyC)).not.toBe(ab);
    expect(isDmGroupId(ab)).toBe(true);
    // The charter's id is the DM id, whatever its time, nonce or names.
    expect(await charterGroupId(charter())).toBe(ab);
    expect(
      await charterGroupId(charter({ createdAt: 99, nonce: 'm'.repeat(22), createdBy: 'Ben', creatorKey: keyB })),
    ).toBe(ab);
    // An ordinary group's id never has a DM id's shape.
    const { dm: _dm, ...plain } = charter();
    expect(isDmGroupId(await charterGroupId(plain))).toBe(false);
    expect(otherParty(sortParties(ann, ben), keyA)).toEqual(ben);
    expect(otherParty(sortParties(ann, ben), keyC)).toBeNull();
  });

  it('parses a DM charter and refuses one that is locked, total, unsorted, of one key, or made by a third key', () => {
    expect(parseCharter(JSON.parse(JSON.stringify(charter())))).toMatchObject({ ok: true, value: { dm: [ann, ben] } });
    for (const bad of [
      { ...charter(), lock: 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==' },
      { ...charter(), ordering: 'total' },
      { ...charter(), dm: [ben, ann] },
      { ...charter(), dm: [ann, ann] },
      { ...charter(), dm: [ann] },
      { ...charter(), creatorKey: keyC },
      { ...charter(), dm: [ann, { publicKey: 'short', name: 'Ben' }] },
    ])
      expect(parseCharter(bad)).toMatchObject({ ok: false, error: { code: 'bad-type' } });
  });
});
