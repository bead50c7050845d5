// Helpers for the integration tests: start child peers, put them in one
// group, read their delivered logs and check the guarantees a user would
// notice (same log everywhere, each sender's order kept, nothing twice).

import { afterEach, beforeEach } from 'vitest';
import type { GroupId, Ordering } from '@chorus/protocol';
import { startTracker } from '@chorus/tracker';
import type { RunningTracker } from '@chorus/tracker';
import type { ChatMessage } from '../../src/api.ts';
import { waitFor } from '../scenarios/network.ts';
import { ChildPeer } from './child-peer.ts';
import { INTEGRATION_TRACKER_TIMERS } from './tracker-timers.ts';

export { waitFor };

/** The tracker the integration tests start: loopback, any free port, quiet, no web app, the integration timers. */
export const startIntegrationTracker = (): Promise<RunningTracker> =>
  startTracker({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    webDist: '/nonexistent',
    ...INTEGRATION_TRACKER_TIMERS,
  });

/** Starts and connects `names.length` peers in parallel (process start-up dominates). */
export async function startPeers(
  trackerUrl: string,
  names: readonly string[],
  opts: Record<string, unknown> = {},
): Promise<ChildPeer[]> {
  const children = names.map(() => new ChildPeer());
  try {
    return await Promise.all(children.map((c, i) => c.start(trackerUrl, names[i] as string, undefined, opts)));
  } catch (e) {
    await Promise.all(children.map((c) => c.kill()));
    throw e;
  }
}

/** The first peer creates the group; everyone joins (one at a time, as two-phase joins serialize anyway). */
export async function groupOf(peers: readonly ChildPeer[], name: string, ordering: Ordering): Promise<GroupId> {
  const [first] = peers;
  if (!first) throw new Error('no peers');
  const g = await first.createGroup(name, ordering);
  for (const p of peers) await p.join(g.groupId);
  return g.groupId;
}

export const logOf = async (p: ChildPeer, groupId: GroupId): Promise<readonly ChatMessage[]> =>
  p.history(groupId, { limit: 100_000 });

/** Waits until every peer's stored log has at least `n` messages; returns the logs. */
export async function logsWithAtLeast(
  peers: readonly ChildPeer[],
  groupId: GroupId,
  n: number,
  what: string,
): Promise<(readonly ChatMessage[])[]> {
  let logs: (readonly ChatMessage[])[] = [];
  await waitFor(
    `${what}: ${n} messages at every peer`,
    async () => {
      logs = await Promise.all(peers.map((p) => logOf(p, groupId)));
      return logs.every((l) => l.length >= n);
    },
    40_000,
  );
  return logs;
}

/** Message ids a log has twice (S1: at most once). */
export const duplicates = (log: readonly ChatMessage[]): string[] => {
  const seen = new Set<string>();
  return log.filter((m) => (seen.has(m.id) ? true : (seen.add(m.id), false))).map((m) => m.id);
};

/**
 * Per-sender FIFO (S3) judged by bodies `${tag}:${k}` sent in increasing k:
 * returns the first violation, or null.
 */
export function fifoViolation(log: readonly ChatMessage[]): string | null {
  const last = new Map<string, number>();
  for (const m of log) {
    const cut = m.body.lastIndexOf(':');
    const tag = `${m.sender}/${m.body.slice(0, cut)}`;
    const k = Number(m.body.slice(cut + 1));
    const prev = last.get(tag) ?? 0;
    if (!(k > prev)) return `${m.body} after ${tag}:${prev}`;
    last.set(tag, k);
  }
  return null;
}

export const idsOf = (log: readonly ChatMessage[]): string[] => log.map((m) => m.id);
export const bodiesOf = (log: readonly ChatMessage[]): string[] => log.map((m) => m.body);

export async function stopAll(peers: readonly ChildPeer[]): Promise<void> {
  await Promise.all(peers.map((p) => p.kill()));
}

/**
 * The tracker and peers of each test in a file: a fresh integration tracker before every test, and every
 * peer the test lists in `peers` stopped after it, then the tracker closed.
 */
export interface TestCluster {
  readonly tracker: RunningTracker;
  peers: ChildPeer[];
}

export function clusterPerTest(): TestCluster {
  let tracker: RunningTracker | null = null;
  const cluster: TestCluster = {
    get tracker(): RunningTracker {
      if (tracker === null) throw new Error('The integration tracker runs only during a test.');
      return tracker;
    },
    peers: [],
  };
  beforeEach(async () => {
    tracker = await startIntegrationTracker();
  });
  afterEach(async () => {
    await stopAll(cluster.peers);
    cluster.peers = [];
    await tracker?.close();
    tracker = null;
  });
  return cluster;
}
