// The on-disk format of the SQLite history (sqlite-store.ts): the tables,
// the schema version and its migrations, how a message is laid out in a row
// with its checksum, and the checks at open that move a torn row aside.
// What belongs here: anything that changes when SCHEMA_VERSION does, or that
// reads a row's bytes. The queries the store answers are sqlite-store.ts.
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
import type Database from 'better-sqlite3';
import type { StoredMessage } from '@chorus/peer';

/** Bump with a migration step in `migrate` whenever the schema below changes. */
export const SCHEMA_VERSION = 1;

/**
 * The file cannot be used: corrupt, not a database, or from a newer Chorus. The message names the file and a way out.
 */
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

export interface MessageRow {
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
export type Header = Omit<StoredMessage, 'frame'> & { readonly frame: Omit<StoredMessage['frame'], 'body'> };

export const checksumOf = (header: string, body: string): string =>
  createHash('sha256').update(header).update('\u0000').update(body).digest('base64url').slice(0, 22);

export function splitMessage(m: StoredMessage): { header: string; body: string } {
  const { body, ...frame } = m.frame;
  const header: Header = { ...m, frame };
  return { header: JSON.stringify(header), body };
}

export function joinMessage(r: MessageRow): StoredMessage {
  const header = JSON.parse(r.header) as Header;
  return { ...header, frame: { ...header.frame, body: r.body } } as StoredMessage;
}

/** Why a row read back from disk cannot be trusted, or null when it is whole. */
export function rowProblem(r: MessageRow): string | null {
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

export const wayOut = (file: string): string =>
  `Move it aside (mv "${file}" "${file}.broken") to start with an empty history that members fill in again, ` +
  `or point --db at another file.`;

/**
 * Creates the tables of a new file and brings an older one up to
 * SCHEMA_VERSION. Throws StoreOpenError for an SQLite file that is not a
 * Chorus history or was written by a newer Chorus.
 */
export function migrate(db: Database.Database, file: string): void {
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get() !== undefined;
  const hasOther =
    db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name <> 'meta'`).get() !== undefined;
  if (!hasMeta && hasOther)
    throw new StoreOpenError(file, `${file} is an SQLite database but not a Chorus history. ${wayOut(file)}`);
  db.exec(SCHEMA);
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined;
  const version = row === undefined ? 0 : Number(row.value);
  if (version > SCHEMA_VERSION) {
    throw new StoreOpenError(
      file,
      `${file} was written by a newer Chorus (schema ${version}, this one knows ${SCHEMA_VERSION}). Update Chorus, or point --db at another file.`,
    );
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
export function verifyNewRows(db: Database.Database, onQuarantine: (row: QuarantinedRow) => void): void {
  const from = Number(
    (db.prepare(`SELECT value FROM meta WHERE key = 'verified_row'`).get() as { value: string } | undefined)?.value ??
      0,
  );
  const rows = db
    .prepare(`SELECT * FROM messages WHERE row > ? ORDER BY row`)
    .iterate(from) as IterableIterator<MessageRow>;
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
      db.prepare(
        `INSERT INTO quarantine (group_id, id, reason, found_at, header, body, checksum) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(r.group_id, r.id, reason, now, r.header, r.body, r.checksum);
      db.prepare(`DELETE FROM messages WHERE row = ?`).run(r.row);
    }
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('verified_row', ?)`).run(String(last));
  })();
  for (const { row: r, reason } of bad) onQuarantine({ groupId: r.group_id, id: r.id, reason });
}
