// The IndexedDB implementation of MessageStore (via `idb`), one database per
// origin shared by every tab of the profile. It owns batching of message
// writes, the reads and the connection's life; it never knows about groups' membership,
// ordering or the network. Writes are idempotent by message id, so two tabs
// (or a sponsor's history and a live delivery) writing the same message is
// harmless. Messages are kept one record per write of a group, not one per
// message (idb-batches.ts: in Chromium each request costs more than its
// record); the requests on those records are idb-batch-io.ts. The schema and
// its upgrades are idb-schema.ts; identities are idb-key-store.ts.
// Problems (quota, a blocked upgrade, another tab upgrading) are
// reported through `onProblem` so the UI can show a banner; a batch that
// failed stays queued and is retried, so nothing delivered is lost while the
// page lives.

import { openDB, unwrap, type IDBPTransaction } from 'idb';
import type { GroupId, MessageId } from '@chorus/protocol';
import { IdbKeyStore } from './idb-key-store.ts';
import { IdbBlobs } from './files/idb-blobs.ts';
import { IDB_NAME, IDB_VERSION, upgradeSchema, type ChorusDb, type Db } from './idb-schema.ts';
import { leftovers } from './idb-schema-batches.ts';
import { byOrder, bySent, messagesOf } from './idb-batches.ts';
import { fetchBatches, writeGroupBatch } from './idb-batch-io.ts';
import {
  checkGroupRecords,
  reissues,
  type GroupRecord,
  type HistoryPage,
  type MessageStore,
  type StoredMessage,
} from './storage.ts';

export { IDB_NAME, IDB_VERSION, type IdentityRecord } from './idb-schema.ts';
export { IdbKeyStore } from './idb-key-store.ts';

/**
 * A batch is written this long after its first write, in a task of its own: not in an animation frame, where it would
 * hold up the frame's paint (and, with nothing else to draw, make the page draw a frame for it).
 */
export const IDB_WRITE_BATCH_MS = 50;
/**
 * A write of at least this many messages (a history page: the DeliveryWriter hands one per page) is a
 * batch already: it goes out in the next task instead of waiting IDB_WRITE_BATCH_MS for more.
 */
export const IDB_PROMPT_WRITE_ITEMS = 100;
/**
 * After a failed write (quota, a closing connection) wait this long before retrying, so a full disk is not hammered.
 */
export const IDB_WRITE_RETRY_MS = 2_000;
/** Upper bound on one page of a read, so a caller's typo cannot load a whole history into memory. */
const MAX_PAGE = 5_000;

export type StoreProblemKind =
  | 'quota'
  | 'blocked'
  | 'version-change'
  | 'terminated'
  | 'write-failed'
  | 'unavailable'
  /** Stored records that are not messages (kept as they are, left out of reads). */
  | 'unreadable';

export interface StoreProblem {
  readonly kind: StoreProblemKind;
  /** A sentence a person can read in a banner. */
  readonly message: string;
}

export interface IdbStoreOptions {
  readonly name?: string;
  readonly onProblem?: (problem: StoreProblem) => void;
  /** Called once queued writes are durable again after a problem. */
  readonly onRecovered?: () => void;
}

/** In IndexedDB key order every array sorts after every string and number, so this bounds "all order keys". */
const AFTER_ALL_STRINGS: [] = [];

/** Every `by-order` (or `by-sent`) key of a group: [group] sorts before [group, …], [group, []] after. */
const groupRange = (groupId: GroupId): IDBKeyRange => IDBKeyRange.bound([groupId], [groupId, AFTER_ALL_STRINGS]);

export class IdbStore implements MessageStore {
  readonly #name: string;
  readonly #onProblem: (problem: StoreProblem) => void;
  readonly #onRecovered: () => void;
  #db: Promise<Db> | null = null;
  /** Messages accepted by putMessages but not yet durable, by id (a later duplicate is ignored). */
  readonly #queue = new Map<MessageId, StoredMessage>();
  /** Queued ids from `putHistory`: their order key replaces a stored copy's. */
  readonly #rekey = new Set<MessageId>();
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #flushing: Promise<void> | null = null;
  #troubled = false;
  #closed = false;
  /** Unreadable records already reported, so a banner says each once. */
  readonly #reported = new Set<string>();

