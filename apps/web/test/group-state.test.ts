// A joined group's state: one entry per message id whatever order the copies
// arrive in, and a roster that keeps people who left as offline.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, MemberState } from '@chorus/peer';
import type { GroupId, MessageId, PeerId, ViewId } from '@chorus/protocol';
import { GroupState } from '../src/lib/state/group-state.svelte.ts';

const g = 'g' as GroupId;
const msg = (id: string, state: ChatMessage['state'], order: string, body = id): ChatMessage => ({
  id: id as MessageId,
  groupId: g,
  sender: 'p' as PeerId,
  senderName: 'Pat',
  body,
  sentAt: 1,
  order,
  state,
  viewId: 1 as ViewId,
});
const member = (peerId: string, name: string, publicKey: string, online = true): MemberState => ({
  peerId: peerId as PeerId,
  name,
  publicKey,
  online,
});
/** A 32-byte raw key as base64 whose first bytes are `head`: its fingerprint is their hex. */
const key = (...head: number[]): string =>
  btoa(String.fromCharCode(...head, ...new Array<number>(32 - head.length).fill(7)));
const ALICE = key(0x3f, 0x9a, 0xc2);
const MALLORY = key(0x77, 0xb0, 0x1e);
const BOB = key(0xb0, 0xb0, 0x01);
const summary = (p: GroupState['people'][number]): [string, boolean, number] => [p.label, p.online, p.sessions];
const group = (): GroupState => new GroupState({ groupId: g, name: 'g', ordering: 'total', joinedAt: 0 });

