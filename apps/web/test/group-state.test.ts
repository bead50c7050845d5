// A joined group's state: one entry per message id whatever order the copies
// arrive in, and a roster that keeps people who left as offline.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, MemberState } from '@chorus/peer';
import type { GroupId, MessageId, PeerId, ViewId } from '@chorus/protocol';
import { GroupState } from '../src/lib/state/group-state.svelte.ts';

const g = 'g' as GroupId;
const msg = (id: string, state: ChatMessage['state'], order: string, body = id): ChatMessage => ({
  id: id as MessageId, groupId: g, sender: 'p' as PeerId, senderName: 'Pat', body, sentAt: 1, order, state, viewId: 1 as ViewId,
});
const member = (peerId: string, name: string, online = true): MemberState => ({ peerId: peerId as PeerId, name, publicKey: 'k', online });
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

  it('refuses a message of another group, even one with the same sender and seq', () => {
    const s = group();
    expect(s.upsert(msg('g/a:1', 'delivered', '0001', 'here'))).toBe(true);
    expect(s.upsert({ ...msg('h/a:1', 'delivered', '0001', 'elsewhere'), groupId: 'h' as GroupId })).toBe(false);
    expect(s.messages.map((m) => m.body)).toEqual(['here']);
  });

  it('sorts by the log order key', () => {
    const s = group();
    for (const [id, order] of [['c', '0003'], ['a', '0001'], ['p', '~1'], ['b', '0002']] as const) s.upsert(msg(id, order.startsWith('~') ? 'pending' : 'delivered', order));
    expect(s.messages.map((m) => m.id)).toEqual(['a', 'b', 'c', 'p']);
  });

  it('lists people once per name, counts their tabs, and keeps those who left as offline', () => {
    const s = group();
    s.apply({ groupId: g, name: 'g', ordering: 'total', status: 'member', view: null,
      members: [member('1', 'Alice'), member('2', 'Alice'), member('3', 'Bob')] });
    expect(s.people).toEqual([
      { name: 'Alice', online: true, sessions: 2, archivist: false }, { name: 'Bob', online: true, sessions: 1, archivist: false },
    ]);
    s.apply({ groupId: g, name: 'g', ordering: 'total', status: 'member', view: null, members: [member('1', 'Alice')] });
    expect(s.people).toEqual([{ name: 'Alice', online: true, sessions: 1, archivist: false }, { name: 'Bob', online: false, sessions: 0, archivist: false }]);
  });

  it('marks a member whose session says it is an archivist', () => {
    const s = group();
    s.apply({ groupId: g, name: 'g', ordering: 'total', status: 'member', view: null,
      members: [member('1', 'Alice'), { ...member('2', 'archivist'), role: 'archivist' }] });
    expect(s.people.map((p) => [p.name, p.archivist])).toEqual([['Alice', false], ['archivist', true]]);
  });
});

describe('GroupState outgoing placeholders', () => {
  it('shows a sent text as pending at once and swaps in the runtime\'s message without a duplicate', () => {
    const s = group();
    const id = s.addOutgoing({ sender: 'me' as PeerId, senderName: 'Me', body: 'hi', sentAt: 5 });
    s.upsert(msg('other', 'delivered', '0001'));
    expect(s.messages.map((m) => [m.body, m.state])).toEqual([['other', 'delivered'], ['hi', 'pending']]);
    s.settleOutgoing(id, { ...msg('g/me:1', 'pending', '~1'), body: 'hi' });
    expect(s.messages.map((m) => [m.id, m.state])).toEqual([['other', 'delivered'], ['g/me:1', 'pending']]);
    const failed = s.addOutgoing({ sender: 'me' as PeerId, senderName: 'Me', body: 'lost', sentAt: 6 });
    s.settleOutgoing(failed, null);
    expect(s.messages.map((m) => m.body)).toEqual(['other', 'hi']);
  });
});
