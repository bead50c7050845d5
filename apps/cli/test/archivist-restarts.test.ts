// The archivist through a tracker crash: the tracker process (in-memory
// store) is SIGKILLed and started again on the same port, so it forgets the
// group; the archivist and a Node peer reconnect, the group is restored and
// re-joined, and what is said after the restart is stored like before —
// every message once.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupId } from '@chorus/protocol';
import { ChildPeer } from '../../../packages/peer/test/integration/child-peer.ts';
import { TrackerProcess, freePort } from '../../../packages/peer/test/integration/service-processes.ts';
import { INTEGRATION_TRACKER_TIMERS } from '../../../packages/peer/test/integration/tracker-timers.ts';
import { waitFor } from '../../../packages/peer/test/scenarios/network.ts';
import { LineProcess, tempHome } from './fixtures.ts';

function storedBodies(dbFile: string, groupId: GroupId): string[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT body FROM messages WHERE group_id = ? ORDER BY order_key').all(groupId) as { body: string }[]).map((r) => r.body);
  } finally {
    db.close();
  }
}

let tracker: TrackerProcess | null = null;
const started: { kill: () => Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.kill()));
  await tracker?.kill();
  tracker = null;
});

describe('the archivist and a tracker restart', () => {
  it('re-joins the group the restarted tracker forgot, and keeps storing', async () => {
    tracker = new TrackerProcess(await freePort(), {
      HEARTBEAT_INTERVAL_MS: String(INTEGRATION_TRACKER_TIMERS.heartbeatIntervalMs),
      HEARTBEAT_TIMEOUT_MS: String(INTEGRATION_TRACKER_TIMERS.heartbeatTimeoutMs),
      LINK_GRACE_MS: String(INTEGRATION_TRACKER_TIMERS.linkGraceMs),
      JOIN_TIMEOUT_MS: String(INTEGRATION_TRACKER_TIMERS.joinTimeoutMs),
    });
    await tracker.start();
    const ann = await new ChildPeer().start(tracker.url, 'Ann');
    started.push(ann);
    const g = await ann.createGroup('hall', 'total');
    await ann.join(g.groupId);

    const home = tempHome();
    const dbFile = join(home, 'archivist.sqlite');
    const archivist = new LineProcess(['--archive', '--groups', 'hall', '--tracker', tracker.url], { CHORUS_HOME: home });
    started.push(archivist);
    await archivist.waitForLine('in the group', (l) => l.includes('"in group; history synced"'), 60_000);
    await ann.send(g.groupId, 'before the crash');
    await waitFor('stored before the crash', () => storedBodies(dbFile, g.groupId).includes('before the crash'), 30_000);

    await tracker.kill();
    await tracker.start();
    // Both come back by themselves: the restarted tracker, which forgot the group, lists it with both online.
    const url = tracker.url;
    await waitFor('the group restored with both members', async () => {
      const stats = (await (await fetch(`${url}/api/stats`)).json()) as { directory?: { groupId: string; online: number }[] };
      return stats.directory?.some((d) => d.groupId === g.groupId && d.online === 2) ?? false;
    }, 60_000);

    await ann.send(g.groupId, 'after the crash');
    await waitFor('stored after the crash', () => storedBodies(dbFile, g.groupId).includes('after the crash'), 30_000);
    expect(storedBodies(dbFile, g.groupId)).toEqual(['before the crash', 'after the crash']);
    expect(archivist.proc.exitCode).toBeNull();
  });

  it('after a reboot of both (tracker forgot the group, nobody else online) restores the group and serves its history', async () => {
    tracker = new TrackerProcess(await freePort(), {
      HEARTBEAT_INTERVAL_MS: String(INTEGRATION_TRACKER_TIMERS.heartbeatIntervalMs),
      HEARTBEAT_TIMEOUT_MS: String(INTEGRATION_TRACKER_TIMERS.heartbeatTimeoutMs),
      LINK_GRACE_MS: String(INTEGRATION_TRACKER_TIMERS.linkGraceMs),
      JOIN_TIMEOUT_MS: String(INTEGRATION_TRACKER_TIMERS.joinTimeoutMs),
    });
    await tracker.start();
    const ann = await new ChildPeer().start(tracker.url, 'Ann');
    started.push(ann);
    const g = await ann.createGroup('attic', 'fifo');
    await ann.join(g.groupId);
    const home = tempHome();
    const dbFile = join(home, 'archivist.sqlite');
    const first = new LineProcess(['--archive', '--groups', 'attic', '--tracker', tracker.url], { CHORUS_HOME: home });
    started.push(first);
    await first.waitForLine('in the group', (l) => l.includes('"in group; history synced"'), 60_000);
    for (const text of ['one', 'two', 'three']) await ann.send(g.groupId, text);
    await waitFor('stored', () => storedBodies(dbFile, g.groupId).length === 3, 30_000);
    await ann.close();

    // The machine reboots: the archivist and the tracker die; the tracker comes back empty.
    await first.kill('SIGKILL');
    await tracker.kill();
    await tracker.start();
    const second = new LineProcess(['--archive', '--groups', 'attic', '--tracker', tracker.url], { CHORUS_HOME: home });
    started.push(second);
    await second.waitForLine('the restore', (l) => l.includes('"restored a group the tracker forgot"'), 60_000);
    await second.waitForLine('in the group again', (l) => l.includes('"in group; history synced"'), 60_000);

    // A newcomer finds the group under its old id and gets its history from the archivist.
    const cy = await new ChildPeer().start(tracker.url, 'Cy');
    started.push(cy);
    await cy.join(g.groupId);
    await waitFor('Cy has the history', async () => (await cy.history(g.groupId)).length >= 3, 40_000);
    expect((await cy.history(g.groupId)).map((m) => m.body)).toEqual(['one', 'two', 'three']);
  });
});
