// The IndexedDB implementation of MessageStore (via `idb`), one database per
// origin shared by every tab of the profile. It owns batching of message
// writes, the reads and the connection's life; it never knows about groups' membership,
// ordering or the network. Writes are idempotent by message id, so two tabs
// (or a sponsor's history and a live delivery) writing the same message is
// harmless. The schema and its upgrades are idb-schema.ts; identities are
// idb-key-store.ts.
// Problems (quota, a blocked upgrade, another tab upgrading) are
// reported through `onProblem` so the UI can show a banner; a batch that
// failed stays queued and is retried, so nothing delivered is lost while the
// page lives.

import { openDB, unwrap, type IDBPTransaction } from 'idb';
import type { GroupId, MessageId } from '@chorus/protocol';
import { IdbKeyStore } from './idb-key-store.ts';
import { IdbBlobs } from './files/idb-blobs.ts';
import { IDB_NAME, IDB_VERSION, upgradeSchema, type ChorusDb, type Db } from './idb-schema.ts';
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

export type StoreProblemKind = 'quota' | 'blocked' | 'version-change' | 'terminated' | 'write-failed' | 'unavailable';

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

/** In IndexedDB key order every array sorts after every string, so this bounds "all order keys". */
const AFTER_ALL_STRINGS: [] = [];

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
    this.#db = opening.catch((e: unknown) => {
      this.#db = null;
      report({
        kind: 'unavailable',
        message: `Local history is unavailable (${describe(e)}). Messages stay in this tab only.`,
      });
      throw e;
    });
    return this.#db;
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
    let tx: IDBPTransaction<ChorusDb, ['messages', 'cursors'], 'readwrite'> | null = null;
    try {
      const db = await this.open();
      tx = db.transaction(['messages', 'cursors'], 'readwrite');
      const messages = tx.objectStore('messages');
      const rawMessages = unwrap(messages);
      const cursors = tx.objectStore('cursors');
      const highest = new Map<GroupId, string>();
      for (const item of batch) {
        const prev = highest.get(item.groupId);
        if (prev === undefined || item.order > prev) highest.set(item.groupId, item.order);
      }
      await Promise.all([
        ...batch.map(async (item) => {
          // Idempotent: the first stored copy of a message wins (same id = same signed frame).
          // A total-order group's item (putHistory) moves a stored copy to the group's key.
          if (!rekey.has(item.id)) return addOnce(rawMessages, item);
          const had = await messages.get(item.id);
          if (had === undefined || reissues(item, had)) await messages.put(item);
          else if (had.order !== item.order) await messages.put({ ...had, order: item.order });
        }),
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
    const range =
      after === null
        ? IDBKeyRange.bound([groupId, ''], [groupId, AFTER_ALL_STRINGS])
        : IDBKeyRange.bound([groupId, after], [groupId, AFTER_ALL_STRINGS], true, false);
    const items = await db.getAllFromIndex('messages', 'by-group-order', range, limit + 1);
    const more = items.length > limit;
    const page = more ? items.slice(0, limit) : items;
    return { items: page, next: more ? (page[page.length - 1]?.order ?? null) : null };
  }

  async since(groupId: GroupId, since: number, limit: number): Promise<readonly StoredMessage[]> {
    await this.flush().catch(() => {});
    const db = await this.open();
    const range = IDBKeyRange.bound([groupId, since], [groupId, Number.POSITIVE_INFINITY]);
    return db.getAllFromIndex('messages', 'by-group-sent', range, clampLimit(limit));
  }

  /** The newest `limit` messages of a group, oldest first (what a chat view shows on open). */
  async latest(groupId: GroupId, limit: number): Promise<readonly StoredMessage[]> {
    return this.before(groupId, null, limit);
  }

  async before(groupId: GroupId, before: string | null, limit: number): Promise<readonly StoredMessage[]> {
    await this.flush().catch(() => {});
    const db = await this.open();
    const range =
      before === null
        ? IDBKeyRange.bound([groupId, ''], [groupId, AFTER_ALL_STRINGS])
        : IDBKeyRange.bound([groupId, ''], [groupId, before], false, true);
    // Two requests, not one per message: a key cursor walks back `cap` keys inside the store (advance), and one
    // getAll reads from there to the end. Stepping a value cursor took a round trip to the store per message.
    const index = db.transaction('messages').store.index('by-group-order');
    const cap = clampLimit(limit);
    let cursor = await index.openKeyCursor(range, 'prev');
    if (cursor === null) return [];
    if (cap > 1) cursor = await cursor.advance(cap - 1);
    const from =
      cursor === null ? range : IDBKeyRange.bound(cursor.key, range.upper as IDBValidKey, false, range.upperOpen);
    const items = await index.getAll(from);
    // Messages sharing the first key's order (never two with one id) may come before it: keep the newest `cap`.
    return items.length > cap ? items.slice(items.length - cap) : items;
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
    return db.countFromIndex(
      'messages',
      'by-group-order',
      IDBKeyRange.bound([groupId, ''], [groupId, AFTER_ALL_STRINGS]),
    );
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

/**
 * Stores `item` unless a message with its id is stored: one `add` (not a read, then a write), whose
 * ConstraintError (the id is taken; no index is unique) is kept from aborting the batch's transaction.
 */
function addOnce(store: IDBObjectStore, item: StoredMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = store.add(item);
    req.onsuccess = () => resolve();
    req.onerror = (e) => {
      if (req.error?.name !== 'ConstraintError') return reject(req.error ?? new Error('The write failed.'));
      e.preventDefault();
      e.stopPropagation();
      resolve();
    };
  });
}
