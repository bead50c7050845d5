// The IndexedDB implementation of MessageStore and KeyStore (via `idb`), one
// database per origin shared by every tab of the profile. It owns batching of
// message writes and the schema; it never knows about groups' membership,
// ordering or the network. Writes are idempotent by message id, so two tabs
// (or a sponsor's history and a live delivery) writing the same message is
// harmless. A message id names its group (`group/sender:seq`): version 1 of
// the schema keyed messages by `sender:seq`, so a sender's message in one group
// hid its message of the same seq in another; version 2 rewrites those keys in
// place and has groups that show gaps sync their history again from the start.
// Problems (quota, a blocked upgrade, another tab upgrading) are
// reported through `onProblem` so the UI can show a banner; a batch that
// failed stays queued and is retried, so nothing delivered is lost while the
// page lives.

import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { messageId, type GroupId, type MessageId } from '@chorus/protocol';
import type { KeyStore } from './key-store.ts';
import { checkGroupRecords, type GroupRecord, type HistoryPage, type MessageStore, type StoredMessage } from './storage.ts';

export const IDB_NAME = 'chorus';
/**
 * Bump with a migration in `upgrade` whenever the schema below changes.
 * 1: messages keyed `sender:seq`. 2: keyed `group/sender:seq` (rewritten in place).
 */
export const IDB_VERSION = 2;
/** A batch is written at the next animation frame or after this long, whichever is first (hidden tabs get no frames). */
export const IDB_WRITE_BATCH_MS = 50;
/** After a failed write (quota, a closing connection) wait this long before retrying, so a full disk is not hammered. */
export const IDB_WRITE_RETRY_MS = 2_000;
/** Upper bound on one page of a read, so a caller's typo cannot load a whole history into memory. */
const MAX_PAGE = 5_000;

export interface IdentityRecord {
  readonly name: string;
  readonly keyPair: CryptoKeyPair;
  readonly createdAt: number;
}

interface CursorRecord {
  readonly groupId: GroupId;
  /** Highest order key stored for the group. */
  readonly order: string;
  /**
   * Set by the schema 2 upgrade on a group whose stored messages show gaps
   * (schema 1 dropped them as duplicates of another group's): until a write
   * reaches this order key again, `cursor()` is null, so the next history
   * sync asks for everything and refills them (writes are idempotent).
   */
  readonly resyncUntil?: string;
}

interface ChorusDb extends DBSchema {
  identities: { key: string; value: IdentityRecord };
  groups: { key: GroupId; value: GroupRecord };
  messages: {
    key: MessageId;
    value: StoredMessage;
    indexes: { 'by-group-order': [GroupId, string]; 'by-group-sent': [GroupId, number] };
  };
  cursors: { key: GroupId; value: CursorRecord };
}

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

