// The SQLite MessageStore: the MessageStore contract (the same answers as
// packages/peer's MemoryStore), crash safety with a real child process
// killed by SIGKILL mid-write, torn rows detected and moved aside at open,
// and a damaged file refused with a sentence that names it.

import { execFileSync, spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { MessageStore } from '@chorus/peer';
import { MemoryStore } from '@chorus/peer/testing';
import { asGroupId } from '@chorus/protocol';
import { SqliteStore, StoreOpenError } from '../src/sqlite-store.ts';
import { REPO_ROOT, stored, tempHome } from './fixtures.ts';

const G = asGroupId('gA');
const H = asGroupId('gB');

async function fill(store: MessageStore): Promise<void> {
  // Out of order, with a duplicate id (the second copy must be ignored) and a second group.
  await store.putMessages(G, [stored('gA', 'bob', 1, 3, 1_000), stored('gA', 'ann', 1, 1, 3_000)]);
  await store.putMessages(H, [stored('gB', 'ann', 1, 1, 500)]);
  await store.putMessages(G, [
    stored('gA', 'ann', 2, 2, 2_000),
    { ...stored('gA', 'bob', 1, 3, 1_000), senderName: 'IMPOSTOR' },
  ]);
  await store.putMessages(G, [stored('gA', 'cy', 1, 4, 2_000)]);
  await store.putGroup({
    groupId: G,
    name: 'alpha',
    ordering: 'total',
    state: { viewId: 3 as never, incarnation: 1 as never, agreed: 4, nextSeq: { ann: 3 } },
    tentative: { ann: 2 },
    floors: { bob: 2 },
  });
}

describe('SqliteStore', () => {
  it('answers pages, since, cursor and count exactly as the in-memory store does', async () => {
    const file = join(tempHome(), 'h.sqlite');
    const sql = new SqliteStore(file);
    const mem = new MemoryStore();
    await fill(sql);
    await fill(mem);
    for (const store of [sql, mem]) {
      expect(await store.count(G)).toBe(4);
      expect(await store.cursor(G)).toBe(String(4).padStart(16, '0'));
      expect(await store.cursor(asGroupId('nope'))).toBeNull();
    }
    const first = await sql.page(G, { limit: 2 });
    expect(first).toEqual(await mem.page(G, { limit: 2 }));
    expect(first.items.map((m) => m.id)).toEqual(['gA/ann:1', 'gA/ann:2']);
    const rest = await sql.page(G, { after: first.next, limit: 10 });
    expect(rest).toEqual(await mem.page(G, { after: first.next, limit: 10 }));
    expect(rest.next).toBeNull();
    expect(rest.items[0]?.senderName).toBe('BOB');
    expect(await sql.since(G, 2_000, 10)).toEqual(await mem.since(G, 2_000, 10));
    // Backwards (a sponsor's newest pages first, PROTOCOL.md §4): the newest below a key, oldest first.
    expect((await sql.before(G, null, 2)).map((m) => m.id)).toEqual(['gA/bob:1', 'gA/cy:1']);
    for (const [below, limit] of [
      [null, 2],
      [String(3).padStart(16, '0'), 5],
      [String(1).padStart(16, '0'), 5],
    ] as const)
      expect(await sql.before(G, below, limit)).toEqual(await mem.before(G, below, limit));
    expect((await sql.since(G, 2_000, 10)).map((m) => m.id)).toEqual(['gA/ann:2', 'gA/cy:1', 'gA/ann:1']);
    expect(await sql.getGroup(G)).toEqual(await mem.getGroup(G));
    // The tentative seqs (total order, PROTOCOL.md §4) come back with the state.
    expect((await sql.getGroup(G))?.tentative).toEqual({ ann: 2 });
    // So do the floors (PROTOCOL.md §4: seqs the store will never be handed).
    expect((await sql.getGroup(G))?.floors).toEqual({ bob: 2 });
    expect(await sql.page(H, { limit: 10 })).toEqual(await mem.page(H, { limit: 10 }));
    // A write with another group's record in it is refused whole.
    await expect(sql.putMessages(G, [stored('gA', 'dee', 1, 9), stored('gB', 'dee', 1, 9)])).rejects.toMatchObject({
      code: 'wrong-group',
    });
    expect(await sql.count(G)).toBe(4);
    await sql.close();

    // Everything survives a close and reopen, the file is the owner's only.
    const again = new SqliteStore(file);
    expect((await again.page(G, { limit: 10 })).items).toEqual((await mem.page(G, { limit: 10 })).items);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await again.close();
  });

  it('moves a torn or altered row aside at open and serves the rest', async () => {
    const file = join(tempHome(), 'h.sqlite');
    const store = new SqliteStore(file);
    await fill(store);
    await store.close();
    // What a torn write or a disk error leaves: a row whose content no longer matches its checksum.
    const raw = new Database(file);
    raw.prepare(`UPDATE messages SET body = substr(body, 1, 3) WHERE id = 'gA/ann:2'`).run();
    raw.close();

    const seen: string[] = [];
    const reopened = new SqliteStore(file, { onQuarantine: (r) => seen.push(`${r.id}: ${r.reason}`) });
    expect(seen).toEqual(['gA/ann:2: checksum mismatch (torn or altered record)']);
    expect(reopened.ids(G)).toEqual(['gA/ann:1', 'gA/bob:1', 'gA/cy:1']);
    expect(reopened.quarantined()).toHaveLength(1);
    // The group still works: the missing message can come back from a member and is stored again.
    await reopened.putMessages(G, [stored('gA', 'ann', 2, 2, 2_000)]);
    expect(await reopened.count(G)).toBe(4);
    await reopened.close();
    // Checked once: the next open has nothing new to report.
    const third = new SqliteStore(file, { onQuarantine: (r) => seen.push(r.id) });
    expect(seen).toHaveLength(1);
    await third.close();
  });

  it('refuses a damaged file with a sentence naming it and a way out, and never starts empty over it', async () => {
    const home = tempHome();
    const garbage = join(home, 'garbage.sqlite');
    writeFileSync(garbage, 'this is not a database, just bytes '.repeat(200));
    expect(() => new SqliteStore(garbage)).toThrowError(StoreOpenError);
    expect(() => new SqliteStore(garbage)).toThrowError(new RegExp(`${garbage}.*mv "${garbage}" "${garbage}.broken"`));

    // A real Chorus file with its pages overwritten in the middle.
    const file = join(home, 'h.sqlite');
    const store = new SqliteStore(file);
    for (let i = 1; i <= 200; i += 1)
      await store.putMessages(G, [stored('gA', 'ann', i, i, i, `${i} ${'y'.repeat(500)}`)]);
    await store.close();
    const bytes = Buffer.from(execFileSync('cat', [file]));
    bytes.fill(0x5a, 8_192, 40_960);
    writeFileSync(file, bytes);
    expect(() => new SqliteStore(file)).toThrowError(/damaged or is not a Chorus database/);

    // Someone else's SQLite file.
    const other = join(home, 'other.sqlite');
    const raw = new Database(other);
    raw.exec('CREATE TABLE invoices (n INTEGER)');
    raw.close();
    expect(() => new SqliteStore(other)).toThrowError(/not a Chorus history/);
  });

  it('loses nothing it reported as stored when SIGKILLed mid-write (real child process)', async () => {
    const file = join(tempHome(), 'crash.sqlite');
    const reported = new Set<string>();
    // Three kills at different points; each run appends to what the last one left.
    for (const afterBatches of [3, 11, 27]) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'apps/cli/test/store-writer-child.ts', file, 'gCrash', '40'],
        {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let batches = 0;
      let buffer = '';
      await new Promise<void>((resolve) => {
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) !== -1) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (!line.startsWith('stored ')) continue;
            for (const id of line.slice(7).split(',')) reported.add(id);
            batches += 1;
            // Killed while it is already writing the next batch.
            if (batches === afterBatches) child.kill('SIGKILL');
          }
        });
        child.once('exit', () => resolve());
      });
      expect(child.signalCode).toBe('SIGKILL');
    }
    const quarantined: string[] = [];
    const store = new SqliteStore(file, { onQuarantine: (r) => quarantined.push(r.id) });
    const ids: string[] = store.ids(asGroupId('gCrash'));
    expect(quarantined).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const missing = [...reported].filter((id) => !ids.includes(id));
    expect(missing).toEqual([]);
    // Whole batches only: a batch is one transaction, so the count is a multiple of the batch size.
    expect(ids.length % 40).toBe(0);
    expect(ids.length).toBeGreaterThanOrEqual(reported.size);
    await store.close();
  });
});
