// Storage seam fit for IndexedDB: batched, idempotent writes keyed by message
// id, an index by (group, order) and by (group, sentAt), and per-group cursors.
// History sync reads a store only through `page` (@chorus/protocol's
// history-reader.ts: what a joiner holds, a sponsor's pages).
// The in-memory store lives in memory-store.ts; the IndexedDB one in
// idb-store.ts. A message id names its group (`group/sender:seq`, see
// PROTOCOL.md "Message identity"), and every write names the group it is for:
// a record of another group is refused before anything is written.

import type { HistoryItem, JoinerState } from '@chorus/protocol';
import { messageId, type GroupId, type MessageId } from '@chorus/protocol/light';
import { ChorusError } from './chorus-error.ts';

export interface StoredMessage extends HistoryItem {
  readonly id: MessageId;
  readonly groupId: GroupId;
  readonly senderName: string;
  readonly deliveredAt: number;
}

export interface GroupRecord {
  readonly groupId: GroupId;
  readonly name: string;
  readonly ordering: 'fifo' | 'total';
  /** Engine state at the last delivered message, so a reload can resume. */
  readonly state: JoinerState | null;
  /**
   * Total order: per sender, the lowest seq delivered here that not every
   * member was known to have delivered when the record was saved. A session
   * that starts over this store does not count it as held (`settledHeld`,
   * @chorus/protocol), so the group hands it again at the group's key.
   */
  readonly tentative?: Readonly<Record<string, number>>;
  /**
   * Per sender, a floor: seqs at or below it that the store lacks are ones
   * no session over this store will be handed (a sender's resume floor
   * passed over them, or the sponsor of a hand-over lacked them). A session
   * starting over the store counts them as held (`readHeld`, @chorus/protocol;
   * PROTOCOL.md §4).
   */
  readonly floors?: Readonly<Record<string, number>>;
}

export interface HistoryPage {
  readonly items: readonly StoredMessage[];
  /** Pass back as `after` to get the next page; null when there is none. */
  readonly next: string | null;
}

export interface MessageStore {
  /**
   * Idempotent: a message id already stored is left as it is. Resolves when
   * durable. Every item must belong to `groupId` (its record, its frame and
   * its id): otherwise the whole call is refused with a `wrong-group`
   * ChorusError and nothing of it is written (see `checkGroupRecords`).
   */
  putMessages(groupId: GroupId, items: readonly StoredMessage[]): Promise<void>;
  /**
   * A total-order group's agreed log (a sponsor's history, or what a live
   * session's engine delivered): as `putMessages`, except that a message
   * already stored under another order key takes the item's key (its other
   * fields stay). What a crashed session (this tab's earlier one, or another
   * tab's) delivered at a key only it computed (non-uniform, PROTOCOL.md
   * §3.10) moves to the group's place. A stored message whose item is its
   * sender's re-issue — the same seq signed again for a later view
   * (`frame.viewId` greater; PROTOCOL.md §3.1 "Re-issue") — is replaced by
   * the item whole, in any group.
   */
  putHistory(groupId: GroupId, items: readonly StoredMessage[]): Promise<void>;
  /** Oldest first by order key, strictly after `after` (an order key) when given. */
  page(groupId: GroupId, opts: { readonly after?: string | null; readonly limit: number }): Promise<HistoryPage>;
  /**
   * The newest `limit` messages with an order key below `before` (all when
   * null), oldest first: a chat view opens at the newest page and reads the
   * one before it as the person scrolls up, never the whole history.
   */
  before?(groupId: GroupId, before: string | null, limit: number): Promise<readonly StoredMessage[]>;
  /** Messages with sentAt >= since, oldest first by sentAt. */
  since(groupId: GroupId, since: number, limit: number): Promise<readonly StoredMessage[]>;
  /**
   * The last stored order key of the group, or null when nothing is stored,
   * or when the store knows it may miss messages below its last key (a
   * database upgraded from schema 1, see idb-schema.ts) until a write reaches
   * that key again. A join does not start from it (an order key cannot say
   * what is missing, PROTOCOL.md §4): it reads what the store holds per
   * sender through `page` (`readHeld`, @chorus/protocol).
   */
  cursor(groupId: GroupId): Promise<string | null>;
  /**
   * The highest order key ever stored for the group, or null: where a resumed
   * engine's clocks start. A store whose cursor is always that key may leave
   * this out (callers then use `cursor`).
   */
  lastOrder?(groupId: GroupId): Promise<string | null>;
  count(groupId: GroupId): Promise<number>;
  putGroup(record: GroupRecord): Promise<void>;
  getGroup(groupId: GroupId): Promise<GroupRecord | null>;
  close(): Promise<void>;
}

/**
 * Why `m` cannot be stored as a message of `groupId`, or null when it can:
 * the record, the signed frame and the id must all name that group (and the
 * id the frame's sender and seq), or one group's message could take the key
 * of another's.
 */
export function wrongGroup(groupId: GroupId, m: StoredMessage): string | null {
  if (m.groupId !== groupId) return `message ${m.id} is filed under group "${m.groupId}", not "${groupId}"`;
  if (m.frame.groupId !== groupId) return `message ${m.id} was signed for group "${m.frame.groupId}", not "${groupId}"`;
  const id = messageId(groupId, m.frame.sender, m.frame.seq);
  if (m.id !== id) return `message id "${m.id}" should be "${id}" (group/sender:seq of its frame)`;
  return null;
}

/** Whether `item` re-issues the stored `had` (PROTOCOL.md §3.1): `putHistory` then takes it whole. */
export const reissues = (item: StoredMessage, had: StoredMessage): boolean => item.frame.viewId > had.frame.viewId;

/** Throws a `wrong-group` ChorusError naming the first record that does not belong to `groupId`. */
export function checkGroupRecords(groupId: GroupId, items: readonly StoredMessage[]): void {
  for (const m of items) {
    const why = wrongGroup(groupId, m);
    if (why !== null)
      throw new ChorusError(
        'wrong-group',
        `Refused to store ${items.length} message(s) for group "${groupId}": ${why}. Nothing of this write was stored.`,
      );
  }
}