type Db = IDBPDatabase<ChorusDb>;

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
  #frame: number | null = null;
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
        // Version 1: the whole schema (object stores and indexes are unchanged since).
        if (!db.objectStoreNames.contains('identities')) db.createObjectStore('identities', { keyPath: 'name' });
        if (!db.objectStoreNames.contains('groups')) db.createObjectStore('groups', { keyPath: 'groupId' });
        if (!db.objectStoreNames.contains('messages')) {
          const messages = db.createObjectStore('messages', { keyPath: 'id' });
          messages.createIndex('by-group-order', ['groupId', 'order']);
          messages.createIndex('by-group-sent', ['groupId', 'frame.sentAt']);
        }
        if (!db.objectStoreNames.contains('cursors')) db.createObjectStore('cursors', { keyPath: 'groupId' });
        // Version 2: message keys name their group. If the rewrite fails, abort: the database
        // stays at version 1 with everything in it, and opening reports the problem.
        if (oldVersion >= 1 && oldVersion < 2) {
          rewriteMessageIds(tx).then(() => resyncGroupsWithGaps(tx)).catch(() => {
            try {
              tx.abort();
            } catch {
              // the transaction already failed on its own
            }
          });
        }
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
        report({ kind: 'terminated', message: 'The browser closed the local history database. Messages are kept in this tab and saved again when possible.' });
      },
    });
    this.#db = opening.catch((e: unknown) => {
      this.#db = null;
      report({ kind: 'unavailable', message: `Local history is unavailable (${describe(e)}). Messages stay in this tab only.` });
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
      this.#schedule(IDB_WRITE_BATCH_MS);
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
      this.#queue.set(item.id, queued === undefined ? item : { ...queued, order: item.order });
      this.#rekey.add(item.id);
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#schedule(IDB_WRITE_BATCH_MS);
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
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => void this.flush().catch(() => {}), ms);
    if (ms === IDB_WRITE_BATCH_MS && typeof requestAnimationFrame === 'function') {
      this.#frame = requestAnimationFrame(() => void this.flush().catch(() => {}));
    }
  }

  #cancelSchedule(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#frame !== null && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(this.#frame);
    this.#timer = null;
    this.#frame = null;
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
      const cursors = tx.objectStore('cursors');
      const highest = new Map<GroupId, string>();
      for (const item of batch) {
        const prev = highest.get(item.groupId);
        if (prev === undefined || item.order > prev) highest.set(item.groupId, item.order);
      }
      await Promise.all([
        ...batch.map(async (item) => {
          // Idempotent: the first stored copy of a message wins (same id = same signed frame).
          // A history item of a total-order group moves a stored copy to the group's key (putHistory).
          if (!rekey.has(item.id)) {
            if ((await messages.getKey(item.id)) === undefined) await messages.put(item);
            return;
          }
          const had = await messages.get(item.id);
          if (had === undefined) await messages.put(item);
          else if (had.order !== item.order) await messages.put({ ...had, order: item.order });
        }),
        ...[...highest].map(async ([groupId, order]) => {
          const cur = await cursors.get(groupId);
          // A history sync from the start that reaches the old last key has refilled every gap below it.
          const refilled = cur?.resyncUntil !== undefined && order >= cur.resyncUntil;
          // (Past cur.order is past resyncUntil too: it was cur.order when set, and cur.order only grows.)
          if (!cur || order > cur.order || refilled) await cursors.put({ groupId, order: cur && cur.order > order ? cur.order : order });
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
    for (const w of waiters) (error === null ? w.resolve() : w.reject(error));
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
    const range = after === null
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
    const range = before === null
      ? IDBKeyRange.bound([groupId, ''], [groupId, AFTER_ALL_STRINGS])
      : IDBKeyRange.bound([groupId, ''], [groupId, before], false, true);
    const out: StoredMessage[] = [];
    let cursor = await db.transaction('messages').store.index('by-group-order').openCursor(range, 'prev');
    const cap = clampLimit(limit);
    while (cursor && out.length < cap) {
      out.push(cursor.value);
      cursor = await cursor.continue();
    }
    return out.reverse();
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
    return db.countFromIndex('messages', 'by-group-order', IDBKeyRange.bound([groupId, ''], [groupId, AFTER_ALL_STRINGS]));
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

  /** The key store sharing this database (identities object store). */
  keys(): IdbKeyStore {
    return new IdbKeyStore(this);
  }
}

/**
 * One Ed25519 key pair per display name in this browser profile. CryptoKeys
 * are structured-cloneable, so non-extractable keys are stored as they are
 * and never leave the browser's key storage as bytes.
 */
export class IdbKeyStore implements KeyStore {
  readonly #store: IdbStore;
  constructor(store: IdbStore) {
    this.#store = store;
  }

  async get(name: string): Promise<CryptoKeyPair | null> {
    const db = await this.#store.open();
    return (await db.get('identities', name))?.keyPair ?? null;
  }

  /**
   * Stores the pair unless the name already has one (two tabs choosing the
   * same name at once must end up as one user): the first writer wins and
   * `get` afterwards returns the winner.
   */
  async put(name: string, keyPair: CryptoKeyPair): Promise<void> {
    const db = await this.#store.open();
    const tx = db.transaction('identities', 'readwrite');
    if ((await tx.store.getKey(name)) === undefined) await tx.store.put({ name, keyPair, createdAt: Date.now() });
    await tx.done;
  }
}

/**
 * Version 1 → 2, inside the upgrade transaction: every message stored as
 * `sender:seq` is put back as `group/sender:seq` (the group it is filed
 * under; its indexes are unchanged). Mutating while walking is safe here: a
 * rewritten record that the cursor meets again already has its new id. If a
 * record already exists under the new id (a build that wrote new ids into a
 * version 1 database), that first copy is kept, as every write here does.
 * Messages version 1 never stored (dropped as a "duplicate" of another
 * group's message) are not here to rewrite: see resyncGroupsWithGaps.
 */
async function rewriteMessageIds(tx: IDBPTransaction<ChorusDb, ('identities' | 'groups' | 'messages' | 'cursors')[], 'versionchange'>): Promise<void> {
  const messages = tx.objectStore('messages');
  let cursor = await messages.openCursor();
  while (cursor) {
    const m = cursor.value;
    const id = messageId(m.groupId, m.frame.sender, m.frame.seq);
    if (m.id !== id) {
      const taken = (await messages.getKey(id)) !== undefined;
      await cursor.delete();
      if (!taken) await messages.put({ ...m, id });
    }
    cursor = await cursor.continue();
  }
}

/**
 * Version 1 → 2, after the rewrite: a group in which some sender's stored
 * seqs do not run 1..n (n the highest stored, or delivered according to the
 * group's saved engine state) may have lost messages to schema 1's false
 * duplicates. Its cursor gets `resyncUntil`, so the next join asks a sponsor
 * for the whole history. A gap for another reason costs one extra sync.
 */
async function resyncGroupsWithGaps(tx: IDBPTransaction<ChorusDb, ('identities' | 'groups' | 'messages' | 'cursors')[], 'versionchange'>): Promise<void> {
  /** Per group, per sender: how many seqs are stored and the highest seq known. */
  const seen = new Map<GroupId, Map<string, { count: number; top: number }>>();
  const of = (groupId: GroupId, sender: string) => {
    let g = seen.get(groupId);
    if (!g) seen.set(groupId, (g = new Map()));
    let s = g.get(sender);
    if (!s) g.set(sender, (s = { count: 0, top: 0 }));
    return s;
  };
  let walk = await tx.objectStore('messages').openCursor();
  while (walk) {
    const s = of(walk.value.groupId, walk.value.frame.sender);
    s.count += 1;
    s.top = Math.max(s.top, walk.value.frame.seq);
    walk = await walk.continue();
  }
  for (const record of await tx.objectStore('groups').getAll()) {
    for (const [sender, next] of Object.entries(record.state?.nextSeq ?? {})) {
      if (typeof next === 'number' && Number.isSafeInteger(next) && next > 1) {
        const s = of(record.groupId, sender);
        s.top = Math.max(s.top, next - 1);
      }
    }
  }
  const cursors = tx.objectStore('cursors');
  for (const [groupId, senders] of seen) {
    if (![...senders.values()].some((s) => s.count < s.top)) continue;
    const cur = await cursors.get(groupId);
    if (cur) await cursors.put({ ...cur, resyncUntil: cur.order });
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
