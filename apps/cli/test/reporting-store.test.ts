// The archivist's store (ReportingStore over SQLite) as a sponsor reads it:
// a joiner's history goes newest first (PROTOCOL.md §4), so each older page is
// a backward read. It must reach the database's `before` — without it the
// shared reader falls back to a forward scan from the first message for every
// page, which makes a long history's hand-over quadratic.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asGroupId } from '@chorus/protocol';
import { ReportingStore } from '../src/archivist.ts';
import { SqliteStore } from '../src/sqlite-store.ts';
import { stored, tempHome } from './fixtures.ts';

const G = asGroupId('gA');

describe("the archivist's store", () => {
  it('reads the newest messages below a key straight from the database, with no forward scan', async () => {
    const sql = new SqliteStore(join(tempHome(), 'h.sqlite'));
    const store = new ReportingStore(sql, () => {});
    await store.putMessages(
      G,
      Array.from({ length: 450 }, (_, i) => stored('gA', 'ann', i + 1, i + 1)),
    );
    let forward = 0;
    const page = sql.page.bind(sql);
    sql.page = (...args) => {
      forward += 1;
      return page(...args);
    };
    const older = await store.before(G, String(301).padStart(16, '0'), 200);
    expect(older.map((m) => m.frame.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 101));
    expect(await store.before(G, null, 3)).toEqual(await sql.before(G, null, 3));
    expect(forward).toBe(0);
    await store.close();
  });
});
