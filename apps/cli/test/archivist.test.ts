// The archivist as an operator runs it (`chorus --archive`, a child process
// logging JSON lines) with Node peers standing in for browsers (the same
// packages/peer runtime, real WebRTC, their own processes) and a real
// tracker: a group's history outlives every member, and a SIGKILL mid-burst
// loses nothing the archivist had reported as stored.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTracker, type RunningTracker } from '@chorus/tracker';
import type { GroupId } from '@chorus/protocol';
import { ChildPeer } from '../../../packages/peer/test/integration/child-peer.ts';
import { INTEGRATION_TRACKER_TIMERS } from '../../../packages/peer/test/integration/tracker-timers.ts';
import { waitFor } from '../../../packages/peer/test/scenarios/network.ts';
import { CHORUS_BIN, LineProcess, REPO_ROOT, tempHome } from './fixtures.ts';

interface LogLine {
  readonly msg: string;
  readonly groupId?: string;
  readonly ids?: readonly string[];
  readonly messages?: number;
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
const reportedIds = (p: LineProcess): string[] => logLines(p).flatMap((l) => (l.msg === 'stored' ? [...(l.ids ?? [])] : []));

/** What the archivist's database holds for a group, read as another process would (WAL allows it). */
function storedIds(dbFile: string, groupId: GroupId): string[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT id FROM messages WHERE group_id = ? ORDER BY order_key').all(groupId) as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
}

const startArchivist = (home: string, trackerUrl: string, groups: string): LineProcess =>
  new LineProcess(['--archive', '--groups', groups, '--tracker', trackerUrl], { CHORUS_HOME: home, LOG_LEVEL: 'debug' });

const synced = (p: LineProcess, groupId: GroupId): Promise<string> =>
  p.waitForLine('the archivist in the group', (l) => l.includes('"in group; history synced"') && l.includes(groupId), 60_000);

let tracker: RunningTracker;
const started: { kill: () => Promise<unknown> }[] = [];
beforeAll(async () => {
  tracker = await startTracker({ port: 0, host: '127.0.0.1', logLevel: 'silent', webDist: '/nonexistent', ...INTEGRATION_TRACKER_TIMERS });
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.kill()));
});
afterAll(async () => {
  await tracker.close();
});

describe('the archivist', () => {
  it('keeps a group whose members all left, and hands the whole history to a newcomer', async () => {
    // Started before the group exists: it waits for the group to appear in the directory.
    const home = tempHome();
    const archivist = startArchivist(home, tracker.url, 'club');
    started.push(archivist);
    await archivist.waitForLine('waiting for the group', (l) => l.includes('group not in the directory yet'), 30_000);

    const [ann, bob] = await Promise.all([new ChildPeer().start(tracker.url, 'Ann'), new ChildPeer().start(tracker.url, 'Bob')]);
    started.push(ann, bob);
    const club = await ann.createGroup('club', 'total');
    await ann.join(club.groupId);
    await ann.send(club.groupId, 'first words');
    await bob.join(club.groupId);
    await synced(archivist, club.groupId);

    await Promise.all([ann.burst(club.groupId, 10, 'ann:'), bob.burst(club.groupId, 10, 'bob:')]);
    const annLog = await (async () => {
      await waitFor('21 messages at Ann', async () => (await ann.history(club.groupId)).length >= 21, 40_000);
      return (await ann.history(club.groupId)).map((m) => m.id);
    })();
    await waitFor('the archivist stored all 21', () => storedIds(join(home, 'archivist.sqlite'), club.groupId).length >= 21, 40_000);

    // Every browser closes: only the archivist is left in the group.
    await ann.close();
    await bob.close();
    const cy = await new ChildPeer().start(tracker.url, 'Cy');
    started.push(cy);
    await waitFor('only the archivist online', () => cy.directory().find((g) => g.groupId === club.groupId)?.online === 1, 30_000);

    // A newcomer gets everything, verified like any sponsor's history.
    await cy.join(club.groupId);
    await waitFor('Cy has the history', async () => (await cy.history(club.groupId)).length >= 21, 40_000);
    const cyLog = await cy.history(club.groupId);
    expect(cyLog.map((m) => m.id)).toEqual(annLog);
    expect(cyLog[0]?.body).toBe('first words');
    // It shows as a member with the archivist role (the web app's badge), Cy and it online. The
    // history is stored before Cy's first view is installed (adopting → member), so wait for that view.
    const onlineMembers = () => cy.groups().find((g) => g.groupId === club.groupId)?.members.filter((m) => m.online) ?? [];
    await waitFor('Cy is a member beside the archivist', () => onlineMembers().length === 2, 30_000);
    expect(onlineMembers().map((m) => [m.name, m.role ?? null]).sort()).toEqual([['Cy', null], ['archivist', 'archivist']]);
  });

  it('SIGKILLed mid-burst and restarted: keeps every message it reported, none twice, and catches up', async () => {
    const [ann, bob] = await Promise.all([new ChildPeer().start(tracker.url, 'Ann'), new ChildPeer().start(tracker.url, 'Bob')]);
    started.push(ann, bob);
    const g = await ann.createGroup('burst', 'total');
    await ann.join(g.groupId);
    await bob.join(g.groupId);

    const home = tempHome();
    const dbFile = join(home, 'archivist.sqlite');
    const first = startArchivist(home, tracker.url, 'burst');
    started.push(first);
    await synced(first, g.groupId);

    const PER_SENDER = 250;
    const bursts = Promise.all([ann.burst(g.groupId, PER_SENDER, 'ann:'), bob.burst(g.groupId, PER_SENDER, 'bob:')]);
    // Killed the moment it reports its first stored batch of the burst (on the line, not on a poll), so the kill lands mid-burst.
    await first.waitForLine('the first stored batch', (l) => l.includes('"msg":"stored"'), 40_000);
    await first.kill('SIGKILL');
    const reported = reportedIds(first);
    await bursts;
    await waitFor('the burst delivered at Ann', async () => (await ann.history(g.groupId, { limit: 10_000 })).length >= 2 * PER_SENDER, 60_000);

    // Nothing reported as stored is missing, even before a restart.
    const afterKill = storedIds(dbFile, g.groupId);
    expect(reported.filter((id) => !afterKill.includes(id))).toEqual([]);
    expect(afterKill.length).toBeLessThan(2 * PER_SENDER);

    const second = startArchivist(home, tracker.url, 'burst');
    started.push(second);
    await synced(second, g.groupId);
    await waitFor('the archivist caught up', () => storedIds(dbFile, g.groupId).length >= 2 * PER_SENDER, 60_000);
    const ids = storedIds(dbFile, g.groupId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual((await ann.history(g.groupId, { limit: 10_000 })).map((m) => m.id));

    // --status says what it holds.
    const status = JSON.parse(execFileSync(process.execPath, [CHORUS_BIN, '--status', '--home', home], { cwd: REPO_ROOT, encoding: 'utf8' })) as {
      groups: { name: string; messages: number; lastSyncAt: string | null }[];
    };
    expect(status.groups).toEqual([expect.objectContaining({ name: 'burst', messages: 2 * PER_SENDER, lastSyncAt: expect.any(String) })]);
  });
});
