// "Message <name>" against a fake peer whose tracker answers when the test
// says: the direct message opens at once, nothing typed while it opens
// reaches the group open before, and a failure goes back to that group with
// its draft.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChorusPeer, JoinedGroup } from '@chorus/peer';
import { ChorusError } from '@chorus/peer/light';
import { dmGroupId, type GroupId, type GroupSummary, type MessageId, type PeerId, type ViewId } from '@chorus/protocol';
import { Attention } from '../src/lib/state/attention.svelte.ts';
import { Banners } from '../src/lib/state/banners.svelte.ts';
import { ComposerActions } from '../src/lib/state/composer-actions.ts';
import { DirectMessages } from '../src/lib/state/direct-messages.svelte.ts';
import { JoinedGroups } from '../src/lib/state/joined-groups.svelte.ts';
import { Joins } from '../src/lib/state/joins.svelte.ts';
import { NotifyPrefs } from '../src/lib/state/notify-prefs.svelte.ts';
import type { Live } from '../src/lib/state/runtime.ts';
import { TabMemory } from '../src/lib/state/tab-memory.ts';
import { MapStorage } from './map-storage.ts';

const SELF = 'KEY-SELF';
const BEN = { key: 'KEY-BEN', name: 'Ben' };
const lobby = 'lobby' as GroupId;

interface Sent {
  readonly groupId: GroupId;
  readonly text: string;
}

/** A peer whose `openDm` waits for the test to answer it (`answer`), or to fail it (`fail`). */
function setup() {
  const sent: Sent[] = [];
  let answer: () => void = () => {};
  let fail: (e: Error) => void = () => {};
  const joined = (groupId: GroupId): JoinedGroup =>
    ({ groupId, name: groupId, ordering: 'fifo', status: 'member', view: null, members: [] }) as unknown as JoinedGroup;
  const peer = {
    peerId: 'me' as PeerId,
    name: 'Me',
    directory: () => [{ groupId: lobby, name: 'lobby', ordering: 'fifo', locked: false, online: 2 }],
    join: async (groupId: GroupId) => joined(groupId),
    history: async () => [],
    openDm: async (person: { publicKey: string; name: string }): Promise<GroupSummary> => {
      const answered = new Promise<void>((resolve, reject) => {
        answer = resolve;
        fail = reject;
      });
      answered.catch(() => {}); // failed before it is awaited below: still thrown there, not unhandled
      const groupId = await dmGroupId(SELF, person.publicKey);
      await answered;
      const dm = [
        { publicKey: SELF, name: 'Me' },
        { publicKey: person.publicKey, name: person.name },
      ].sort((a, b) => (a.publicKey < b.publicKey ? -1 : 1));
      return { groupId, name: person.name, ordering: 'fifo', locked: false, online: 1, dm } as unknown as GroupSummary;
    },
    send: async (groupId: GroupId, text: string): Promise<ChatMessage> => {
      sent.push({ groupId, text });
      return {
        id: `${groupId}/me:${sent.length}` as MessageId,
        groupId,
        sender: 'me' as PeerId,
        senderName: 'Me',
        senderKey: SELF,
        body: text,
        sentAt: 10,
        order: String(sent.length).padStart(4, '0'),
        state: 'delivered',
        viewId: 1 as ViewId,
      };
    },
  } as unknown as ChorusPeer;
  const live: Live = { runtime: null, store: null, peer, selfKey: SELF, selfName: 'Me', online: true };
  const clock = () => 10;
  const banners = new Banners();
  const memory = new TabMemory(new MapStorage());
  const notify = new NotifyPrefs(new MapStorage());
  const groups = new JoinedGroups({ memory, attention: new Attention(null), notify, clock, live, onCurrent: () => {} });
  const joins = new Joins({ groups, banners, live });
  joins.setDirectory(peer.directory());
  const dms = new DirectMessages({ groups, banners, live });
  const composer = new ComposerActions({
    live,
    groups,
    joins,
    banners,
    clock,
    quit: async () => {},
    opening: () => dms.opening?.name ?? null,
  });
  return { sent, groups, joins, dms, composer, banners, answer: () => answer(), fail: (e: Error) => fail(e) };
}

/**
 * Lets the fake peer's promises and the DM id's hash settle until `done`: the
 * hash is WebCrypto's, answered from another thread, so one turn of the event
 * loop is not always enough on a busy machine.
 */
async function settle(done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 10_000) throw new Error('the direct message never opened');
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

describe('DirectMessages.open', () => {
  it('opens the DM before the tracker answers, and sends nothing typed meanwhile to the group open before', async () => {
    const t = setup();
    await t.joins.join(lobby);
    const dmId = await dmGroupId(SELF, BEN.key);
    const opened = t.dms.open(BEN);
    // Sent right after the press, before anything settled: neither the lobby nor the DM gets it.
    expect(await t.composer.submit('just between us')).toBe(false);
    expect(t.sent).toEqual([]);
    expect(t.dms.opening).toEqual(BEN);
    await settle(() => t.groups.currentId !== lobby);
    expect(t.groups.currentId).toBe(dmId);
    expect(t.groups.current?.name).toBe('Ben');
    expect(t.groups.current?.status).toBe('joining');
    expect(t.dms.with.get(dmId)?.name).toBe('Ben');
    expect(await t.composer.submit('still between us')).toBe(false);
    expect(t.sent).toEqual([]);
    t.answer();
    await opened;
    expect(t.dms.opening).toBeNull();
    expect(t.groups.currentId).toBe(dmId);
    expect(await t.composer.submit('just between us')).toBe(true);
    expect(t.sent).toEqual([{ groupId: dmId, text: 'just between us' }]);
  });

  it('goes back to the group open before, with its draft, and says why when the DM cannot be opened', async () => {
    const t = setup();
    await t.joins.join(lobby);
    t.groups.get(lobby)!.draft = 'half a thought';
    const opened = t.dms.open(BEN);
    await settle(() => t.groups.currentId !== lobby);
    t.fail(new ChorusError('not-found', 'Ben is not known to the tracker.'));
    await opened;
    expect(t.groups.currentId).toBe(lobby);
    expect(t.groups.get(lobby)?.draft).toBe('half a thought');
    expect(t.groups.list.map((g) => g.groupId)).toEqual([lobby]);
    expect(t.dms.with.size).toBe(0);
    expect(t.banners.list.map((b) => b.message)).toEqual([
      'Could not open a direct message with Ben: Ben is not known to the tracker.',
    ]);
    expect(t.sent).toEqual([]);
  });
});
