// The parts of the page's state that AppState composes, against a fake peer:
// what the joined groups count as news, what a join does with a wrong
// password, which group creating one opens, and what the composer refuses
// before the wire would.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChorusPeer, JoinedGroup } from '@chorus/peer';
import { ChorusError } from '@chorus/peer/light';
import {
  MAX_BODY_CHARS,
  type GroupId,
  type GroupSummary,
  type MessageId,
  type PeerId,
  type ViewId,
} from '@chorus/protocol';
import { Attention } from '../src/lib/state/attention.svelte.ts';
import { NotifyPrefs } from '../src/lib/state/notify-prefs.svelte.ts';
import { Banners } from '../src/lib/state/banners.svelte.ts';
import { ComposerActions } from '../src/lib/state/composer-actions.ts';
import { JoinedGroups } from '../src/lib/state/joined-groups.svelte.ts';
import { Joins } from '../src/lib/state/joins.svelte.ts';
import type { Live } from '../src/lib/state/runtime.ts';
import { TabMemory } from '../src/lib/state/tab-memory.ts';
import { MapStorage } from './map-storage.ts';

const SELF = 'KEY-SELF';
const lobby = 'lobby' as GroupId;
const vault = 'vault' as GroupId;
const summary = (groupId: GroupId, locked = false): GroupSummary =>
  ({ groupId, name: groupId, ordering: 'fifo', locked, online: 1 }) as unknown as GroupSummary;
const joined = (groupId: GroupId): JoinedGroup =>
  ({ groupId, name: groupId, ordering: 'fifo', status: 'member', view: null, members: [] }) as unknown as JoinedGroup;
const message = (groupId: GroupId, seq: number, body: string, senderKey = 'KEY-BEN', sentAt = 1_000): ChatMessage => ({
  id: `${groupId}/ben:${seq}` as MessageId,
  groupId,
  sender: 'ben' as PeerId,
  senderName: 'Ben',
  senderKey,
  body,
  sentAt,
  order: String(seq).padStart(4, '0'),
  state: 'delivered',
  viewId: 1 as ViewId,
});

/** A peer that joins every group but `vault` without its password, and records what is sent. */
function fakePeer(sent: string[]): ChorusPeer {
  return {
    peerId: 'me' as PeerId,
    name: 'Me',
    directory: () => [summary(lobby), summary(vault, true)],
    join: async (groupId: GroupId, password?: string) => {
      if (groupId === vault && password !== 'sesame') throw new ChorusError('wrong-password', 'Wrong password.');
      return joined(groupId);
    },
    history: async () => [],
    send: async (groupId: GroupId, text: string) => {
      sent.push(text);
      return message(groupId, sent.length, text, SELF);
    },
  } as unknown as ChorusPeer;
}

function parts(clock = () => 10) {
  const sent: string[] = [];
  const peer = fakePeer(sent);
  const live: Live = { runtime: null, store: null, peer, selfKey: SELF, selfName: 'Me', online: true };
  const attention = new Attention(null);
  const memory = new TabMemory(new MapStorage());
  const banners = new Banners();
  // Assigned once, after `groups`, whose callback reads it: a const cannot be read before its line.
  // eslint-disable-next-line prefer-const
  let joins: Joins | undefined;
  const notify = new NotifyPrefs(new MapStorage());
  const groups = new JoinedGroups({ memory, attention, notify, clock, live, onCurrent: () => joins?.syncAddress() });
  joins = new Joins({ groups, banners, live });
  joins.setDirectory(peer.directory());
  const composer = new ComposerActions({ live, groups, joins, banners, clock, quit: async () => {} });
  return { sent, peer, attention, memory, banners, groups, joins, composer };
}

describe('JoinedGroups', () => {
  it("counts someone else's new message in a group not open, a mention of you apart, and clears both on open", async () => {
    const { groups, joins, attention } = parts();
    await joins.join(lobby);
    await joins.join(vault, 'sesame');
    expect(groups.currentId).toBe(vault);
    groups.received(message(lobby, 1, 'plain news'));
    groups.received(message(lobby, 2, '@Me look'));
    const held = groups.get(lobby)!;
    expect([held.unread, held.mentions, attention.unread]).toEqual([2, 1, 2]);
    groups.open(lobby);
    expect([held.unread, held.mentions, attention.unread]).toEqual([0, 0, 0]);
  });

  it("does not count your own key's messages, history from before the join, or the open group", async () => {
    const { groups, joins } = parts(() => 500);
    await joins.join(lobby);
    await joins.join(vault, 'sesame');
    groups.received(message(lobby, 1, 'mine from another tab', SELF));
    groups.received(message(lobby, 2, 'old history', 'KEY-BEN', 100));
    groups.received(message(vault, 1, 'in the open group'));
    expect([groups.get(lobby)!.unread, groups.get(vault)!.unread]).toEqual([0, 0]);
    expect(groups.get(lobby)!.count).toBe(2);
  });

  it("leaving the open group opens the next and forgets it in the tab's memory", async () => {
    const { groups, joins, memory } = parts();
    await joins.join(lobby);
    await joins.join(vault, 'sesame');
    expect(memory.groups.map((g) => g.groupId)).toEqual([lobby, vault]);
    await joins.leave(vault);
    expect(groups.currentId).toBe(lobby);
    expect(memory.groups.map((g) => g.groupId)).toEqual([lobby]);
  });
});