  constructor(opts: IdbStoreOptions = {}) {
    this.#name = opts.name ?? IDB_NAME;
    this.#onProblem = opts.onProblem ?? (() => {});
    this.#onRecovered = opts.onRecovered ?? (() => {});
  }

  /** Opens (or reuses) the connection. Rejects with a readable Error when IndexedDB is unavailable. */
  open(): Promise<Db> {
    if (this.#db) return this.#db;
    const report = this.#onProblem;
    const opening = openDB<ChorusDb>(this.#name, IDB_VERSION, {
      upgrade(db, oldVersion, _newVersion, tx) {
        upgradeSchema(db, oldVersion, tx);
      },
      blocked() {
        report({
          kind: 'blocked',
          message: 'Another Chorus tab is using an older version of the local history. Close or reload it to continue.',
        });
      },
      blocking: () => {
        // Another tab wants a newer schema: step aside so it can upgrade, and ask this tab to reload.
        void this.#dropConnection();
        report({
          kind: 'version-change',
          message: 'Chorus was updated in another tab. Reload this tab to keep saving history.',
        });
      },
      terminated: () => {
        void this.#dropConnection();
        report({
          kind: 'terminated',
          message:
            'The browser closed the local history database. Messages are kept in this tab and saved again when possible.',
        });
      },
    });
    this.#db = opening.then(
      async (db) => {
        const left = await leftovers(db).catch(() => null);
        if (left !== null) this.#unreadable(left);
        return db;
      },
      (e: unknown) => {
        this.#db = null;
        report({
          kind: 'unavailable',
          message: `Local history is unavailable (${describe(e)}). Messages stay in this tab only.`,
        });
        throw e;
      },
    );
    return this.#db;
  }

  #unreadable(why: string): void {
    if (this.#reported.has(why)) return;
    this.#reported.add(why);
    this.#onProblem({ kind: 'unreadable', message: `Some saved history could not be read: ${why}` });
  }

  async #dropConnection(): Promise<void> {
    const db = this.#db;
    this.#db = null;
    if (db) (await db.catch(() => null))?.close();
  }

  // ---- messages ----

  putMessages(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('The store is closed.'));
    try {
      checkGroupRecords(groupId, items);
    } catch (e) {
      return Promise.reject(e);
    }
    for (const item of items) if (!this.#queue.has(item.id)) this.#queue.set(item.id, item);
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#schedule(items.length >= IDB_PROMPT_WRITE_ITEMS ? 0 : IDB_WRITE_BATCH_MS);
    });
  }

  putHistory(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('The store is closed.'));
    try {
      checkGroupRecords(groupId, items);
    } catch (e) {
      return Promise.reject(e);
    }
    // The group's key wins over a queued or stored copy's (storage.ts).
    for (const item of items) {
      const queued = this.#queue.get(item.id);
      const whole = queued === undefined || reissues(item, queued);
      this.#queue.set(item.id, whole ? item : { ...queued, order: item.order });
      this.#rekey.add(item.id);
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#schedule(items.length >= IDB_PROMPT_WRITE_ITEMS ? 0 : IDB_WRITE_BATCH_MS);
    });
  }

  /** Writes everything queued now. Reads call this first so they see every accepted write. */
  async flush(): Promise<void> {
    this.#cancelSchedule();
    while (this.#flushing) await this.#flushing.catch(() => {});
    if (this.#queue.size === 0) {
      this.#settle(null);
      return;
    }
    this.#flushing = this.#writeQueued();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
  }

  #schedule(ms: number): void {
    // A prompt write overtakes a batch's wait, never a retry's pause after a failure.
    if (this.#timer !== null && (ms > 0 || this.#troubled)) return;
    this.#cancelSchedule();
    this.#timer = setTimeout(() => void this.flush().catch(() => {}), ms);
  }

  #cancelSchedule(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #writeQueued(): Promise<void> {
    const batch = [...this.#queue.values()];
    const rekey = new Set(this.#rekey);
    const waiters = this.#waiters;
    this.#waiters = [];
    let tx: IDBPTransaction<ChorusDb, ['batches', 'cursors'], 'readwrite'> | null = null;
    try {
      const db = await this.open();
      tx = db.transaction(['batches', 'cursors'], 'readwrite');
      const batches = unwrap(tx.objectStore('batches'));
      const cursors = tx.objectStore('cursors');
      const highest = new Map<GroupId, string>();
      const byGroup = new Map<GroupId, StoredMessage[]>();
      for (const item of batch) {
        const prev = highest.get(item.groupId);
        if (prev === undefined || item.order > prev) highest.set(item.groupId, item.order);
        const list = byGroup.get(item.groupId);
        if (list) list.push(item);
        else byGroup.set(item.groupId, [item]);
      }
      await Promise.all([
        // Idempotent: the first stored copy of a message wins (same id = same signed frame); a total-order
        // group's item (putHistory) moves a stored copy to the group's key (idb-batch-io.ts).
        ...[...byGroup].map(([groupId, items]) => writeGroupBatch(batches, groupId, items, rekey)),
        ...[...highest].map(async ([groupId, order]) => {
          const cur = await cursors.get(groupId);
          // A history sync from the start that reaches the old last key has refilled every gap below it.
          const refilled = cur?.resyncUntil !== undefined && order >= cur.resyncUntil;
          // (Past cur.order is past resyncUntil too: it was cur.order when set, and cur.order only grows.)
          if (!cur || order > cur.order || refilled)
            await cursors.put({ groupId, order: cur && cur.order > order ? cur.order : order });
        }),
      ]);
      await tx.done;
      for (const item of batch) {
        if (this.#queue.get(item.id) !== item) continue;
        this.#queue.delete(item.id);
        this.#rekey.delete(item.id);
      }
      for (const w of waiters) w.resolve();
      if (this.#troubled) {
        this.#troubled = false;
        this.#onRecovered();
      }
    } catch (e) {
      // All or nothing: a half-written batch would move the cursor past messages that are not stored.
      try {
        tx?.abort();
      } catch {
        // already finished or aborted by the browser (that is how a real quota error arrives)
      }
      // Keep the batch queued (nothing accepted is lost) and retry later; callers hear about it now.
      this.#troubled = true;
      const quota = isQuotaError(e);
      this.#onProblem({
        kind: quota ? 'quota' : 'write-failed',
        message: quota
          ? 'The browser has no room left to save history. New messages stay in this tab; free some space and they will be saved.'
          : `Saving history failed (${describe(e)}). Messages stay in this tab and saving is retried.`,
      });
      for (const w of waiters) w.reject(e);
      if (!this.#closed) this.#schedule(IDB_WRITE_RETRY_MS);
      throw e;
    }
  }

  #settle(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (error === null) w.resolve();
      else w.reject(error);
    }
  }

  /** Number of accepted messages not yet durable (a banner can say "N messages not saved yet"). */
  get unsaved(): number {
    return this.#queue.size;
  }

  async page(groupId: GroupId, opts: { readonly after?: string | null; readonly limit: number }): Promise<HistoryPage> {
    await this.flush().catch(() => {});
    const db = await this.open();
    const limit = clampLimit(opts.limit);
    const after = opts.after ?? null;
    // Index keys are [group, order, id]: [group, after, []] sorts after every key of order `after`.
    const range =
      after === null
        ? groupRange(groupId)
        : IDBKeyRange.bound([groupId, after, AFTER_ALL_STRINGS], [groupId, AFTER_ALL_STRINGS], true);
    const store = db.transaction('batches').store;
    // The first limit + 1 index entries name the records that hold those messages; every other message of
    // those records that is also past `after` sorts after them, so the first limit + 1 of them all are the page.
    const keys = await store.index('by-order').getAllKeys(range, limit + 1);
    const items = this.#messages(
      await fetchBatches(unwrap(store), keys),
      groupId,
      (m) => after === null || m.order > after,
      byOrder,
    );
    const more = items.length > limit;
    const page = more ? items.slice(0, limit) : items;
    return { items: page, next: more ? (page[page.length - 1]?.order ?? null) : null };
  }

  async since(groupId: GroupId, since: number, limit: number): Promise<readonly StoredMessage[]> {
    await this.flush().catch(() => {});
    const db = await this.open();
    const cap = clampLimit(limit);
    const store = db.transaction('batches').store;
    const range = IDBKeyRange.bound([groupId, since], [groupId, AFTER_ALL_STRINGS]);
    const keys = await store.index('by-sent').getAllKeys(range, cap);
    const items = this.#messages(
      await fetchBatches(unwrap(store), keys),
      groupId,
      (m) => m.frame.sentAt >= since,
      bySent,
    );
    return items.slice(0, cap);
  }

  /** The newest `limit` messages of a group, oldest first (what a chat view shows on open). */
  async latest(groupId: GroupId, limit: number): Promise<readonly StoredMessage[]> {
    return this.before(groupId, null, limit);
  }

  async before(groupId: GroupId, before: string | null, limit: number): Promise<readonly StoredMessage[]> {
    await this.flush().catch(() => {});
    const db = await this.open();
    const range = before === null ? groupRange(groupId) : IDBKeyRange.bound([groupId], [groupId, before], false, true);
    // Two walks, not one request per message: a key cursor steps back `cap` entries inside the store (advance),
    // then one getAllKeys from there to the end names the records that hold them.
    const store = db.transaction('batches').store;
    const index = store.index('by-order');
    const cap = clampLimit(limit);
    let cursor = await index.openKeyCursor(range, 'prev');
    if (cursor === null) return [];
    if (cap > 1) cursor = await cursor.advance(cap - 1);
    const from =
      cursor === null ? range : IDBKeyRange.bound(cursor.key, range.upper as IDBValidKey, false, range.upperOpen);
    const keys = await index.getAllKeys(from);
    const items = this.#messages(
      await fetchBatches(unwrap(store), keys),
      groupId,
      (m) => before === null || m.order < before,
      byOrder,
    );
    // Other messages of those records below `before` are older than the newest `cap`: keep the newest `cap`.
    return items.length > cap ? items.slice(items.length - cap) : items;
  }

  #messages(
    records: Parameters<typeof messagesOf>[0],
    groupId: GroupId,
    keep: (m: StoredMessage) => boolean,
    order: (a: StoredMessage, b: StoredMessage) => number,
  ): StoredMessage[] {
    return messagesOf(records, groupId, keep, order, (why) => this.#unreadable(why));
  }

  async cursor(groupId: GroupId): Promise<string | null> {
    await this.flush().catch(() => {});
    const db = await this.open();
    const cur = await db.get('cursors', groupId);
    return cur === undefined || cur.resyncUntil !== undefined ? null : cur.order;
  }

  async lastOrder(groupId: GroupId): Promise<string | null> {
    await this.flush().catch(() => {});
    const db = await this.open();
    return (await db.get('cursors', groupId))?.order ?? null;
  }

  async count(groupId: GroupId): Promise<number> {
    await this.flush().catch(() => {});
    const db = await this.open();
    return db.countFromIndex('batches', 'by-order', groupRange(groupId));
  }

  async putGroup(record: GroupRecord): Promise<void> {
    const db = await this.open();
    await db.put('groups', record);
  }

  async getGroup(groupId: GroupId): Promise<GroupRecord | null> {
    const db = await this.open();
    return (await db.get('groups', groupId)) ?? null;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    this.#closed = true;
    this.#cancelSchedule();
    this.#settle(new Error('The store was closed before these messages were saved.'));
    await this.#dropConnection();
  }

  /** Files' blobs in this database (`blobs`, `blobChunks`: files/idb-blobs.ts). */
  blobs(): IdbBlobs {
    return new IdbBlobs(() => this.open(), this.#name);
  }

  /** The key store sharing this database (identities object store). */
  keys(): IdbKeyStore {
    return new IdbKeyStore(this);
  }
}

function clampLimit(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.min(Math.floor(limit), MAX_PAGE) : MAX_PAGE;
}

function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.code === 22);
}

function describe(e: unknown): string {
  if (e instanceof DOMException) return `${e.name}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
