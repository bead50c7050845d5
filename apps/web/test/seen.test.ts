// "Seen by" (docs/design.md §6): read markers name who has your latest
// message on screen; only your latest, only in groups of up to ten people,
// and this tab says what it shows once per newest message, while visible.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChorusPeer, JoinedGroup, MemberState, SignalEvent } from '@chorus/peer';
import type { GroupId, MessageId, PeerId, ViewId } from '@chorus/protocol';
import { GroupState } from '../src/lib/state/group-state.svelte.ts';
import { SeenState } from '../src/lib/state/seen.svelte.ts';
import type { Live } from '../src/lib/state/runtime.ts';

const g = 'g' as GroupId;
const key = (n: number): string => btoa(String.fromCharCode(n, ...new Array<number>(31).fill(7)));
const ME = key(1);
const person = (n: number): MemberState => ({
  peerId: `p${n}` as PeerId,
  name: `P${n}`,
  publicKey: key(n),
  online: true,
});
const msg = (seq: number, from: number): ChatMessage => ({
  id: `g/p${from}:${seq}` as MessageId,
  groupId: g,
  sender: `p${from}` as PeerId,
  senderName: `P${from}`,
  senderKey: key(from),
  body: `m${seq}`,
  sentAt: seq,
  order: String(seq).padStart(4, '0'),
  state: 'delivered',
  viewId: 1 as ViewId,
});
const read = (from: number, seen: ChatMessage): SignalEvent => ({
  groupId: g,
  from: `p${from}` as PeerId,
  name: `P${from}`,
  kind: 'read',
  seen: seen.id,
  at: 0,
});

function world(people: number) {
  const group = new GroupState({ groupId: g, name: 'g', ordering: 'fifo', joinedAt: 0 });
  const joined: JoinedGroup = {
    groupId: g,
    name: 'g',
    ordering: 'fifo',
    status: 'member',
    view: null,
    members: Array.from({ length: people }, (_, i) => person(i + 1)),
  };
  group.apply(joined);
  const signals: { seen: MessageId }[] = [];
  let gate = true;
  let hidden = false;
  const peer = {
    signal: (_g: GroupId, m: { kind: string; seen?: MessageId }) => {
      if (!gate) return false;
      if (m.seen !== undefined) signals.push({ seen: m.seen });
      return true;
    },
  } as unknown as ChorusPeer;
  const live = { peer, selfKey: ME, selfName: 'P1', runtime: null, store: null, online: true } as Live;
  const seen = new SeenState({ live, current: () => group, group: () => group, hidden: () => hidden });
  return {
    group,
    seen,
    signals,
    setGate: (v: boolean) => {
      gate = v;
    },
    setHidden: (v: boolean) => {
      hidden = v;
    },
  };
}

describe('SeenState', () => {
  it('names who read your latest message, by key, and only on your latest', () => {
    const w = world(3);
    const mine1 = msg(1, 1);
    const theirs = msg(2, 2);
    const mine2 = msg(3, 1);
    for (const m of [mine1, theirs, mine2]) w.group.upsert(m);
    w.seen.received(read(2, mine2));
    w.seen.received(read(3, theirs)); // P3 is still before your latest
    expect(w.seen.seers(w.group, mine2, ME)).toEqual(['P2']);
    expect(w.seen.seers(w.group, mine1, ME)).toEqual([]); // not your latest
    w.seen.received(read(3, mine2));
    expect(w.seen.seers(w.group, mine2, ME)).toEqual(['P2', 'P3']);
    // A marker from a session outside the view names nobody.
    w.seen.received({ ...read(9, mine2), from: 'p9' as PeerId });
    expect(w.seen.seers(w.group, mine2, ME)).toEqual(['P2', 'P3']);
  });

  it('has nothing to show or say in a group of more than ten people', () => {
    const w = world(11);
    const mine = msg(1, 1);
    w.group.upsert(mine);
    w.seen.received(read(2, mine));
    expect(w.seen.seers(w.group, mine, ME)).toEqual([]);
    w.seen.markRead();
    expect(w.signals).toEqual([]);
  });

  it('says what this tab shows once per newest message, not while hidden, and again after a skipped one', async () => {
    const w = world(2);
    const first = msg(1, 2);
    w.group.upsert(first);
    w.setHidden(true);
    w.seen.markRead();
    expect(w.signals).toEqual([]);
    w.setHidden(false);
    w.seen.markRead();
    w.seen.markRead();
    expect(w.signals).toEqual([{ seen: first.id }]);
    const second = msg(2, 2);
    w.group.upsert(second);
    w.setGate(false); // the runtime's one-per-second gate
    w.seen.markRead();
    expect(w.signals).toHaveLength(1);
    w.setGate(true);
    await new Promise((r) => setTimeout(r, 1_300));
    expect(w.signals).toEqual([{ seen: first.id }, { seen: second.id }]);
    w.seen.clear();
  });
});