describe('GroupState', () => {
  it('shows a message once: delivered replaces pending, never the other way round', () => {
    const s = group();
    expect(s.upsert(msg('g/a:1', 'pending', '~1'))).toBe(true);
    expect(s.upsert(msg('g/a:1', 'delivered', '0005'))).toBe(false);
    expect(s.upsert(msg('g/a:1', 'pending', '~1'))).toBe(false);
    expect(s.upsert(msg('g/a:1', 'delivered', '0005', 'tampered'))).toBe(false);
    expect(s.messages.map((m) => [m.id, m.state, m.body])).toEqual([['g/a:1', 'delivered', 'g/a:1']]);
  });

  it("moves a delivered message to the key a total-order group's history gives it, keeping what was shown", () => {
    // A store kept a crashed session's non-uniform delivery; the sponsor's history carries the group's key.
    const s = group();
    for (const [id, order] of [
      ['a', '0001'],
      ['m', '0002'],
      ['b', '0003'],
    ] as const)
      s.upsert(msg(id, 'delivered', order));
    expect(s.upsert(msg('m', 'delivered', '0009', 'other'))).toBe(false);
    expect(s.messages.map((m) => [m.id, m.order, m.body])).toEqual([
      ['a', '0001', 'a'],
      ['b', '0003', 'b'],
      ['m', '0009', 'm'],
    ]);
    // A FIFO group's keys are each member's display order: a copy with another key changes nothing.
    const f = new GroupState({ groupId: g, name: 'g', ordering: 'fifo', joinedAt: 0 });
    for (const [id, order] of [
      ['a', '0001'],
      ['m', '0002'],
      ['b', '0003'],
    ] as const)
      f.upsert(msg(id, 'delivered', order));
    f.upsert(msg('m', 'delivered', '0009'));
    expect(f.messages.map((m) => m.id)).toEqual(['a', 'm', 'b']);
  });

  it('refuses a message of another group, even one with the same sender and seq', () => {
    const s = group();
    expect(s.upsert(msg('g/a:1', 'delivered', '0001', 'here'))).toBe(true);
    expect(s.upsert({ ...msg('h/a:1', 'delivered', '0001', 'elsewhere'), groupId: 'h' as GroupId })).toBe(false);
    expect(s.messages.map((m) => m.body)).toEqual(['here']);
  });

  it('sorts by the log order key', () => {
    const s = group();
    for (const [id, order] of [
      ['c', '0003'],
      ['a', '0001'],
      ['p', '~1'],
      ['b', '0002'],
    ] as const)
      s.upsert(msg(id, order.startsWith('~') ? 'pending' : 'delivered', order));
    expect(s.messages.map((m) => m.id)).toEqual(['a', 'b', 'c', 'p']);
  });

  it('lists people once per key, counts their tabs, and keeps those who left as offline', () => {
    const s = group();
    s.apply({
      groupId: g,
      name: 'g',
      ordering: 'total',
      status: 'member',
      view: null,
      members: [member('1', 'Alice', ALICE), member('2', 'Alice', ALICE), member('3', 'Bob', BOB)],
    });
    expect(s.people.map(summary)).toEqual([
      ['Alice (3f9a·c2)', true, 2],
      ['Bob (b0b0·01)', true, 1],
    ]);
    s.apply({
      groupId: g,
      name: 'g',
      ordering: 'total',
      status: 'member',
      view: null,
      members: [member('1', 'Alice', ALICE)],
    });
    expect(s.people.map(summary)).toEqual([
      ['Alice (3f9a·c2)', true, 1],
      ['Bob (b0b0·01)', false, 0],
    ]);
  });

  it('tells two keys with one name apart: two people, neither with "2 tabs", authors named with fingerprints', () => {
    const s = group();
    s.apply({
      groupId: g,
      name: 'g',
      ordering: 'total',
      status: 'member',
      view: null,
      members: [member('1', 'Alice', ALICE), member('2', 'Alice', MALLORY), member('3', 'Bob', BOB)],
    });
    expect(s.people.map(summary)).toEqual([
      ['Alice (3f9a·c2)', true, 1],
      ['Alice (77b0·1e)', true, 1],
      ['Bob (b0b0·01)', true, 1],
    ]);
    expect(s.people.filter((p) => p.namesake).map((p) => p.fingerprint)).toEqual(['3f9a·c2', '77b0·1e']);
    const real = { ...msg('g/1:1', 'delivered', '0001'), sender: '1' as PeerId, senderName: 'Alice', senderKey: ALICE };
    const fake = {
      ...msg('g/2:1', 'delivered', '0002'),
      sender: '2' as PeerId,
      senderName: 'Alice',
      senderKey: MALLORY,
    };
    const bob = { ...msg('g/3:1', 'delivered', '0003'), sender: '3' as PeerId, senderName: 'Bob', senderKey: BOB };
    for (const m of [real, fake, bob]) s.upsert(m);
    expect([real, fake, bob].map((m) => s.authorOf(m))).toEqual(['Alice (3f9a·c2)', 'Alice (77b0·1e)', 'Bob']);
    // A session named by its peer id alone (a typer) is labelled the same way.
    expect([
      s.labelOfPeer('1' as PeerId, 'Alice'),
      s.labelOfPeer('2' as PeerId, 'Alice'),
      s.labelOfPeer('3' as PeerId, 'Bob'),
    ]).toEqual(['Alice (3f9a·c2)', 'Alice (77b0·1e)', 'Bob']);
    expect(s.keyOf(fake)).toBe(MALLORY);
    expect(s.keyOf(real)).not.toBe(s.keyOf(fake));
  });

  it('finds a namesake among the authors of history too, and a key a message lacks from the view', () => {
    const s = group();
    s.apply({
      groupId: g,
      name: 'g',
      ordering: 'total',
      status: 'member',
      view: null,
      members: [member('2', 'alice', MALLORY)],
    });
    // A stored message of someone who left before this tab came: only its record names the key.
    const old = { ...msg('g/1:1', 'delivered', '0001'), sender: '1' as PeerId, senderName: 'Alice', senderKey: ALICE };
    s.upsert(old);
    const live = { ...msg('g/2:1', 'delivered', '0002'), sender: '2' as PeerId, senderName: 'alice' }; // no senderKey
    s.upsert(live);
    expect(s.keyOf(live)).toBe(MALLORY);
    expect([s.authorOf(old), s.authorOf(live)]).toEqual(['Alice (3f9a·c2)', 'alice (77b0·1e)']);
    expect(s.people.map(summary)).toEqual([
      ['alice (77b0·1e)', true, 1],
      ['Alice (3f9a·c2)', false, 0],
    ]);
  });

  it('marks a member whose session says it is an archivist', () => {
    const s = group();
    s.apply({
      groupId: g,
      name: 'g',
      ordering: 'total',
      status: 'member',
      view: null,
      members: [member('1', 'Alice', ALICE), { ...member('2', 'archivist', BOB), role: 'archivist' }],
    });
    expect(s.people.map((p) => [p.name, p.archivist])).toEqual([
      ['Alice', false],
      ['archivist', true],
    ]);
  });
});

