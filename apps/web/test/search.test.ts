// Search in stored history and the directory filter (docs/design.md §6, "Search").
import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '@chorus/peer';
import { encodeOp, messageId, type GroupId, type PeerId } from '@chorus/protocol';
import { filterDirectory, matchAt, normalizeQuery, searchItems, snippetOf, SNIPPET_CHARS } from '../src/lib/search.ts';

const G = 'g1' as GroupId;
let seq = 0;
function stored(body: string, sender = 'p1', key = 'KEY1'): StoredMessage {
  seq++;
  const order = String(seq).padStart(6, '0');
  return {
    id: messageId(G, sender as PeerId, seq),
    groupId: G,
    senderName: sender,
    senderKey: key,
    deliveredAt: seq,
    order,
    frame: { sender: sender as PeerId, body, sentAt: 1000 + seq },
  } as unknown as StoredMessage;
}

describe('normalizeQuery', () => {
  it('trims, collapses spaces, lowercases, and refuses one character', () => {
    expect(normalizeQuery('  Hello   World ')).toBe('hello world');
    expect(normalizeQuery(' a ')).toBeNull();
    expect(normalizeQuery('ab')).toBe('ab');
  });
});

describe('matchAt and snippetOf', () => {
  it('matches case-insensitively, across a line break', () => {
    expect(matchAt('Say HELLO\nworld', 'hello world')).toBe(4);
    expect(matchAt('nothing here', 'hello')).toBe(-1);
  });

  it('cuts a long text around the match and marks the cuts', () => {
    const text = `${'a'.repeat(200)} needle ${'b'.repeat(200)}`;
    const s = snippetOf(text, 201, 6);
    expect(s).toContain('needle');
    expect(s.startsWith('…') && s.endsWith('…')).toBe(true);
    expect(s.length).toBeLessThanOrEqual(SNIPPET_CHARS + 2);
    expect(snippetOf('short one', 0, 5)).toBe('short one');
  });
});

describe('searchItems', () => {
  it('finds messages as they show now, newest first, never an operation or a deleted one', () => {
    const a = stored('the blue boat');
    const b = stored('a red car');
    const c = stored('Blue sky');
    const edit = stored(encodeOp({ op: 'edit', target: b.id, text: 'a blue car' }));
    const del = stored(encodeOp({ op: 'delete', target: c.id }));
    const reply = stored(encodeOp({ op: 'reply', target: a.id, text: 'blue too' }));
    const hits = searchItems(G, [reply, a, del, b, c, edit], 'blue', 10);
    expect(hits.map((h) => h.id)).toEqual([reply.id, b.id, a.id]);
    expect(hits[1]?.snippet).toBe('a blue car');
  });

  it('ignores an edit by another key', () => {
    const a = stored('original words', 'p1', 'KEY1');
    const edit = stored(encodeOp({ op: 'edit', target: a.id, text: 'hijacked words' }), 'p2', 'KEY2');
    expect(searchItems(G, [a, edit], 'hijacked', 10)).toEqual([]);
    expect(searchItems(G, [a, edit], 'original', 10).map((h) => h.id)).toEqual([a.id]);
  });

  it('stops at the limit', () => {
    const items = [stored('hit one'), stored('hit two'), stored('hit three')];
    expect(searchItems(G, items, 'hit', 2).map((h) => h.text)).toEqual(['hit three', 'hit two']);
  });
});

describe('filterDirectory', () => {
  const dir = [
    { name: 'zeta', online: 2 },
    { name: 'Alpha', online: 0 },
    { name: 'beta', online: 1 },
    { name: 'alphabet', online: 0 },
  ];
  it('lists groups with people online first, each part by name', () => {
    expect(filterDirectory(dir, '').map((g) => g.name)).toEqual(['beta', 'zeta', 'Alpha', 'alphabet']);
  });
  it('keeps the names containing the filter, case-insensitively', () => {
    expect(filterDirectory(dir, ' ALPHA ').map((g) => g.name)).toEqual(['Alpha', 'alphabet']);
    expect(filterDirectory(dir, 'nope')).toEqual([]);
  });
});
