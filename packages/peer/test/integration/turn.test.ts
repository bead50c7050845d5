// Data channels through a real TURN server (issue 11): a coturn on loopback
// with the tracker's secret, and a tracker whose hello tells peers to use
// relay candidates only (ICE_TRANSPORT_POLICY=relay). Every byte between the
// peers then crosses coturn, which the tests check from both ends: each
// peer's selected ICE pair is relay/relay (getStats) and coturn's log has an
// allocation for every peer's TURN username. A wrong secret must fail the
// join at once with an error that names TURN.
//
// Needs `turnserver` (Debian: coturn). Without it these tests fail with the
// install hint; .ci/run installs it.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTracker } from '@chorus/tracker';
import type { RunningTracker } from '@chorus/tracker';
import type { GroupId } from '@chorus/protocol';
import type { ChildPeer } from './child-peer.ts';
import { ChildError } from './child-peer.ts';
import { duplicates, fifoViolation, groupOf, idsOf, logOf, logsWithAtLeast, startPeers, stopAll } from './cluster.ts';
import { Coturn } from './coturn.ts';
import { INTEGRATION_TRACKER_TIMERS } from './tracker-timers.ts';

const SECRET = 'chorus-integration-turn-secret';

let turn: Coturn;
let tracker: RunningTracker | null = null;
let peers: ChildPeer[] = [];
beforeAll(async () => {
  turn = await Coturn.start(SECRET);
});
afterAll(async () => {
  await turn?.stop();
});
afterEach(async () => {
  await stopAll(peers);
  peers = [];
  await tracker?.close();
  tracker = null;
});

const relayOnlyTracker = (turnSecret: string, turnCredentialTtlS?: number): Promise<RunningTracker> =>
  startTracker({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    webDist: '/nonexistent',
    ...INTEGRATION_TRACKER_TIMERS,
    iceServers: [{ urls: turn.url }],
    turnSecret,
    iceTransportPolicy: 'relay',
    ...(turnCredentialTtlS === undefined ? {} : { turnCredentialTtlS }),
  });

/** Every open link of `p` in the group goes through TURN at both ends. */
async function expectRelayed(p: ChildPeer, others: readonly ChildPeer[], g: GroupId): Promise<void> {
  for (const o of others) {
    expect(await p.selectedPair(g, o.peerId), `${p.name} → ${o.name}`).toEqual({ local: 'relay', remote: 'relay' });
  }
}

