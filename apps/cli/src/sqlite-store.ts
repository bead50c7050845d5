// packages/peer's MessageStore on one SQLite file (better-sqlite3), for the
// terminal client and the archivist. Owns the schema, crash safety and the
// checks at open; knows nothing of groups' membership, ordering or the
// network. Why SQLite and not a hand-written log: its WAL gives atomic,
// durable transactions that survive a SIGKILL (and, with synchronous=FULL,
// a power cut), it is one well-kept file format any tool can read, and it
// has the indexes (group + order, group + sentAt) we would otherwise write.
//
// On top of SQLite's own guarantees each message row carries a checksum of
// its content. SQLite never leaves a half-written transaction behind, but a
// disk, a copy tool or a person with the sqlite3 shell can: rows written
// since the last verified one are checked at open, and a row that fails is
// moved to `quarantine` (kept for a person to look at) instead of being
// served to a joiner or silently dropped.
//
// The row splits a message into a plaintext header (group, id, sender, seq,
// order, times) and `body`: an archivist that one day stores an encrypted
// body changes one column, not the schema.

import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { parseCharter, type GroupCharter, type GroupId, type MessageId } from '@chorus/protocol';
import { checkGroupRecords, type GroupRecord, type HistoryPage, type MessageStore, type StoredMessage } from '@chorus/peer';

/** Same cap as the IndexedDB and memory stores: a caller's typo cannot load a whole history. */
export const MAX_PAGE = 5_000;
/** Bump with a migration step in #migrate whenever the schema below changes. */
export const SCHEMA_VERSION = 1;
/** Another process (a second terminal with the same name, `--status`) may hold the write lock briefly. */
const BUSY_TIMEOUT_MS = 5_000;

/** The file cannot be used: corrupt, not a database, or from a newer Chorus. The message names the file and a way out. */
export class StoreOpenError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.name = 'StoreOpenError';
    this.file = file;
  }
}

export interface QuarantinedRow {
  readonly groupId: string;
  readonly id: string;
  readonly reason: string;
}

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

interface MessageRow {
  readonly row: number;
  readonly group_id: string;
  readonly id: string;
  readonly order_key: string;
  readonly sent_at: number;
  readonly sender: string;
  readonly seq: number;
  readonly sender_name: string;
  readonly delivered_at: number;
  readonly header: string;
  readonly body: string;
  readonly checksum: string;
}

/** Everything in a StoredMessage except the frame's body: the plaintext header. */
type Header = Omit<StoredMessage, 'frame'> & { readonly frame: Omit<StoredMessage['frame'], 'body'> };

const checksumOf = (header: string, body: string): string =>
  createHash('sha256').update(header).update('\u0000').update(body).digest('base64url').slice(0, 22);

function splitMessage(m: StoredMessage): { header: string; body: string } {
  const { body, ...frame } = m.frame;
  const header: Header = { ...m, frame };
  return { header: JSON.stringify(header), body };
}

function joinMessage(r: MessageRow): StoredMessage {
  const header = JSON.parse(r.header) as Header;
  return { ...header, frame: { ...header.frame, body: r.body } } as StoredMessage;
}

/** Why a row read back from disk cannot be trusted, or null when it is whole. */
function rowProblem(r: MessageRow): string | null {
  if (checksumOf(r.header, r.body) !== r.checksum) return 'checksum mismatch (torn or altered record)';
  let m: StoredMessage;
  try {
    m = joinMessage(r);
  } catch {
    return 'header is not JSON';
  }
  if (m.id !== r.id || m.groupId !== r.group_id || m.order !== r.order_key || m.frame.sentAt !== r.sent_at) {
    return 'header disagrees with its columns';
  }
  return null;
}

