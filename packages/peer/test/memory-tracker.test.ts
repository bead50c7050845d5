// MemoryTracker drives the same membership steps as the real tracker: these
// check that its links see what a tracker client would (views, joining
// notices, removals), including the rules it used to get wrong.

import { describe, expect, it } from 'vitest';
import { asPeerId } from '@chorus/protocol';
import type { JoiningNotice, RemovedNotice, View } from '@chorus/protocol';
import { MemoryTracker } from '../src/memory-tracker.ts';
import type { MemoryTrackerLink } from '../src/memory-tracker.ts';
import { waitFor } from './scenarios/network.ts';

interface Seen {
  views: View[];
  joining: JoiningNotice[];
  removed: RemovedNotice[];
}

async function connect(t: MemoryTracker, name: string): Promise<{ link: MemoryTrackerLink; seen: Seen }> {
  const link = t.link({ peerId: asPeerId(`p-${name}`), name, publicKey: `key-${name}` });
  const seen: Seen = { views: [], joining: [], removed: [] };
  link.on('view', (v) => seen.views.push(v));
  link.on('joining', (n) => seen.joining.push(n));
  link.on('removed', (n) => seen.removed.push(n));
  await link.connect();
  return { link, seen };
}

const ids = (v: View | undefined): string[] => (v?.members ?? []).map((m) => m.peerId);

describe('MemoryTracker membership', () => {
  it('installs a founder at once, a joiner only after links-ready and the members confirm it, and tells a member installed later about pending joiners', async () => {
    const t = new MemoryTracker();
    const ana = await connect(t, 'ana');
    const ben = await connect(t, 'ben');
    const cy = await connect(t, 'cy');
    const g = await ana.link.createGroup('g', 'fifo');

    const founded = await ana.link.join(g.groupId);
    expect(founded.view.viewId).toBe(1);
    expect(ids(founded.view)).toEqual(['p-ana']);

    const benJoin = await ben.link.join(g.groupId);
    expect(ids(benJoin.view)).toEqual(['p-ana']);
    await cy.link.join(g.groupId);
    // Pushes arrive after a turn of the event loop, as over a socket, in the order they were made.
    await waitFor('ana told of both joiners', () => ana.seen.joining.length === 2);
    expect(ana.seen.joining.map((n) => n.peer.peerId)).toEqual(['p-ben', 'p-cy']);
    expect(ben.seen.views).toEqual([]);

    // Ben's word alone does not install him: ana must say her channel to him is up.
    expect(ids(await ben.link.linksReady(g.groupId))).toEqual(['p-ana']);
    ana.link.reportLink(g.groupId, asPeerId('p-ben'), 'up');
    await waitFor('ben installed and told of cy', () => ben.seen.views.length > 0 && ben.seen.joining.length > 0);
    const v2 = ben.seen.views.at(-1);
    expect(v2?.viewId).toBe(2);
    expect(ids(v2)).toEqual(['p-ana', 'p-ben']);
    expect(ben.seen.joining.map((n) => n.peer.peerId)).toEqual(['p-cy']);
    await expect(ben.link.join(g.groupId)).rejects.toMatchObject({ code: 'bad-state' });
  });

  it('evicts the younger member of a link both ends report down past the grace time, and tells it; a closed session fails out', async () => {
    const t = new MemoryTracker();
    const [ana, ben, cy] = [await connect(t, 'ana'), await connect(t, 'ben'), await connect(t, 'cy')];
    const g = await ana.link.createGroup('g', 'total');
    await ana.link.join(g.groupId);
    for (const x of [ben, cy]) {
      await x.link.join(g.groupId);
      for (const m of t.currentView(g.groupId)?.members ?? [])
        t.reportLink(m.peerId, g.groupId, x.link.peerId, 'up', Date.now());
      await x.link.linksReady(g.groupId);
    }
    // Both ends say so: an honest broken link.
    ana.link.reportLink(g.groupId, asPeerId('p-cy'), 'down');
    cy.link.reportLink(g.groupId, asPeerId('p-ana'), 'down');
    t.expireLinks(Date.now() + 1_000, 10_000);
    expect(ids(t.currentView(g.groupId) ?? undefined)).toEqual(['p-ana', 'p-ben', 'p-cy']);
    t.expireLinks(Date.now() + 10_000, 10_000);
    await waitFor(
      'cy and ana told of the eviction',
      () => cy.seen.removed.length > 0 && ana.seen.views.at(-1)?.changes.some((c) => c.peerId === 'p-cy') === true,
    );
    expect(ids(t.currentView(g.groupId) ?? undefined)).toEqual(['p-ana', 'p-ben']);
    expect(cy.seen.removed).toEqual([{ groupId: g.groupId, reason: 'evicted' }]);
    expect(ana.seen.views.at(-1)?.changes).toEqual([{ peerId: 'p-cy', change: 'evicted' }]);

    await ben.link.close();
    await waitFor('ana sees ben fail', () => ana.seen.views.at(-1)?.changes.some((c) => c.peerId === 'p-ben') === true);
    expect(ana.seen.views.at(-1)?.changes).toEqual([{ peerId: 'p-ben', change: 'failed' }]);
    expect(t.currentView(g.groupId)?.viewId).toBe(5);
  });
});
