// How a SessionCore turns deliveries and views into what the store keeps
// and what a person sees: records, timeline messages and system lines. Pure
// functions of their arguments; names come from the group's NameBook.

import type { GroupId, MemberChange, PeerId, ViewId } from '../ids.ts';
import type { View } from '../tracker/events.ts';
import type { DataFrame, HistoryItem } from '../wire/frames.ts';
import type { OrderingEngine } from '../ordering/engine.ts';
import type { NameBook } from './name-book.ts';
import type {
  SessionCommand,
  SessionGroupRecord,
  SessionMessage,
  SessionRecord,
  SessionSystemLine,
} from './session-types.ts';

/** A message delivered here (live, or from history) as the store keeps it, with its sender's name and key. */
export function recordOf(
  groupId: GroupId,
  id: SessionRecord['id'],
  frame: DataFrame,
  order: string,
  names: NameBook,
  now: number,
): SessionRecord {
  const senderKey = names.publicKey(frame.sender);
  return {
    id,
    groupId,
    frame,
    order,
    deliveredAt: now,
    senderName: names.name(frame.sender),
    ...(senderKey === null ? {} : { senderKey }),
  };
}

/** A history item, vouching for its sender's name and key if no view named the sender. */
export function recordOfHistory(
  groupId: GroupId,
  id: SessionRecord['id'],
  item: HistoryItem,
  names: NameBook,
  now: number,
): SessionRecord {
  const sender = item.frame.sender;
  names.vouch(sender, item.senderName, item.senderKey);
  const senderKey = names.publicKey(sender) ?? item.senderKey ?? null;
  return {
    id,
    groupId,
    frame: item.frame,
    order: item.order,
    deliveredAt: now,
    senderName: names.name(sender, item.senderName),
    ...(senderKey === null ? {} : { senderKey }),
  };
}

export function chatOf(r: SessionRecord, viewId: ViewId): SessionMessage {
  return {
    id: r.id,
    groupId: r.groupId,
    sender: r.frame.sender,
    senderName: r.senderName,
    ...(r.senderKey === undefined ? {} : { senderKey: r.senderKey }),
    body: r.frame.body,
    sentAt: r.frame.sentAt,
    order: r.order,
    state: 'delivered',
    viewId,
  };
}

/**
 * One line per member who came or went between two installed views. The
 * engine may skip a view (a newer one arrived mid-flush), so lines come from
 * the difference, with the reason the tracker gave for each peer.
 */
export function systemLines(
  groupId: GroupId,
  previous: View | null,
  view: View,
  lastChange: ReadonlyMap<PeerId, MemberChange>,
  names: NameBook,
  at: number,
): SessionSystemLine[] {
  const line = (peerId: PeerId, change: MemberChange): SessionSystemLine => ({
    groupId,
    at,
    peerId,
    name: names.name(peerId),
    change,
  });
  if (previous === null) return view.changes.map((c) => line(c.peerId, c.change));
  const before = new Set(previous.members.map((m) => m.peerId));
  const after = new Set(view.members.map((m) => m.peerId));
  return [
    ...[...before].filter((p) => !after.has(p)).map((p) => line(p, lastChange.get(p) ?? 'left')),
    ...[...after].filter((p) => !before.has(p)).map((p) => line(p, 'joined')),
  ];
}

/** What the store keeps about the group: where the engine stands now, without copies of unstable messages. */
export function groupRecordOf(groupId: GroupId, name: string, engine: OrderingEngine): SessionGroupRecord | null {
  if (!engine.view) return null;
  const { unstable, ...state } = engine.joinerState();
  if (engine.mode !== 'total') return { groupId, name, ordering: engine.mode, state };
  // Total order: what this member delivered that not every member is known to have delivered may
  // sit at a key only it computed (a non-uniform delivery, PROTOCOL.md §3.10): a later session
  // over this store asks the group for it again (tentativeHeld, history-reader.ts).
  const tentative: Record<string, number> = {};
  for (const u of unstable ?? []) {
    const at = tentative[u.frame.sender];
    if (at === undefined || u.frame.seq < at) tentative[u.frame.sender] = u.frame.seq;
  }
  return { groupId, name, ordering: engine.mode, state, tentative };
}

/** A `problem` command: `remote` when a peer's input was refused (counted as a rejected frame). */
export const problemOf = (
  groupId: GroupId,
  code: string,
  message: string,
  from: PeerId | undefined,
  remote: boolean,
): SessionCommand => ({
  type: 'problem',
  problem: { groupId, code, message, ...(from === undefined ? {} : { from }) },
  remote,
});