describe('Joins', () => {
  it("asks a locked group's password, keeps a wrong one out with a sentence, and reopens the group open before", async () => {
    const { groups, joins } = parts();
    await joins.join(lobby);
    await joins.join(vault);
    expect(joins.passwordAsked.has(vault)).toBe(true);
    expect(groups.ids.has(vault)).toBe(false);
    await joins.join(vault, 'guess');
    expect(joins.joinErrors.get(vault)).toBe('Wrong password for vault. Try again.');
    expect(groups.ids.has(vault)).toBe(false);
    expect(groups.currentId).toBe(lobby);
    await joins.join(vault, 'sesame');
    expect(joins.joinErrors.has(vault)).toBe(false);
    expect(groups.currentId).toBe(vault);
  });

  it('opens a group it creates, unless another group was opened while it was being created', async () => {
    const { peer, groups, joins } = parts();
    Object.assign(peer, { createGroup: async (name: string) => summary(name as GroupId) });
    await joins.join(lobby);
    expect(await joins.createGroup(' garden ', 'fifo', '')).toBe(true);
    expect(groups.currentId).toBe('garden');
    let created: () => void = () => {};
    Object.assign(peer, {
      createGroup: (name: string) =>
        new Promise<GroupSummary>((resolve) => (created = () => resolve(summary(name as GroupId)))),
    });
    const creating = joins.createGroup('attic', 'fifo', '');
    groups.open(lobby);
    created();
    expect(await creating).toBe(true);
    expect(groups.ids.has('attic' as GroupId)).toBe(true);
    expect(groups.currentId).toBe(lobby);
  });

  it('"Leave" pressed while a join waits for the tracker wins: the group does not come back when the join answers', async () => {
    const { peer, groups, joins, memory, banners } = parts();
    await joins.join(lobby);
    const attic = 'attic' as GroupId;
    joins.setDirectory([...peer.directory(), summary(attic)]);
    let answer: () => void = () => {};
    let inPeer = false;
    const left: GroupId[] = [];
    Object.assign(peer, {
      join: (groupId: GroupId) =>
        new Promise<JoinedGroup>((resolve) => (answer = () => ((inPeer = true), resolve(joined(groupId))))),
      // Before the tracker answers, the peer holds no group to leave.
      leave: async (groupId: GroupId) => {
        if (!inPeer) throw new ChorusError('not-member', 'This peer is not in that group.');
        left.push(groupId);
      },
    });
    const joining = joins.join(attic);
    expect(groups.currentId).toBe(attic);
    await joins.leave(attic);
    answer();
    await joining;
    expect(groups.ids.has(attic)).toBe(false);
    expect(groups.currentId).toBe(lobby);
    expect(memory.groups.map((g) => g.groupId)).toEqual([lobby]);
    // The join that completed after the leave is undone at the peer, and nobody is told of a failed leave.
    expect(left).toEqual([attic]);
    expect(banners.list).toEqual([]);
    expect(joins.joinErrors.has(attic)).toBe(false);
  });

  it("refuses a group name over the tracker's cap before asking it", async () => {
    const { joins } = parts();
    expect(await joins.createGroup('n'.repeat(65), 'fifo', '')).toBe(false);
    expect(joins.createError).toBe('A group name has at most 64 characters.');
  });
});

describe('ComposerActions', () => {
  it("sends a message of the wire's cap and keeps one over it, saying the cap", async () => {
    const { sent, groups, joins, composer } = parts();
    await joins.join(lobby);
    expect(await composer.submit('x'.repeat(MAX_BODY_CHARS + 1))).toBe(false);
    expect(sent).toEqual([]);
    const group = groups.get(lobby)!;
    const notes = group.items(0, group.count, 10).flatMap((i) => (i.kind === 'note' ? [i.note.text] : []));
    expect(notes).toEqual([
      `Not sent: a message has at most ${MAX_BODY_CHARS} characters (this one has ${MAX_BODY_CHARS + 1}).`,
    ]);
    expect(await composer.submit('x'.repeat(MAX_BODY_CHARS))).toBe(true);
    expect(sent.map((t) => t.length)).toEqual([MAX_BODY_CHARS]);
  });

  it("puts a command's answer in a banner when no group is open", async () => {
    const { composer, banners } = parts();
    expect(await composer.submit('/help')).toBe(true);
    expect(banners.list.map((b) => b.kind)).toEqual(['info']);
    expect(banners.list[0]?.message).toMatch(/^Commands:/);
  });
});