const clampLimit = (limit: number): number =>
  Number.isFinite(limit) && limit > 0 ? Math.min(Math.floor(limit), MAX_PAGE) : MAX_PAGE;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS messages (
    row INTEGER PRIMARY KEY,
    group_id TEXT NOT NULL,
    id TEXT NOT NULL,
    order_key TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    sender TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sender_name TEXT NOT NULL,
    delivered_at INTEGER NOT NULL,
    header TEXT NOT NULL,
    body TEXT NOT NULL,
    checksum TEXT NOT NULL,
    UNIQUE (group_id, id)
  );
  CREATE INDEX IF NOT EXISTS messages_by_order ON messages (group_id, order_key, id);
  CREATE INDEX IF NOT EXISTS messages_by_sent ON messages (group_id, sent_at, id);
  CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    ordering TEXT NOT NULL,
    state TEXT,
    last_sync_at INTEGER
  );
  CREATE TABLE IF NOT EXISTS charters (group_id TEXT PRIMARY KEY, charter TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS not_joined (
    ref TEXT PRIMARY KEY,
    group_id TEXT,
    name TEXT NOT NULL,
    locked INTEGER NOT NULL,
    reason TEXT NOT NULL,
    since INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS quarantine (
    row INTEGER PRIMARY KEY,
    group_id TEXT,
    id TEXT,
    reason TEXT NOT NULL,
    found_at INTEGER NOT NULL,
    header TEXT,
    body TEXT,
    checksum TEXT
  );
`;

const wayOut = (file: string): string =>
  `Move it aside (mv "${file}" "${file}.broken") to start with an empty history that members fill in again, ` +
  `or point --db at another file.`;

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
      this.#migrate(db);
    } catch (e) {
      db.close();
      if (e instanceof StoreOpenError) throw e;
      throw new StoreOpenError(file, `The history database ${file} is damaged or is not a Chorus database (${(e as Error).message}). ${wayOut(file)}`);
    }
    this.#db = db;
    this.#verifyNewRows(opts.onQuarantine ?? (() => {}));
    this.#insert = db.prepare(`INSERT OR IGNORE INTO messages
      (group_id, id, order_key, sent_at, sender, seq, sender_name, delivered_at, header, body, checksum)
      VALUES (@groupId, @id, @order, @sentAt, @sender, @seq, @senderName, @deliveredAt, @header, @body, @checksum)`);
    this.#insertMany = db.transaction((items: readonly StoredMessage[]) => {
      for (const m of items) {
        const { header, body } = splitMessage(m);
        this.#insert.run({
          groupId: m.groupId, id: m.id, order: m.order, sentAt: m.frame.sentAt, sender: m.frame.sender, seq: m.frame.seq,
          senderName: m.senderName, deliveredAt: m.deliveredAt, header, body, checksum: checksumOf(header, body),
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
        if (row === undefined || row.order_key === m.order) continue;
        remove.run(m.groupId, m.id);
        moved.push({ ...joinMessage(row), order: m.order });
      }
      this.#insertMany([...moved, ...items]);
    });
  }

  #migrate(db: Database.Database): void {
    const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get() !== undefined;
    const hasOther = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name <> 'meta'`).get() !== undefined;
    if (!hasMeta && hasOther) throw new StoreOpenError(this.file, `${this.file} is an SQLite database but not a Chorus history. ${wayOut(this.file)}`);
    db.exec(SCHEMA);
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined;
    const version = row === undefined ? 0 : Number(row.value);
    if (version > SCHEMA_VERSION) {
      throw new StoreOpenError(this.file, `${this.file} was written by a newer Chorus (schema ${version}, this one knows ${SCHEMA_VERSION}). Update Chorus, or point --db at another file.`);
    }
    // Version 1 is the whole schema above; later versions add steps keyed on `version` here. A table
    // added with IF NOT EXISTS (not_joined) needs no step: an older file gets it at its next open.
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
  }

  /**
   * Checks every row written since the last check (rows are append-only, so
   * `row` grows) and moves a row that fails into `quarantine`. Run once at
   * open: a row that was whole then stays whole while we hold the file.
   */
  #verifyNewRows(onQuarantine: (row: QuarantinedRow) => void): void {
    const db = this.#db;
    const from = Number((db.prepare(`SELECT value FROM meta WHERE key = 'verified_row'`).get() as { value: string } | undefined)?.value ?? 0);
    const rows = db.prepare(`SELECT * FROM messages WHERE row > ? ORDER BY row`).iterate(from) as IterableIterator<MessageRow>;
    const bad: { row: MessageRow; reason: string }[] = [];
    let last = from;
    for (const r of rows) {
      const reason = rowProblem(r);
      if (reason !== null) bad.push({ row: r, reason });
      last = r.row;
    }
    const now = Date.now();
    db.transaction(() => {
      for (const { row: r, reason } of bad) {
        db.prepare(`INSERT INTO quarantine (group_id, id, reason, found_at, header, body, checksum) VALUES (?, ?, ?, ?, ?, ?, ?)`)
          .run(r.group_id, r.id, reason, now, r.header, r.body, r.checksum);
        db.prepare(`DELETE FROM messages WHERE row = ?`).run(r.row);
      }
      db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('verified_row', ?)`).run(String(last));
    })();
    for (const { row: r, reason } of bad) onQuarantine({ groupId: r.group_id, id: r.id, reason });
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
    const rows = (after === null
      ? this.#db.prepare(`SELECT * FROM messages WHERE group_id = ? ORDER BY order_key, id LIMIT ?`).all(groupId, limit + 1)
      : this.#db.prepare(`SELECT * FROM messages WHERE group_id = ? AND order_key > ? ORDER BY order_key, id LIMIT ?`).all(groupId, after, limit + 1)
    ) as MessageRow[];
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map(joinMessage);
    return { items, next: more ? (items[items.length - 1]?.order ?? null) : null };
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
    const r = this.#db.prepare(`SELECT max(order_key) AS o FROM messages WHERE group_id = ?`).get(groupId) as { o: string | null };
    return r.o;
  }

  async count(groupId: GroupId): Promise<number> {
    this.#assertOpen();
    return (this.#db.prepare(`SELECT count(*) AS n FROM messages WHERE group_id = ?`).get(groupId) as { n: number }).n;
  }

  async putGroup(record: GroupRecord): Promise<void> {
    this.#assertOpen();
    this.#db.prepare(`INSERT INTO groups (group_id, name, ordering, state) VALUES (?, ?, ?, ?)
      ON CONFLICT (group_id) DO UPDATE SET name = excluded.name, ordering = excluded.ordering, state = excluded.state`)
      .run(record.groupId, record.name, record.ordering, record.state === null ? null : JSON.stringify({
        ...record.state,
        ...(record.tentative === undefined ? {} : { tentative: record.tentative }),
        ...(record.floors === undefined ? {} : { floors: record.floors }),
      }));
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
      const saved = r.state === null ? null : (JSON.parse(r.state) as GroupRecord['state'] & Pick<GroupRecord, 'tentative' | 'floors'>);
      if (saved !== null) ({ tentative, floors, ...state } = saved);
    } catch {
      // Engine state is a cache for resuming; without it the peer re-joins as a plain joiner.
      state = null;
    }
    const ordering = r.ordering === 'total' ? 'total' : 'fifo';
    return {
      groupId: r.group_id as GroupId, name: r.name, ordering, state,
      ...(tentative === undefined || state === null ? {} : { tentative }), ...(floors === undefined || state === null ? {} : { floors }),
    };
  }

  /** The archivist notes when it last had a group in sync (joined, or stored a message of it). */
  noteSync(groupId: GroupId, name: string, ordering: 'fifo' | 'total', at: number): void {
    this.#assertOpen();
    this.#db.prepare(`INSERT INTO groups (group_id, name, ordering, state, last_sync_at) VALUES (?, ?, ?, NULL, ?)
      ON CONFLICT (group_id) DO UPDATE SET last_sync_at = excluded.last_sync_at`).run(groupId, name, ordering, at);
  }

  /** A group's charter from a join reply: the proof a restore needs when a restarted tracker forgot the group. */
  putCharter(groupId: GroupId, charter: GroupCharter): void {
    this.#assertOpen();
    this.#db.prepare(`INSERT OR REPLACE INTO charters (group_id, charter) VALUES (?, ?)`).run(groupId, JSON.stringify(charter));
  }

  /** Stored charters, with the highest view id this peer saw of each group (a restore's views continue above it). */
  charters(): { readonly groupId: GroupId; readonly name: string; readonly charter: GroupCharter; readonly viewId: number }[] {
    this.#assertOpen();
    const rows = this.#db.prepare(`SELECT c.group_id, c.charter, g.state FROM charters c LEFT JOIN groups g ON g.group_id = c.group_id`).all() as
      { group_id: string; charter: string; state: string | null }[];
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
    this.#db.prepare(`INSERT INTO not_joined (ref, group_id, name, locked, reason, since) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (ref) DO UPDATE SET reason = excluded.reason, locked = excluded.locked, name = excluded.name,
        since = CASE WHEN not_joined.reason = excluded.reason THEN not_joined.since ELSE excluded.since END`)
      .run(row.ref, row.groupId, row.name, row.locked ? 1 : 0, row.reason, row.since);
  }

  /** The group is joined (or no longer wanted): nothing to report. Without a ref, forgets every row (an archivist starting). */
  clearNotJoined(ref?: string): void {
    this.#assertOpen();
    if (ref === undefined) this.#db.prepare(`DELETE FROM not_joined`).run();
    else this.#db.prepare(`DELETE FROM not_joined WHERE ref = ?`).run(ref);
  }

  notJoined(): NotJoinedRow[] {
    this.#assertOpen();
    return (this.#db.prepare(`SELECT * FROM not_joined ORDER BY name, ref`).all() as
      { ref: string; group_id: string | null; name: string; locked: number; reason: string; since: number }[])
      .map((r) => ({ ref: r.ref, groupId: r.group_id as GroupId | null, name: r.name, locked: r.locked === 1, reason: r.reason, since: r.since }));
  }

  /** Every group this file holds anything of, for `--status`. */
  summaries(): GroupSummaryRow[] {
    this.#assertOpen();
    const rows = this.#db.prepare(`
      SELECT g.group_id, g.name, g.ordering, g.last_sync_at,
        (SELECT count(*) FROM messages m WHERE m.group_id = g.group_id) AS messages,
        (SELECT max(sent_at) FROM messages m WHERE m.group_id = g.group_id) AS last_sent_at
      FROM groups g ORDER BY g.name`).all() as
      { group_id: string; name: string; ordering: string; last_sync_at: number | null; messages: number; last_sent_at: number | null }[];
    return rows.map((r) => ({
      groupId: r.group_id as GroupId, name: r.name, ordering: r.ordering === 'total' ? 'total' : 'fifo',
      messages: r.messages, lastSentAt: r.last_sent_at, lastSyncAt: r.last_sync_at,
    }));
  }

  /** Rows moved aside at some open, for a person (and tests) to look at. */
  quarantined(): QuarantinedRow[] {
    this.#assertOpen();
    return (this.#db.prepare(`SELECT group_id, id, reason FROM quarantine ORDER BY row`).all() as
      { group_id: string; id: string; reason: string }[]).map((r) => ({ groupId: r.group_id, id: r.id, reason: r.reason }));
  }

  /** Every id of a group, in order (tests and `--status` use it to look for gaps and duplicates). */
  ids(groupId: GroupId): MessageId[] {
    this.#assertOpen();
    return (this.#db.prepare(`SELECT id FROM messages WHERE group_id = ? ORDER BY order_key, id`).all(groupId) as { id: MessageId }[]).map((r) => r.id);
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