describe('TURN through a real coturn, relay-only ICE', () => {
  it('three peers chat in total order through coturn only, and a late joiner gets the history through it', async () => {
    tracker = await relayOnlyTracker(SECRET);
    const early = await startPeers(tracker.url, ['ana', 'ben', 'cy']);
    peers = early;
    const g = await groupOf(early, 'turn-total', 'total');
    await Promise.all(early.map((p) => p.burst(g, 10, `${p.name}:`)));
    const logs = await logsWithAtLeast(early, g, 30, 'relayed burst');
    const reference = idsOf(logs[0] ?? []);
    expect(reference).toHaveLength(30);
    logs.forEach((log, i) => {
      expect(duplicates(log)).toEqual([]);
      expect(fifoViolation(log)).toBeNull();
      expect(idsOf(log), `${early[i]?.name}'s log differs from ana's`).toEqual(reference);
    });
    for (const p of early)
      await expectRelayed(
        p,
        early.filter((o) => o !== p),
        g,
      );
    for (const p of early) expect(turn.relayedPeers().has(p.peerId), `coturn allocated for ${p.name}`).toBe(true);

    const [late] = await startPeers(tracker.url, ['dee']);
    peers = [...early, late as ChildPeer];
    const dee = late as ChildPeer;
    expect((await dee.join(g)).status).toBe('member');
    const history = await logOf(dee, g);
    expect(idsOf(history), 'the late joiner has the whole history in the agreed order').toEqual(reference);
    await expectRelayed(dee, early, g);
    expect(turn.relayedPeers().has(dee.peerId)).toBe(true);
    expect(turn.boundPeers().has(dee.peerId), 'coturn bound a channel for the joiner').toBe(true);

    await dee.send(g, 'dee:1');
    const after = await logsWithAtLeast(peers, g, 31, 'the joiner speaks');
    const all = idsOf(after[0] ?? []);
    after.forEach((log) => expect(idsOf(log)).toEqual(all));
    expect(after[0]?.at(-1)?.body).toBe('dee:1');
  });

  it('a TURN secret coturn does not share: the join fails at once with an error naming TURN, nothing hangs', async () => {
    tracker = await relayOnlyTracker('not-the-secret-coturn-has');
    const [ana, ben] = (await startPeers(tracker.url, ['ana', 'ben'])) as [ChildPeer, ChildPeer];
    peers = [ana, ben];
    const anaErrors: { code: string; message: string }[] = [];
    ana.on('error', (e) => anaErrors.push(e));
    // What ana heard about its own membership, printed if it is no longer a member at the end (a clean-clone run
    // on 2026-12-02 saw the group gone from ana's list; six runs under a CPU burner did not; cause not known yet).
    const anaSystem: unknown[] = [];
    ana.on('system', (e) => anaSystem.push(e));
    const g = (await ana.createGroup('turn-refused', 'total')).groupId;
    expect((await ana.join(g)).status).toBe('member');

    let caught: unknown;
    const started = Date.now();
    try {
      await ben.join(g);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ChildError);
    expect((caught as ChildError).code, 'a TURN failure, not the join timeout').toBe('turn');
    expect((caught as ChildError).message).toMatch(
      /TURN server gave no relay address \(turn:127\.0\.0\.1:\d+\S* answered 401 Unauthorized\)/,
    );
    // It came from gathering, not from the tracker dropping the joiner at its join timeout.
    expect(Date.now() - started).toBeLessThan(INTEGRATION_TRACKER_TIMERS.joinTimeoutMs);
    expect(
      [...turn.unauthorizedUsers()].some((u) => u.endsWith(`:${ben.peerId}`)),
      "coturn refused ben's username",
    ).toBe(true);
    expect(ben.groups().find((x) => x.groupId === g)?.status ?? 'left').not.toBe('member');

    // The member asked to link with ben may hear of TURN too (if its own gathering ends before ben
    // gives up and the tracker drops him): once per join at most, naming TURN. Its group goes on.
    const turnErrors = anaErrors.filter((e) => e.code === 'turn');
    expect(turnErrors.length).toBeLessThanOrEqual(1);
    for (const e of turnErrors) expect(e.message).toMatch(/TURN server gave no relay address/);
    expect(
      ana.groups().find((x) => x.groupId === g)?.status,
      `ana's system lines ${JSON.stringify(anaSystem)}, errors ${JSON.stringify(anaErrors)}, groups ${JSON.stringify(ana.groups())}`,
    ).toBe('member');
    expect((await ana.send(g, 'still here')).body).toBe('still here');
  });

  it('credentials that expire while the session stays online are renewed: a group formed after the first ones expired links through TURN', async () => {
    // 4 s credentials: coturn refuses a username whose expiry has passed (401), exactly as after 24 h.
    const ttlS = 4;
    tracker = await relayOnlyTracker(SECRET, ttlS);
    const early = await startPeers(tracker.url, ['ana', 'ben', 'cy']);
    peers = early;
    const helloExpiry = Math.floor(Date.now() / 1000) + ttlS;
    // Outlive the hello's credentials (plus coturn's one-second resolution) before any link is made.
    await new Promise((r) => setTimeout(r, (ttlS + 2) * 1000));
    const g = await groupOf(early, 'turn-renewed', 'total');
    await Promise.all(early.map((p) => p.send(g, `${p.name}:1`)));
    const logs = await logsWithAtLeast(early, g, 3, 'after renewal');
    logs.forEach((log) => expect(idsOf(log)).toEqual(idsOf(logs[0] ?? [])));
    for (const p of early)
      await expectRelayed(
        p,
        early.filter((o) => o !== p),
        g,
      );
    // Every allocation of these sessions used a username minted after the hello's had expired.
    const used = turn.allocatedUsers().filter((u) => early.some((p) => u.endsWith(`:${p.peerId}`)));
    expect(used.length).toBeGreaterThanOrEqual(3);
    for (const u of used) expect(Number(u.split(':')[0]), u).toBeGreaterThan(helloExpiry);
  });
});
