// The top of a joined group's log while its older history is still arriving
// (PROTOCOL.md §4): "Loading older messages…" until the runtime says the
// history is whole, then nothing — and what arrived meanwhile is read from the
// store by scrolling up; a backfill that stopped with nobody online to hand the
// rest says so.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, JoinedGroup } from '@chorus/peer';
import type { GroupId, MessageId, PeerId, ViewId } from '@chorus/protocol';
import { LOADING_OLDER, OLDER_MISSING, olderHistoryText } from '../src/lib/older-history.ts';
import { GroupState } from '../src/lib/state/group-state.svelte.ts';

const g = 'g' as GroupId;
const msg = (n: number): ChatMessage => ({
  id: `g/a:${n}` as MessageId,
  groupId: g,
  sender: 'a' as PeerId,
  senderName: 'Ann',
  body: `m ${n}`,
  sentAt: n,
  order: String(n).padStart(6, '0'),
  state: 'delivered',
  viewId: 1 as ViewId,
});
const joined = (more: Partial<JoinedGroup> = {}): JoinedGroup => ({
  groupId: g,
  name: 'g',
  ordering: 'fifo',
  status: 'member',
  view: null,
  members: [],
  ...more,
});
const status = (s: GroupState): string => olderHistoryText(s.olderHistory);

describe('the older-history status of a joined group', () => {
  it('says older messages are loading while they arrive, and nothing once the history is whole', () => {
    const s = new GroupState({ groupId: g, name: 'g', ordering: 'fifo', joinedAt: 0 });
    expect(status(s)).toBe('');
    s.apply(joined({ status: 'joining' }));
    expect(status(s)).toBe('');
    s.apply(joined({ olderHistory: true }));
    expect(status(s)).toBe(LOADING_OLDER);
    expect(LOADING_OLDER).toBe('Loading older messages…');
    // A new view while the pages still come changes nothing.
    s.apply(joined({ olderHistory: true }));
    expect(status(s)).toBe(LOADING_OLDER);
    s.apply(joined());
    expect(status(s)).toBe('');
  });

  it('says so when the older messages stopped with nobody online to hand them', () => {
    const s = new GroupState({ groupId: g, name: 'g', ordering: 'fifo', joinedAt: 0 });
    s.apply(joined({ olderHistory: true }));
    s.apply(joined({ olderHistoryMissing: true }));
    expect(status(s)).toBe(OLDER_MISSING);
    expect(OLDER_MISSING).toBe('Older messages could not be loaded: nobody online has them');
  });

  it('reads the store again by scrolling up once the older pages are in, even after a short read meanwhile', () => {
    const s = new GroupState({ groupId: g, name: 'g', ordering: 'fifo', joinedAt: 0 });
    s.apply(joined({ olderHistory: true }));
    // The newest page, then scrolling up found only part of the older history stored so far.
    s.addPage([300, 301, 302].map(msg), 3);
    expect(s.olderInStore).toBe(true);
    s.addPage([298, 299].map(msg), 3);
    expect(s.olderInStore).toBe(false);
    s.apply(joined());
    expect(s.olderInStore).toBe(true);
    expect(s.oldestOrder).toBe(msg(298).order);
  });
});