describe('GroupState outgoing placeholders', () => {
  it("shows a sent text as pending at once and swaps in the runtime's message without a duplicate", () => {
    const s = group();
    const id = s.addOutgoing({ sender: 'me' as PeerId, senderName: 'Me', senderKey: null, body: 'hi', sentAt: 5 });
    s.upsert(msg('other', 'delivered', '0001'));
    expect(s.messages.map((m) => [m.body, m.state])).toEqual([
      ['other', 'delivered'],
      ['hi', 'pending'],
    ]);
    s.settleOutgoing(id, { ...msg('g/me:1', 'pending', '~1'), body: 'hi' });
    expect(s.messages.map((m) => [m.id, m.state])).toEqual([
      ['other', 'delivered'],
      ['g/me:1', 'pending'],
    ]);
    const failed = s.addOutgoing({
      sender: 'me' as PeerId,
      senderName: 'Me',
      senderKey: null,
      body: 'lost',
      sentAt: 6,
    });
    s.settleOutgoing(failed, null);
    expect(s.messages.map((m) => m.body)).toEqual(['other', 'hi']);
  });

  it("takes the runtime's copy in the placeholder's place when its event comes before send() answers", () => {
    const s = group();
    const mine = (id: string, state: ChatMessage['state'], order: string): ChatMessage => ({
      ...msg(id, state, order, 'ok'),
      sender: 'me' as PeerId,
    });
    const first = s.addOutgoing({ sender: 'me' as PeerId, senderName: 'Me', senderKey: null, body: 'ok', sentAt: 5 });
    const second = s.addOutgoing({ sender: 'me' as PeerId, senderName: 'Me', senderKey: null, body: 'ok', sentAt: 6 });
    // Someone else's "ok" is not ours: both placeholders stay.
    s.upsert(msg('g/p:1', 'delivered', '0001', 'ok'));
    expect(s.messages.map((m) => [m.id, m.state])).toEqual([
      ['g/p:1', 'delivered'],
      [first, 'pending'],
      [second, 'pending'],
    ]);
    // Our first "ok" delivered before its send() answered: one article for it, the second placeholder kept.
    s.upsert(mine('g/me:1', 'delivered', '0002'));
    expect(s.messages.map((m) => [m.id, m.state])).toEqual([
      ['g/p:1', 'delivered'],
      ['g/me:1', 'delivered'],
      [second, 'pending'],
    ]);
    s.settleOutgoing(first, mine('g/me:1', 'delivered', '0002'));
    s.settleOutgoing(second, mine('g/me:2', 'pending', '~2'));
    expect(s.messages.map((m) => [m.id, m.state])).toEqual([
      ['g/p:1', 'delivered'],
      ['g/me:1', 'delivered'],
      ['g/me:2', 'pending'],
    ]);
  });
});

describe('GroupState holding part of a long history', () => {
  const page = (from: number, to: number): ChatMessage[] =>
    Array.from({ length: to - from }, (_, i) => msg(`g/p:${from + i}`, 'delivered', String(from + i).padStart(6, '0')));

  it('holds the newest page, leaves older arrivals to the store, and takes the page before in place', () => {
    const s = group();
    s.addPage(page(100, 300), 200); // full: the store may hold older ones
    expect([s.count, s.olderInStore, s.oldestOrder]).toEqual([200, true, '000100']);
    // An older message arriving live (history catching up) would leave a gap: the store has it, scrolling up reads it.
    expect(s.upsert(msg('g/p:50', 'delivered', '000050'))).toBe(false);
    expect(s.upsert(msg('g/p:300', 'delivered', '000300'))).toBe(true);
    s.addPage(page(0, 100), 200); // short: nothing older is stored
    expect(s.olderInStore).toBe(false);
    expect(s.messages.map((m) => m.order)).toEqual(page(0, 301).map((m) => m.order));
    expect(
      s
        .items(0, 2, 0)
        .filter((i) => i.kind === 'message')
        .map((i) => i.key),
    ).toEqual(['mg/p:0', 'mg/p:1']);
    expect(s.indexOfOrder('000150')).toBe(150);
    // Everything is held now: an older arrival is held too, in its place.
    expect(s.upsert(msg('g/p:x', 'delivered', '00000'))).toBe(true);
    expect(s.messageAt(0)?.id).toBe('g/p:x');
  });

  it('holds whatever arrives before any page was read, in log order', () => {
    const s = group();
    for (const order of ['000003', '000001', '000002']) s.upsert(msg(`g/p:${order}`, 'delivered', order));
    expect(s.messages.map((m) => m.order)).toEqual(['000001', '000002', '000003']);
  });

  it('keeps one line per note topic: a later note of the topic updates its text in place', () => {
    const s = group();
    s.upsert({ ...msg('g/p:1', 'delivered', '000001'), sentAt: 10 });
    const notes = () =>
      s
        .items(0, s.count, 100)
        .flatMap((i) => (i.kind === 'note' ? [i.note.text] : i.kind === 'message' ? ['msg'] : []));
    s.addNote('Refused 1 chunk from Mallory', 'error', 5, 'bad:1');
    s.addNote('Mallory is skipped', 'error', 20);
    for (let n = 2; n <= 96; n++) s.addNote(`Refused ${n} chunks from Mallory`, 'error', 20 + n, 'bad:1');
    s.addNote('Refused 1 chunk from Trudy', 'error', 200, 'bad:2');
    // The running line stays where it first appeared (before the message), with the newest count.
    expect(notes()).toEqual([
      'Refused 96 chunks from Mallory',
      'msg',
      'Mallory is skipped',
      'Refused 1 chunk from Trudy',
    ]);
  });

  it('starts a new line for a topic whose line scrolled away', () => {
    const s = group();
    const texts = () => s.items(0, 0, 0).flatMap((i) => (i.kind === 'note' ? [i.note.text] : []));
    s.addNote('count 1', 'error', 1, 't');
    for (let i = 0; i < 200; i++) s.addNote(`other ${i}`, 'info', 2 + i);
    expect(texts()).not.toContain('count 1');
    s.addNote('count 2', 'error', 500, 't');
    expect(texts().at(-1)).toBe('count 2');
    expect(texts()).toHaveLength(200);
  });
});
