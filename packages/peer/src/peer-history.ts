// What the Peer facade (peer.ts) reads back from its MessageStore: a group's
// history for a UI, and the point a new session of a group resumes from (its
// own seq, Lamport time, floors). What belongs here: reads of stored history
// on the peer's behalf; writes are the session's (group-session.ts).

import {
  recordFloors,
  resumePoint,
  type EngineResume,
  type GroupId,
  type Ordering,
  type PeerId,
} from '@chorus/protocol';
import type { ChatMessage } from './api.ts';
import { chatFromStored } from './stored-chat.ts';
import type { MessageStore, StoredMessage } from './storage.ts';

/** A history() call without a limit returns at most this many messages (the newest). */
export const DEFAULT_HISTORY_LIMIT = 1_000;
/** Page size when reading a group's whole history out of the store. */
const STORE_PAGE = 500;

export interface HistoryQuery {
  readonly since?: number;
  readonly before?: string;
  readonly limit?: number;
}

/** Messages sent since `since`, or the newest `limit` below `before` (in order), from the store. */
export async function readHistory(
  store: MessageStore,
  groupId: GroupId,
  opts: HistoryQuery,
): Promise<readonly ChatMessage[]> {
  const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT;
  if (opts.since !== undefined) return (await store.since(groupId, opts.since, limit)).map(chatFromStored);
  // The newest page (below `before`) straight from the order index, when the store can: never the whole history.
  if (store.before) {
    const pages: (readonly StoredMessage[])[] = [];
    let below = opts.before ?? null;
    for (let left = limit; left > 0;) {
      const want = Math.min(left, STORE_PAGE);
      const page = await store.before(groupId, below, want);
      pages.unshift(page);
      left -= page.length;
      if (page.length < want) break;
      below = page[0]!.order;
    }
    return pages.flat().map(chatFromStored);
  }
  const all: StoredMessage[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await store.page(groupId, { after, limit: STORE_PAGE });
    all.push(...page.items);
    if (page.next === null) break;
    after = page.next;
  }
  const older = opts.before === undefined ? all : all.filter((m) => m.order < opts.before!);
  return older.slice(-limit).map(chatFromStored);
}

/**
 * Where this peer id stood in a group it has history of (a re-join in the
 * same tab, a group restored after a tracker restart): its own seq, the
 * last order key's number as Lamport time and, for total order, as the
 * agreed priority, and every sender's delivered count (used if it founds
 * the view alone). Without it a re-joined peer would reuse message ids, and
 * a group that starts afresh would reuse priorities. Null for a new group.
 * With it, the floors of the store's group record (PROTOCOL.md §4), which
 * the new session keeps in the records it saves.
 */
export async function storedResumePoint(
  store: MessageStore,
  groupId: GroupId,
  self: PeerId,
  ordering: Ordering,
): Promise<{ point: EngineResume | null; floors: Record<string, number> }> {
  const [record, lastOrder, count] = await Promise.all([
    store.getGroup(groupId).catch(() => null),
    // The highest key stored, not the sync cursor: that one may restart from null to refill gaps.
    (store.lastOrder?.(groupId) ?? store.cursor(groupId)).catch(() => null),
    store.count(groupId).catch(() => 0),
  ]);
  return {
    point: resumePoint({ nextSeq: record?.state?.nextSeq ?? null, lastOrder, count }, self, ordering),
    floors: recordFloors(record),
  };
}
