// The archivist as an operator runs it (`chorus --archive`, a child process
// logging JSON lines) with Node peers standing in for browsers (the same
// packages/peer runtime, real WebRTC, their own processes) and a real
// tracker: a group's history outlives every member, and a SIGKILL mid-burst
// loses nothing the archivist had reported as stored.

import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { GroupId } from '@chorus/protocol';
import { ChildPeer } from '../../../packages/peer/test/integration/child-peer.ts';
import { waitFor } from '../../../packages/peer/test/scenarios/network.ts';
import { type LineProcess, tempHome } from './fixtures.ts';
import {
  archivistDb,
  archivistInGroup,
  killedAfterEach,
  startArchivist,
  status,
  storedColumn,
  trackerForFile,
} from './harness.ts';

interface LogLine {
  readonly msg: string;
  readonly groupId?: string;
  readonly ids?: readonly string[];
}

const logLines = (p: LineProcess): LogLine[] =>
  p.lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });

/** Every id the archivist said it stored (a `stored` line is written after the commit). */
const reportedIds = (p: LineProcess): string[] =>
  logLines(p).flatMap((l) => (l.msg === 'stored' ? [...(l.ids ?? [])] : []));

const storedIds = (home: string, groupId: GroupId): string[] => storedColumn(archivistDb(home), groupId, 'id');

const tracker = trackerForFile();
const track = killedAfterEach();

