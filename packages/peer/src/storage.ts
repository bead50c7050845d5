// Storage seam fit for IndexedDB: batched, idempotent writes keyed by message
// id, an index by (group, order) and by (group, sentAt), and per-group cursors.
// The in-memory store lives in memory-store.ts; the IndexedDB one in apps/web.

import type { GroupId, HistoryItem, JoinerState, MessageId } from '@chorus/protocol';

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
}

export interface HistoryPage {
  readonly items: readonly StoredMessage[];
  /** Pass back as `after` to get the next page; null when there is none. */
  readonly next: string | null;
}

export interface MessageStore {
  /** Idempotent: a message id already stored is left as it is. Resolves when durable. */
  putMessages(items: readonly StoredMessage[]): Promise<void>;
  /** Oldest first by order key, strictly after `after` (an order key) when given. */
  page(groupId: GroupId, opts: { readonly after?: string | null; readonly limit: number }): Promise<HistoryPage>;
  /** Messages with sentAt >= since, oldest first by sentAt. */
  since(groupId: GroupId, since: number, limit: number): Promise<readonly StoredMessage[]>;
  /** The last stored order key of a group (a joiner's cursor), or null. */
  cursor(groupId: GroupId): Promise<string | null>;
  count(groupId: GroupId): Promise<number>;
  putGroup(record: GroupRecord): Promise<void>;
  getGroup(groupId: GroupId): Promise<GroupRecord | null>;
  close(): Promise<void>;
}
