// Messages in IndexedDB since schema 4: one record per write of one group
// (a history page, or a burst of live deliveries), not one per message. What
// lives here: the record's shape, building it from messages, and reading the
// messages back out of the records an index walk names. Pure functions; the
// transactions are idb-store.ts's, the schema and its upgrades idb-schema.ts.
//
// Why (bench/tools/idb-shapes.ts, BENCHMARKS.md comparisons "IndexedDB:
// one record per history page"): in Chromium each IndexedDB request costs
// ~100-200 µs of wall time whatever the record's shape, and a joiner writing
// 10 000 messages one record each spent 1-2 s on it; one record per page of
// 200 costs ~20-40 µs per message with its indexes. The record carries one
// multiEntry index entry per message, so reads by id, by order and by
// sentAt stay index walks, and the unique `by-id` index keeps the first
// stored copy of a message id (a batch naming a stored id is refused whole,
// and idb-store.ts then writes only its new messages).

import type { GroupId, MessageId } from '@chorus/protocol/light';
import { messageId } from '@chorus/protocol/light';
import type { StoredMessage } from './storage.ts';

/** One write's messages of one group. `n` is the key (auto-increment, in write order). */
export interface BatchRecord {
  readonly n?: number;
  readonly groupId: GroupId;
  readonly items: readonly StoredMessage[];
  /** Index `by-id` (multiEntry, unique): every item's id. */
  readonly ids: readonly MessageId[];
  /** Index `by-order` (multiEntry): [group, order key, id] per item, so ties sort by id as the memory store's do. */
  readonly orders: readonly OrderKey[];
  /** Index `by-sent` (multiEntry): [group, frame.sentAt, id] per item. */
  readonly sents: readonly SentKey[];
}

export type OrderKey = [GroupId, string, MessageId];
export type SentKey = [GroupId, number, MessageId];

/**
 * Messages one record holds at most: a reader that wants one of them clones them all, so a record stays about a
 * history page (200) to a delivery burst (DeliveryWriter's STORE_BATCH_MAX, 500); a longer write is several records.
 */
export const BATCH_RECORD_MAX = 500;

/** The record of `items` (all of `groupId`, already checked by checkGroupRecords). */
export function batchRecord(groupId: GroupId, items: readonly StoredMessage[]): BatchRecord {
  return {
    groupId,
    items,
    ids: items.map((m) => m.id),
    orders: items.map((m): OrderKey => [groupId, m.order, m.id]),
    sents: items.map((m): SentKey => [groupId, m.frame.sentAt, m.id]),
  };
}

/** `items` in records of at most BATCH_RECORD_MAX. */
export function batchRecords(groupId: GroupId, items: readonly StoredMessage[]): BatchRecord[] {
  const out: BatchRecord[] = [];
  for (let at = 0; at < items.length; at += BATCH_RECORD_MAX)
    out.push(batchRecord(groupId, items.slice(at, at + BATCH_RECORD_MAX)));
  return out;
}

/** Why `m` (read from IndexedDB) is not a message this store can hand out, or null when it is one. */
export function unreadable(m: unknown): string | null {
  if (typeof m !== 'object' || m === null) return 'not an object';
  const r = m as Partial<StoredMessage>;
  if (typeof r.id !== 'string') return 'no id';
  if (typeof r.groupId !== 'string') return 'no group';
  if (typeof r.order !== 'string') return 'no order key';
  const f = r.frame;
  if (typeof f !== 'object' || f === null) return 'no frame';
  if (typeof f.sender !== 'string' || !Number.isSafeInteger(f.seq)) return 'no sender and seq';
  if (typeof f.sentAt !== 'number' || typeof f.body !== 'string') return 'no sentAt or body';
  if (r.id !== messageId(r.groupId, f.sender, f.seq)) return `id ${r.id} does not name its group, sender and seq`;
  return null;
}

/** By (order key, id): the `by-order` index's order. */
export const byOrder = (a: StoredMessage, b: StoredMessage): number => cmp(a.order, b.order) || cmp(a.id, b.id);
/** By (sentAt, id): the `by-sent` index's order. */
export const bySent = (a: StoredMessage, b: StoredMessage): number =>
  a.frame.sentAt - b.frame.sentAt || cmp(a.id, b.id);

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The messages of `groupId` in `records` that `keep` wants, sorted by `order`. Records whose items are not an
 * array are reported (`bad`) and skipped, as are items that are not messages: one bad record costs only itself.
 */
export function messagesOf(
  records: readonly (BatchRecord | undefined)[],
  groupId: GroupId,
  keep: (m: StoredMessage) => boolean,
  order: (a: StoredMessage, b: StoredMessage) => number,
  bad: (why: string) => void,
): StoredMessage[] {
  const out: StoredMessage[] = [];
  for (const r of records) {
    if (r === undefined) continue;
    if (!Array.isArray(r.items)) {
      bad(`stored batch ${String(r.n)} holds no list of messages`);
      continue;
    }
    for (const m of r.items) {
      const why = unreadable(m);
      if (why !== null) bad(`a message in stored batch ${String(r.n)}: ${why}`);
      else if (m.groupId === groupId && keep(m)) out.push(m);
    }
  }
  return out.sort(order);
}
