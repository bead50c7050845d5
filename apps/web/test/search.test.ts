// Search in stored history and the directory filter (docs/design.md §6, "Search").
import { describe, expect, it } from 'vitest';
import type { IdbStore, StoredMessage } from '@chorus/peer';
import { encodeOp, messageId, type GroupId, type PeerId } from '@chorus/protocol';
import { filterDirectory, matchAt, normalizeQuery, searchItems, snippetOf, SNIPPET_CHARS } from '../src/lib/search.ts';
import { GroupState } from '../src/lib/state/group-state.svelte.ts';
import { MessageSearch, SEARCH_PAGE } from '../src/lib/state/search.svelte.ts';

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

describe('MessageSearch', () => {
  // A store that answers `before` as IdbStore does: the `limit` messages just before `before`, oldest first.
  function storeOf(items: readonly StoredMessage[]): { before: IdbStore['before']; pages: number } {
    const fake = {
      pages: 0,
      before: async (_g: GroupId, before: string | null, limit: number) => {
        fake.pages++;
        const end = before === null ? items.length : items.findIndex((m) => m.order >= before);
        return items.slice(Math.max(0, end - limit), end);
      },
    };
    return fake;
  }

  it('finds the first message of a group holding 12 000, and an edit there by its new text', async () => {
    seq = 0;
    const items = [
      stored('the very first needle'),
      ...Array.from({ length: 12_000 }, (_, i) => stored(`chatter ${i}`)),
    ];
    const fake = storeOf(items);
    const group = new GroupState({ groupId: G, name: 'Long', ordering: 'fifo', joinedAt: 0 });
    const search = new MessageSearch(
      () => fake as unknown as IdbStore,
      () => [group],
    );
    search.set('first needle');
    await search.run();
    expect(search.results.map((r) => r.snippet)).toEqual(['the very first needle']);
    expect(search.results[0]?.groupName).toBe('Long');
    expect(fake.pages).toBe(Math.ceil(items.length / SEARCH_PAGE));
    search.clear();
  });

  it('abandons an older query at its next page when a newer one starts', async () => {
    seq = 0;
    const items = Array.from({ length: 5_000 }, (_, i) => stored(`word ${i}`));
    const fake = storeOf(items);
    const group = new GroupState({ groupId: G, name: 'G', ordering: 'fifo', joinedAt: 0 });
    const search = new MessageSearch(
      () => fake as unknown as IdbStore,
      () => [group],
    );
    search.set('word 1');
    const older = search.run();
    search.set('word 4999');
    const newer = search.run();
    await Promise.all([older, newer]);
    expect(search.searched).toBe('word 4999');
    expect(search.results.map((r) => r.snippet)).toEqual(['word 4999']);
    // The older scan stopped after its first page; the newer one read the ten full pages and the empty one after.
    expect(fake.pages).toBe(1 + 11);
    search.clear();
  });
});
