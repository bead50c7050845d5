// Who is who (docs/design.md §6, "People are keys"): the fingerprint a
// person sees next to a name, and what counts as the same name.
import { describe, expect, it } from 'vitest';
import type { MemberState } from '@chorus/peer';
import type { PeerId } from '@chorus/protocol';
import { authorLabel, fingerprint, nameSkeleton, peopleOf, personKey, type PersonKey } from '../src/lib/people.ts';

const key = (...head: number[]): PersonKey =>
  btoa(String.fromCharCode(...head, ...new Array<number>(32 - head.length).fill(0))) as PersonKey;
const member = (peerId: string, name: string, publicKey: string, online = true): MemberState => ({
  peerId: peerId as PeerId,
  name,
  publicKey,
  online,
});

describe('fingerprint', () => {
  it('is the first three bytes of the raw key in hex, grouped 4·2', () => {
    expect(fingerprint(key(0x3f, 0x9a, 0xc2, 0xff))).toBe('3f9a·c2');
    expect(fingerprint(key(0, 1, 2))).toBe('0001·02');
  });

  it('says so when there is no key to show', () => {
    expect(fingerprint(personKey(undefined, 'p1'))).toBe('key unknown');
    expect(fingerprint('not base64!' as PersonKey)).toBe('key unknown');
  });
});

describe('nameSkeleton', () => {
  it('ignores case, width, spacing, punctuation, invisible characters and a copied fingerprint', () => {
    for (const name of [
      'alice',
      'ALICE',
      'Ａｌｉｃｅ',
      ' A l i c e ',
      'Ali\u200bce',
      'Alice.',
      'Alice (3f9a·c2)',
      'Alice(3f9a.c2)',
    ])
      expect(nameSkeleton(name), name).toBe(nameSkeleton('Alice'));
    expect(nameSkeleton('Alicia')).not.toBe(nameSkeleton('Alice'));
  });
});

describe('peopleOf', () => {
  it('names the member a relayed person is reached through ("via Ben"), and nobody for a direct link', () => {
    const [a, b, c] = [key(1), key(2), key(3)];
    const people = peopleOf(
      [member('pa', 'Ann', a), { ...member('pb', 'Ben', b) }, { ...member('pc', 'Cy', c), via: 'pb' as PeerId }],
      new Map(),
    );
    expect(people.map((p) => [p.name, p.via])).toEqual([
      ['Ann', null],
      ['Ben', null],
      ['Cy', 'Ben'],
    ]);
  });

  it('is one person per key: the same key in two sessions is one person with two tabs, two keys are two people', () => {
    const a = key(1, 2, 3);
    const b = key(4, 5, 6);
    const people = peopleOf([member('1', 'Alice', a), member('2', 'Alice', a), member('3', 'Alice', b)], new Map());
    expect(people.map((p) => [p.label, p.sessions, p.namesake])).toEqual([
      ['Alice (0102·03)', 2, true],
      ['Alice (0405·06)', 1, true],
    ]);
  });

  it('keeps people seen earlier as offline, with the name an online session uses now', () => {
    const a = key(1, 2, 3);
    const gone = key(9, 9, 9);
    const people = peopleOf(
      [member('1', 'Alice B.', a), member('9', 'Zed', gone, false)],
      new Map([
        [a, 'Alice'],
        [gone, 'Zed'],
      ]),
    );
    expect(people.map((p) => [p.name, p.online, p.namesake])).toEqual([
      ['Alice B.', true, false],
      ['Zed', false, false],
    ]);
  });
});

describe('authorLabel', () => {
  it('adds the fingerprint only when another key in the group has the same name', () => {
    const a = key(1, 2, 3);
    const b = key(4, 5, 6);
    const alone = peopleOf([member('1', 'Alice', a), member('2', 'Bob', b)], new Map());
    expect(authorLabel('Alice', a, alone)).toBe('Alice');
    const twins = peopleOf([member('1', 'Alice', a), member('2', 'alice', b)], new Map());
    expect(authorLabel('Alice', a, twins)).toBe('Alice (0102·03)');
    expect(authorLabel('alice', b, twins)).toBe('alice (0405·06)');
  });
});
