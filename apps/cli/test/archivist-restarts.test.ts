// The archivist through a tracker crash: the tracker process (in-memory
// store) is SIGKILLed and started again on the same port, so it forgets the
// group; the archivist and a Node peer reconnect, the group is restored and
// re-joined, and what is said after the restart is stored like before —
// every message once.

import { describe, expect, it } from 'vitest';
import type { Ordering } from '@chorus/protocol';
import { ChildPeer } from '../../../packages/peer/test/integration/child-peer.ts';
import type { TrackerProcess } from '../../../packages/peer/test/integration/service-processes.ts';
import { waitFor } from '../../../packages/peer/test/scenarios/network.ts';
import { tempHome } from './fixtures.ts';
import {
  archivistDb,
  archivistInGroup,
  killedAfterEach,
  startArchivist,
  startTrackerProcess,
  storedColumn,
} from './harness.ts';

const track = killedAfterEach();

/** A tracker process, Ann in a new group (locked when a password is given), and an archivist keeping it. */
async function archivedGroup(name: string, ordering: Ordering, password?: string) {
  const tracker = await startTrackerProcess();
  track(tracker);
  const ann = await new ChildPeer().start(tracker.url, 'Ann');
  track(ann);
  const g = await ann.createGroup(name, ordering, password);
  await ann.join(g.groupId, password);
  const home = tempHome();
  const passwordArgs = password === undefined ? [] : ['--password', `${name}=${password}`];
  const archivist = startArchivist(home, tracker.url, name, passwordArgs);
  track(archivist);
  await archivistInGroup(archivist, g.groupId);
  const bodies = (): string[] => storedColumn(archivistDb(home), g.groupId, 'body');
  return { tracker, ann, g, home, archivist, bodies, passwordArgs };
}

const restart = async (tracker: TrackerProcess): Promise<void> => {
  await tracker.kill();
  await tracker.start();
};

describe('the archivist and a tracker restart', () => {
  it('re-joins the group the restarted tracker forgot, and keeps storing', async () => {
    const { tracker, ann, g, archivist, bodies } = await archivedGroup('hall', 'total');
    await ann.send(g.groupId, 'before the crash');
    await waitFor('stored before the crash', () => bodies().includes('before the crash'), 30_000);

    await restart(tracker);
    // Both come back by themselves: the restarted tracker, which forgot the group, lists it with both online.
    await waitFor(
      'the group restored with both members',
      async () => {
        const stats = (await (await fetch(`${tracker.url}/api/stats`)).json()) as {
          directory?: { groupId: string; online: number }[];
        };
        return stats.directory?.some((d) => d.groupId === g.groupId && d.online === 2) ?? false;
      },
      60_000,
    );

    await ann.send(g.groupId, 'after the crash');
    await waitFor('stored after the crash', () => bodies().includes('after the crash'), 30_000);
    expect(bodies()).toEqual(['before the crash', 'after the crash']);
    expect(archivist.proc.exitCode).toBeNull();
  });

  it('after a reboot of both (tracker forgot the locked group, nobody else online) restores it with its password and serves its history', async () => {
    const {
      tracker,
      ann,
      g,
      home,
      archivist: first,
      bodies,
      passwordArgs,
    } = await archivedGroup('attic', 'fifo', 'attic-pw');
    for (const text of ['one', 'two', 'three']) await ann.send(g.groupId, text);
    await waitFor('stored', () => bodies().length === 3, 30_000);
    await ann.close();

    // The machine reboots: the archivist and the tracker die; the tracker comes back empty.
    await first.kill('SIGKILL');
    await restart(tracker);
    const second = startArchivist(home, tracker.url, 'attic', passwordArgs);
    track(second);
    await second.waitForLine('the restore', (l) => l.includes('"restored a group the tracker forgot"'), 60_000);
    await archivistInGroup(second, g.groupId);

    // A newcomer finds the group under its old id, still locked with its password, and gets its history from the
    // archivist.
    const cy = await new ChildPeer().start(tracker.url, 'Cy');
    track(cy);
    await expect(cy.join(g.groupId, 'a guess')).rejects.toMatchObject({ code: 'wrong-password' });
    await cy.join(g.groupId, 'attic-pw');
    await waitFor('Cy has the history', async () => (await cy.history(g.groupId)).length >= 3, 40_000);
    expect((await cy.history(g.groupId)).map((m) => m.body)).toEqual(['one', 'two', 'three']);
  });
});
