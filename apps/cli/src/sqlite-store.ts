// packages/peer's MessageStore on one SQLite file (better-sqlite3), for the
// terminal client and the archivist. Owns opening the file, crash safety
// and the queries the peer and `--status` ask; knows nothing of groups' membership, ordering or the
// network. Why SQLite and not a hand-written log: its WAL gives atomic,
// durable transactions that survive a SIGKILL (and, with synchronous=FULL,
// a power cut), it is one well-kept file format any tool can read, and it
// has the indexes (group + order, group + sentAt) we would otherwise write.
//
// The file format (tables, migrations, row checksums and the checks at open)
// is sqlite-schema.ts.

import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { parseCharter, type GroupCharter, type GroupId, type MessageId } from '@chorus/protocol';
import {
  checkGroupRecords,
  reissues,
  type GroupRecord,
  type HistoryPage,
  type MessageStore,
  type StoredMessage,
} from '@chorus/peer';
import {
  checksumOf,
  joinMessage,
  migrate,
  splitMessage,
  verifyNewRows,
  wayOut,
  StoreOpenError,
  type MessageRow,
  type QuarantinedRow,
} from './sqlite-schema.ts';

export { SCHEMA_VERSION, StoreOpenError, type QuarantinedRow } from './sqlite-schema.ts';

/** Same cap as the IndexedDB and memory stores: a caller's typo cannot load a whole history. */
export const MAX_PAGE = 5_000;
/** Another process (a second terminal with the same name, `--status`) may hold the write lock briefly. */
const BUSY_TIMEOUT_MS = 5_000;

export interface SqliteStoreOptions {
  /** Called once at open for every row that failed its check and was moved aside. */
  readonly onQuarantine?: (row: QuarantinedRow) => void;
}

export interface GroupSummaryRow {
  readonly groupId: GroupId;
  readonly name: string;
  readonly ordering: 'fifo' | 'total';
  readonly messages: number;
  readonly lastSentAt: number | null;
  readonly lastSyncAt: number | null;
}

export interface NotJoinedRow {
  readonly ref: string;
  readonly groupId: GroupId | null;
  readonly name: string;
  readonly locked: boolean;
  readonly reason: string;
  /** Since when this reason holds (ms). */
  readonly since: number;
}

const clampLimit = (limit: number): number =>
  Number.isFinite(limit) && limit > 0 ? Math.min(Math.floor(limit), MAX_PAGE) : MAX_PAGE;

export class SqliteStore implements MessageStore {
  readonly file: string;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #insertMany: (items: readonly StoredMessage[]) => void;
  readonly #rekeyMany: (items: readonly StoredMessage[]) => void;
  #closed = false;