describe('the archivist', () => {
  it('keeps a group whose members all left, and hands the whole history to a newcomer', async () => {
    // Started before the group exists: it waits for the group to appear in the directory.
    const home = tempHome();
    const archivist = startArchivist(home, tracker.url, 'club');
    track(archivist);
    await archivist.waitForLine('waiting for the group', (l) => l.includes('group not in the directory yet'), 30_000);

    const [ann, bob] = await Promise.all([
      new ChildPeer().start(tracker.url, 'Ann'),
      new ChildPeer().start(tracker.url, 'Bob'),
    ]);
    track(ann, bob);
    const club = await ann.createGroup('club', 'total');
    await ann.join(club.groupId);
    await ann.send(club.groupId, 'first words');
    await bob.join(club.groupId);
    await archivistInGroup(archivist, club.groupId);

    await Promise.all([ann.burst(club.groupId, 10, 'ann:'), bob.burst(club.groupId, 10, 'bob:')]);
    const annLog = await (async () => {
      await waitFor('21 messages at Ann', async () => (await ann.history(club.groupId)).length >= 21, 40_000);
      return (await ann.history(club.groupId)).map((m) => m.id);
    })();
    await waitFor('the archivist stored all 21', () => storedIds(home, club.groupId).length >= 21, 40_000);

    // Every browser closes: only the archivist is left in the group.
    await ann.close();
    await bob.close();
    const cy = await new ChildPeer().start(tracker.url, 'Cy');
    track(cy);
    await waitFor(
      'only the archivist online',
      () => cy.directory().find((g) => g.groupId === club.groupId)?.online === 1,
      30_000,
    );

    // A newcomer gets everything, verified like any sponsor's history.
    await cy.join(club.groupId);
    await waitFor('Cy has the history', async () => (await cy.history(club.groupId)).length >= 21, 40_000);
    const cyLog = await cy.history(club.groupId);
    expect(cyLog.map((m) => m.id)).toEqual(annLog);
    expect(cyLog[0]?.body).toBe('first words');
    // It shows as a member with the archivist role (the web app's badge), Cy and it online. The
    // history is stored before Cy's first view is installed (adopting → member), so wait for that view.
    const onlineMembers = () =>
      cy
        .groups()
        .find((g) => g.groupId === club.groupId)
        ?.members.filter((m) => m.online) ?? [];
    await waitFor('Cy is a member beside the archivist', () => onlineMembers().length === 2, 30_000);
    expect(
      onlineMembers()
        .map((m) => [m.name, m.role ?? null])
        .sort(),
    ).toEqual([
      ['Cy', null],
      ['archivist', 'archivist'],
    ]);
  });

  it('holds no special rights: a message altered in its database is refused by the newcomer it sponsors', async () => {
    const ann = await new ChildPeer().start(tracker.url, 'Ann');
    track(ann);
    const g = await ann.createGroup('ledger', 'fifo');
    await ann.join(g.groupId);
    const home = tempHome();
    const archivist = startArchivist(home, tracker.url, 'ledger');
    track(archivist);
    await archivistInGroup(archivist, g.groupId);
    for (const text of ['a', 'b', 'c']) await ann.send(g.groupId, text);
    await waitFor('stored', () => storedIds(home, g.groupId).length === 3, 30_000);
    await ann.close();

    // Whoever runs the archivist edits a message (the row checksum is checked at open only: it is served as it is now).
    const db = new Database(archivistDb(home), { timeout: 5_000 });
    db.prepare(`UPDATE messages SET body = 'b, as the archivist would have it' WHERE group_id = ? AND body = 'b'`).run(
      g.groupId,
    );
    db.close();

    const cy = await new ChildPeer().start(tracker.url, 'Cy');
    track(cy);
    await cy.join(g.groupId);
    await waitFor('the forged item counted', () => (cy.metrics(g.groupId)?.rejectedFrames ?? 0) >= 1, 20_000);
    expect((await cy.history(g.groupId)).map((m) => m.body)).toEqual(['a', 'c']);
  });

  it('SIGKILLed mid-burst and restarted: keeps every message it reported, none twice, and catches up', async () => {
    const [ann, bob] = await Promise.all([
      new ChildPeer().start(tracker.url, 'Ann'),
      new ChildPeer().start(tracker.url, 'Bob'),
    ]);
    track(ann, bob);
    const g = await ann.createGroup('burst', 'total');
    await ann.join(g.groupId);
    await bob.join(g.groupId);

    const home = tempHome();
    const first = startArchivist(home, tracker.url, 'burst');
    track(first);
    await archivistInGroup(first, g.groupId);

    const PER_SENDER = 250;
    const BEFORE_KILL = 100;
    const bursts = Promise.all([ann.burst(g.groupId, BEFORE_KILL, 'ann:'), bob.burst(g.groupId, BEFORE_KILL, 'bob:')]);
    // Killed the moment it reports its first stored batch of the burst (on the line, not on a poll), so the kill lands
    // while the burst is still being written. A Node peer signs a whole burst in one turn, so the burst can arrive and
    // be stored as one batch: the rest of it is sent while the archivist is down and comes back only by catching up.
    await first.waitForLine('the first stored batch', (l) => l.includes('"msg":"stored"'), 40_000);
    await first.kill('SIGKILL');
    const reported = reportedIds(first);
    await bursts;
    const rest = PER_SENDER - BEFORE_KILL;
    await Promise.all([ann.burst(g.groupId, rest, 'ann:late:'), bob.burst(g.groupId, rest, 'bob:late:')]);
    await waitFor(
      'the burst delivered at Ann',
      async () => (await ann.history(g.groupId, { limit: 10_000 })).length >= 2 * PER_SENDER,
      60_000,
    );

    // Nothing reported as stored is missing, even before a restart.
    const afterKill = storedIds(home, g.groupId);
    expect(reported.filter((id) => !afterKill.includes(id))).toEqual([]);
    expect(afterKill.length).toBeLessThanOrEqual(2 * BEFORE_KILL);

    const second = startArchivist(home, tracker.url, 'burst');
    track(second);
    await archivistInGroup(second, g.groupId);
    await waitFor('the archivist caught up', () => storedIds(home, g.groupId).length >= 2 * PER_SENDER, 60_000);
    const ids = storedIds(home, g.groupId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual((await ann.history(g.groupId, { limit: 10_000 })).map((m) => m.id));

    // --status says what it holds.
    expect(status(home).report.groups).toEqual([
      expect.objectContaining({ name: 'burst', messages: 2 * PER_SENDER, lastSyncAt: expect.any(String) }),
    ]);
  });

  it('joins the locked groups it has a password for, and --status says which it could not join and why', async () => {
    const ann = await new ChildPeer().start(tracker.url, 'Ann');
    track(ann);
    const vault = await ann.createGroup('vault', 'total', 'vault-secret-1');
    const safe = await ann.createGroup('safe', 'fifo', 'safe-secret-2');
    const crypt = await ann.createGroup('crypt', 'fifo', 'crypt-secret-3');
    await ann.join(vault.groupId, 'vault-secret-1');
    await ann.send(vault.groupId, 'locked in');

    // One password on the command line, one (a wrong one) in the owner-only file; none for crypt.
    const home = tempHome();
    const file = join(home, 'group-passwords.json');
    writeFileSync(file, JSON.stringify({ SAFE: 'not-the-password-4' }));
    chmodSync(file, 0o600);
    const archivist = startArchivist(home, tracker.url, 'vault,safe,crypt', ['--password', 'vault=vault-secret-1']);
    track(archivist);
    await archivistInGroup(archivist, vault.groupId);
    await waitFor(
      "the locked group's history stored",
      () => storedColumn(archivistDb(home), vault.groupId, 'body').includes('locked in'),
      30_000,
    );
    await ann.send(vault.groupId, 'said after it came');
    await waitFor('a live message stored', () => storedIds(home, vault.groupId).length === 2, 30_000);

    await waitFor('both refusals written down', () => status(home).report.notJoined.length === 2, 30_000);
    const { text, report } = status(home);
    expect(report.groups).toEqual([expect.objectContaining({ name: 'vault', messages: 2 })]);
    expect(report.notJoined).toEqual([
      expect.objectContaining({
        group: 'crypt',
        groupId: crypt.groupId,
        locked: true,
        reason: expect.stringContaining('no password was given'),
      }),
      expect.objectContaining({
        group: 'safe',
        groupId: safe.groupId,
        locked: true,
        reason: expect.stringContaining('refused the password'),
      }),
    ]);
    // Never a password in what it prints.
    for (const said of [text, archivist.lines.join('\n')]) expect(said).not.toMatch(/secret|not-the-password/);
    expect(archivist.proc.exitCode).toBeNull();
  });

  it('refuses a group password file that others can read, with a sentence saying how to fix it', async () => {
    const home = tempHome();
    const file = join(home, 'group-passwords.json');
    writeFileSync(file, JSON.stringify({ vault: 'pw' }));
    chmodSync(file, 0o644);
    const archivist = startArchivist(home, tracker.url, 'vault');
    track(archivist);
    expect(await archivist.exited).toBe(2);
    expect(archivist.lines.join('\n')).toContain(`chmod 600 "${file}"`);
  });
});
