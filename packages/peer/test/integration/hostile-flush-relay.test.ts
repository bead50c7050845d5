// A hostile member (joined through the real tracker, real data channels) that takes part in a view
// change but withholds its FLUSH report, or its FLUSH-OK, from one honest member (PROTOCOL.md §3.4
// "Relay"). With the report sent to ben only (its FLUSH-OK to both): ben's FLUSH-OK restates
// mallory's signed report, so ana asks ben for it, takes the relayed copy on mallory's signature
// (checked with mallory's key by ana's runtime) and the view installs at both. With the FLUSH-OK
// sent to ben only: ana holds every report and ben's FLUSH-OK, asks ben for mallory's, and takes it
// on mallory's signature. Before each relay ana never held what mallory withheld: nobody installed
// the view while mallory stayed.

import { describe, expect, it } from 'vitest';
import {
  canonicalFlushOkText,
  canonicalFlushText,
  flushOkStatementOf,
  reportHash,
  signText,
  type FlushFrame,
  type FlushOkFrame,
  type HeldReport,
  type GroupId,
  type View,
  type ViewId,
} from '@chorus/protocol';
import type { ChildPeer } from './child-peer.ts';
import { clusterPerTest, groupOf, logsWithAtLeast, startPeers, waitFor } from './cluster.ts';
import { HostilePeer } from './hostile-peer.ts';

const cluster = clusterPerTest();

/** The engine's installed view at `p` (not the tracker's). */
const installedAt = (p: ChildPeer, g: GroupId): ViewId | undefined =>
  p.groups().find((x) => x.groupId === g)?.view?.viewId;

/** Mallory's own report for `viewId`: a stateless one, hashed and signed with its real key. */
async function signedReport(mallory: HostilePeer, g: GroupId, viewId: ViewId): Promise<FlushFrame> {
  const body: FlushFrame = { t: 'flush', groupId: g, viewId, unstable: [], pending: [], agreed: 0, delivered: {} };
  const report = reportHash({ ...body, joining: true });
  const text = canonicalFlushText({ groupId: g, viewId, reporter: mallory.peerId, report });
  return { ...body, joining: true, report, sig: await signText(mallory.keyPair.privateKey, text) };
}

/** Mallory's FLUSH-OK restating `held`, signed with its real key (PROTOCOL.md §3.4 "Relay"). */
async function signedOk(mallory: HostilePeer, report: FlushFrame, held: HeldReport[]): Promise<FlushOkFrame> {
  const ok: FlushOkFrame = {
    t: 'flush-ok',
    groupId: report.groupId,
    viewId: report.viewId,
    reports: report.report as string,
    held,
  };
  const text = canonicalFlushOkText(flushOkStatementOf(ok, mallory.peerId));
  return { ...ok, sig: await signText(mallory.keyPair.privateKey, text) };
}

/**
 * ana, ben, cy with nine messages, mallory joins, cy leaves: a view change with mallory a participant.
 * Mallory's report goes to `reportTo`, and once it holds ana's and ben's reports its signed FLUSH-OK
 * to `okTo`; then ana and ben must both install the view.
 */
async function mallorysFlush(name: string, reportTo: 'ben' | 'both', okTo: 'ben' | 'both'): Promise<void> {
  cluster.peers = await startPeers(cluster.tracker.url, ['ana', 'ben', 'cy']);
  const [ana, ben, cy] = cluster.peers as [ChildPeer, ChildPeer, ChildPeer];
  const g = await groupOf(cluster.peers, name, 'total');
  await Promise.all(cluster.peers.map((p) => p.burst(g, 3, `${p.name}:`)));
  await logsWithAtLeast(cluster.peers, g, 9, 'before mallory');
  const mallory = await HostilePeer.connect(cluster.tracker.url, 'mallory');
  try {
    await mallory.join(g);
    await waitFor('honest peers see mallory in their view', () =>
      cluster.peers.every((p) => p.groups().find((x) => x.groupId === g)?.view?.members.length === 4),
    );
    const refused: string[] = [];
    ana.on('error', (e) => refused.push(`${e.code}: ${e.message}`));

    // A view change with mallory a participant: cy leaves.
    const before = mallory.view?.viewId ?? 0;
    await cy.leave(g);
    await waitFor('mallory gets the view without cy', () => (mallory.view?.viewId ?? 0) > before);
    const viewId = (mallory.view as View).viewId;
    const mine = await signedReport(mallory, g, viewId);
    for (const p of reportTo === 'ben' ? [ben] : [ana, ben])
      expect(mallory.mesh.sendRaw(g, p.peerId, JSON.stringify(mine))).toBe(true);

    // Mallory plays its part otherwise: once it holds ana's and ben's reports, its FLUSH-OK.
    const reportOf = (from: string): FlushFrame | undefined =>
      mallory.frames.find(
        (x): x is { from: typeof x.from; frame: FlushFrame } =>
          x.from === from && x.frame.t === 'flush' && x.frame.viewId === viewId,
      )?.frame;
    await waitFor(
      'mallory holds ana’s and ben’s reports',
      () => reportOf(ana.peerId) !== undefined && reportOf(ben.peerId) !== undefined,
    );
    const held = [ana, ben].map((p) => {
      const r = reportOf(p.peerId) as FlushFrame;
      return { reporter: p.peerId, report: r.report as string, sig: r.sig as string };
    });
    const ok = await signedOk(mallory, mine, held);
    for (const p of okTo === 'ben' ? [ben] : [ana, ben])
      expect(mallory.mesh.sendRaw(g, p.peerId, JSON.stringify(ok))).toBe(true);

    // ana asks ben for what it lacks after RELAY_WAIT_MS, takes it on mallory's signature: both install.
    await waitFor('ana and ben install the view with mallory in it', () =>
      [ana, ben].every((p) => installedAt(p, g) === viewId),
    );
    expect(refused.filter((r) => r.startsWith('bad-signature'))).toEqual([]);
  } finally {
    await mallory.close();
  }
}

describe('a hostile member withholding its FLUSH report or FLUSH-OK', () => {
  it('its report from one honest member: that member takes the report relayed by another, and the view installs at both', async () => {
    await mallorysFlush('flush-withheld', 'ben', 'both');
  }, 120_000);

  it('its FLUSH-OK from one honest member: that member takes it relayed by another on its signature, and the view installs at both', async () => {
    await mallorysFlush('flush-ok-withheld', 'both', 'ben');
  }, 120_000);
});