  /**
   * Opens (creating if needed) the database at `file`, checks it, and moves
   * torn rows aside. Throws StoreOpenError naming the file and what to do
   * when the file is not a usable Chorus database; never starts empty over it.
   */
  constructor(file: string, opts: SqliteStoreOptions = {}) {
    this.file = file;
    let db: Database.Database;
    try {
      const fresh = !existsSync(file);
      // History is as private as the identities: owner only (SQLite gives -wal and -shm the file's mode).
      if (fresh) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
      if (fresh) chmodSync(file, 0o600);
    } catch (e) {
      throw new StoreOpenError(file, `Cannot open the history database ${file}: ${(e as Error).message}`);
    }
    try {
      // A garbage file fails here (SQLITE_NOTADB), a damaged one in quick_check.
      db.pragma('journal_mode = WAL');
      // FULL: a transaction is on disk before commit returns (NORMAL would survive a SIGKILL but not a power cut).
      db.pragma('synchronous = FULL');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check says: ${String(check)}`);
      migrate(db, file);
    } catch (e) {
      db.close();
      if (e instanceof StoreOpenError) throw e;
      throw new StoreOpenError(
        file,
        `The history database ${file} is damaged or is not a Chorus database (${(e as Error).message}). ${wayOut(file)}`,
      );
    }
    this.#db = db;
    verifyNewRows(db, opts.onQuarantine ?? (() => {}));
    this.#insert = db.prepare(`INSERT OR IGNORE INTO messages
      (group_id, id, order_key, sent_at, sender, seq, sender_name, delivered_at, header, body, checksum)
      VALUES (@groupId, @id, @order, @sentAt, @sender, @seq, @senderName, @deliveredAt, @header, @body, @checksum)`);
    this.#insertMany = db.transaction((items: readonly StoredMessage[]) => {
      for (const m of items) {
        const { header, body } = splitMessage(m);
        this.#insert.run({
          groupId: m.groupId,
          id: m.id,
          order: m.order,
          sentAt: m.frame.sentAt,
          sender: m.frame.sender,
          seq: m.frame.seq,
          senderName: m.senderName,
          deliveredAt: m.deliveredAt,
          header,
          body,
          checksum: checksumOf(header, body),
        });
      }
    });
    const stored = db.prepare(`SELECT * FROM messages WHERE group_id = ? AND id = ?`);
    const remove = db.prepare(`DELETE FROM messages WHERE group_id = ? AND id = ?`);
    // putHistory: a stored copy at another key moves to the item's key (its other fields stay).
    this.#rekeyMany = db.transaction((items: readonly StoredMessage[]) => {
      const moved: StoredMessage[] = [];
      for (const m of items) {
        const row = stored.get(m.groupId, m.id) as MessageRow | undefined;
        if (row === undefined) continue;
        const again = reissues(m, joinMessage(row));
        if (row.order_key === m.order && !again) continue;
        remove.run(m.groupId, m.id);
        if (!again) moved.push({ ...joinMessage(row), order: m.order });
      }
      this.#insertMany([...moved, ...items]);
    });
  }

  async putMessages(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    this.#assertOpen();
    // Refused whole (a wrong-group ChorusError) before anything is written.
    checkGroupRecords(groupId, items);
    if (items.length === 0) return;
    // One transaction: on disk (WAL, synchronous=FULL) when this returns, or not at all.
    this.#insertMany(items);
  }

  async putHistory(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    this.#assertOpen();
    checkGroupRecords(groupId, items);
    if (items.length === 0) return;
    this.#rekeyMany(items);
  }

  async page(groupId: GroupId, opts: { readonly after?: string | null; readonly limit: number }): Promise<HistoryPage> {
    this.#assertOpen();
    const limit = clampLimit(opts.limit);
    const after = opts.after ?? null;
    const rows = (
      after === null
        ? this.#db
            .prepare(`SELECT * FROM messages WHERE group_id = ? ORDER BY order_key, id LIMIT ?`)
            .all(groupId, limit + 1)
        : this.#db
            .prepare(`SELECT * FROM messages WHERE group_id = ? AND order_key > ? ORDER BY order_key, id LIMIT ?`)
            .all(groupId, after, limit + 1)
    ) as MessageRow[];
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map(joinMessage);
    return { items, next: more ? (items[items.length - 1]?.order ?? null) : null };
  }

  /** The newest `limit` messages with an order key below `before` (all when null), oldest first. */
  async before(groupId: GroupId, before: string | null, limit: number): Promise<readonly StoredMessage[]> {
    this.#assertOpen();
    const rows = (
      before === null
        ? this.#db
            .prepare(`SELECT * FROM messages WHERE group_id = ? ORDER BY order_key DESC, id DESC LIMIT ?`)
            .all(groupId, clampLimit(limit))
        : this.#db
            .prepare(
              `SELECT * FROM messages WHERE group_id = ? AND order_key < ? ORDER BY order_key DESC, id DESC LIMIT ?`,
            )
            .all(groupId, before, clampLimit(limit))
    ) as MessageRow[];
    return rows.reverse().map(joinMessage);
  }

  async since(groupId: GroupId, since: number, limit: number): Promise<readonly StoredMessage[]> {
    this.#assertOpen();
    const rows = this.#db
      .prepare(`SELECT * FROM messages WHERE group_id = ? AND sent_at >= ? ORDER BY sent_at, id LIMIT ?`)
      .all(groupId, since, clampLimit(limit)) as MessageRow[];
    return rows.map(joinMessage);
  }

  async cursor(groupId: GroupId): Promise<string | null> {
    this.#assertOpen();
    const r = this.#db.prepare(`SELECT max(order_key) AS o FROM messages WHERE group_id = ?`).get(groupId) as {
      o: string | null;
    };
    return r.o;
  }

  async count(groupId: GroupId): Promise<number> {
    this.#assertOpen();
    return (this.#db.prepare(`SELECT count(*) AS n FROM messages WHERE group_id = ?`).get(groupId) as { n: number }).n;
  }

  async putGroup(record: GroupRecord): Promise<void> {
    this.#assertOpen();
    this.#db
      .prepare(
        `INSERT INTO groups (group_id, name, ordering, state) VALUES (?, ?, ?, ?)
      ON CONFLICT (group_id) DO UPDATE SET name = excluded.name, ordering = excluded.ordering, state = excluded.state`,
      )
      .run(
        record.groupId,
        record.name,
        record.ordering,
        record.state === null
          ? null
          : JSON.stringify({
              ...record.state,
              ...(record.tentative === undefined ? {} : { tentative: record.tentative }),
              ...(record.floors === undefined ? {} : { floors: record.floors }),
            }),
      );
  }

  async getGroup(groupId: GroupId): Promise<GroupRecord | null> {
    this.#assertOpen();
    const r = this.#db.prepare(`SELECT * FROM groups WHERE group_id = ?`).get(groupId) as
      { group_id: string; name: string; ordering: string; state: string | null } | undefined;
    if (!r) return null;
    let state: GroupRecord['state'] = null;
    let tentative: GroupRecord['tentative'];
    let floors: GroupRecord['floors'];
    try {
      // The tentative seqs and the floors ride in the state's JSON (one column).
      const saved =
        r.state === null
          ? null
          : (JSON.parse(r.state) as GroupRecord['state'] & Pick<GroupRecord, 'tentative' | 'floors'>);
      if (saved !== null) ({ tentative, floors, ...state } = saved);
    } catch {
      // Engine state is a cache for resuming; without it the peer re-joins as a plain joiner.
      state = null;
    }
    const ordering = r.ordering === 'total' ? 'total' : 'fifo';
    return {
      groupId: r.group_id as GroupId,
      name: r.name,
      ordering,
      state,
      ...(tentative === undefined || state === null ? {} : { tentative }),
      ...(floors === undefined || state === null ? {} : { floors }),
    };
  }

  /** The archivist notes when it last had a group in sync (joined, or stored a message of it). */
  noteSync(groupId: GroupId, name: string, ordering: 'fifo' | 'total', at: number): void {
    this.#assertOpen();
    this.#db
      .prepare(
        `INSERT INTO groups (group_id, name, ordering, state, last_sync_at) VALUES (?, ?, ?, NULL, ?)
      ON CONFLICT (group_id) DO UPDATE SET last_sync_at = excluded.last_sync_at`,
      )
      .run(groupId, name, ordering, at);
  }

  /** A group's charter from a join reply: the proof a restore needs when a restarted tracker forgot the group. */
  putCharter(groupId: GroupId, charter: GroupCharter): void {
    this.#assertOpen();
    this.#db
      .prepare(`INSERT OR REPLACE INTO charters (group_id, charter) VALUES (?, ?)`)
      .run(groupId, JSON.stringify(charter));
  }

  /** Stored charters, with the highest view id this peer saw of each group (a restore's views continue above it). */
  charters(): {
    readonly groupId: GroupId;
    readonly name: string;
    readonly charter: GroupCharter;
    readonly viewId: number;
  }[] {
    this.#assertOpen();
    const rows = this.#db
      .prepare(`SELECT c.group_id, c.charter, g.state FROM charters c LEFT JOIN groups g ON g.group_id = c.group_id`)
      .all() as { group_id: string; charter: string; state: string | null }[];
    return rows.flatMap((r) => {
      try {
        const charter = parseCharter(JSON.parse(r.charter));
        if (!charter.ok) return [];
        const state = r.state === null ? null : (JSON.parse(r.state) as { viewId?: unknown });
        const viewId = typeof state?.viewId === 'number' && Number.isSafeInteger(state.viewId) ? state.viewId : 0;
        return [{ groupId: r.group_id as GroupId, name: charter.value.name, charter: charter.value, viewId }];
      } catch {
        return [];
      }
    });
  }

  /**
   * A group the archivist should be in but is not, and why (no password for
   * a locked group, a refused one, a join that failed, not listed yet). Kept
   * until it joins, so `--status` can say it. `ref` is the group id, or the
   * name given when the tracker does not list the group.
   */
  noteNotJoined(row: NotJoinedRow): void {
    this.#assertOpen();
    this.#db
      .prepare(
        `INSERT INTO not_joined (ref, group_id, name, locked, reason, since) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (ref) DO UPDATE SET reason = excluded.reason, locked = excluded.locked, name = excluded.name,
        since = CASE WHEN not_joined.reason = excluded.reason THEN not_joined.since ELSE excluded.since END`,
      )
      .run(row.ref, row.groupId, row.name, row.locked ? 1 : 0, row.reason, row.since);
  }

  /**
   * The group is joined (or no longer wanted): nothing to report. Without a ref, forgets every row (an archivist
   * starting).
   */
  clearNotJoined(ref?: string): void {
    this.#assertOpen();
    if (ref === undefined) this.#db.prepare(`DELETE FROM not_joined`).run();
    else this.#db.prepare(`DELETE FROM not_joined WHERE ref = ?`).run(ref);
  }

  notJoined(): NotJoinedRow[] {
    this.#assertOpen();
    return (
      this.#db.prepare(`SELECT * FROM not_joined ORDER BY name, ref`).all() as {
        ref: string;
        group_id: string | null;
        name: string;
        locked: number;
        reason: string;
        since: number;
      }[]
    ).map((r) => ({
      ref: r.ref,
      groupId: r.group_id as GroupId | null,
      name: r.name,
      locked: r.locked === 1,
      reason: r.reason,
      since: r.since,
    }));
  }

  /** Every group this file holds anything of, for `--status`. */
  summaries(): GroupSummaryRow[] {
    this.#assertOpen();
    const rows = this.#db
      .prepare(
        `
      SELECT g.group_id, g.name, g.ordering, g.last_sync_at,
        (SELECT count(*) FROM messages m WHERE m.group_id = g.group_id) AS messages,
        (SELECT max(sent_at) FROM messages m WHERE m.group_id = g.group_id) AS last_sent_at
      FROM groups g ORDER BY g.name`,
      )
      .all() as {
      group_id: string;
      name: string;
      ordering: string;
      last_sync_at: number | null;
      messages: number;
      last_sent_at: number | null;
    }[];
    return rows.map((r) => ({
      groupId: r.group_id as GroupId,
      name: r.name,
      ordering: r.ordering === 'total' ? 'total' : 'fifo',
      messages: r.messages,
      lastSentAt: r.last_sent_at,
      lastSyncAt: r.last_sync_at,
    }));
  }

  /** Rows moved aside at some open, for a person (and tests) to look at. */
  quarantined(): QuarantinedRow[] {
    this.#assertOpen();
    return (
      this.#db.prepare(`SELECT group_id, id, reason FROM quarantine ORDER BY row`).all() as {
        group_id: string;
        id: string;
        reason: string;
      }[]
    ).map((r) => ({ groupId: r.group_id, id: r.id, reason: r.reason }));
  }

  /** Every id of a group, in order (tests and `--status` use it to look for gaps and duplicates). */
  ids(groupId: GroupId): MessageId[] {
    this.#assertOpen();
    return (
      this.#db.prepare(`SELECT id FROM messages WHERE group_id = ? ORDER BY order_key, id`).all(groupId) as {
        id: MessageId;
      }[]
    ).map((r) => r.id);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('The store is closed.');
  }
}
