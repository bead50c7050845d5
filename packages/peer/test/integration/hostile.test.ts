// A hostile member (joined through the real tracker, real data channels)
// sends garbage, forgeries, replays, oversized frames, clocks out of range,
// absurd ISIS priorities and a flood of frames for a later view to three
// honest peers in child processes. Every bad frame (and every flooded one past
// the byte budget) must be refused and counted; the honest peers must still end in one order once
// the hostile member is gone. A hostile member that lies to the tracker (a
// silent fake member, a dark one, false link reports) must not stall or shrink the group.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningTracker } from '@chorus/tracker';
import type { FlushFrame, GroupId, PeerId, View } from '@chorus/protocol';
import type { SystemLine } from '../../src/api.ts';
import {
  asViewId,
  canonicalFlushText,
  GENESIS_PREV,
  linkHash,
  MAX_BODY_CHARS,
  MAX_BUFFERED_BYTES_PER_PEER,
  MAX_BUFFERED_FRAMES,
  MAX_PRIORITY,
  MAX_SENT_AT_MS,
  reportHash,
  signText,
  UNSHOWN_STATE_GRACES,
} from '@chorus/protocol';
import type { ChildPeer } from './child-peer.ts';
import {
  bodiesOf,
  duplicates,
  fifoViolation,
  groupOf,
  idsOf,
  logOf,
  logsWithAtLeast,
  startIntegrationTracker,
  startPeers,
  stopAll,
  waitFor,
} from './cluster.ts';
import { HostilePeer } from './hostile-peer.ts';
import { INTEGRATION_TRACKER_TIMERS } from './tracker-timers.ts';

/** How long rejections may take to be counted: a few data-channel hops and an IPC state push. */
const COUNT_WAIT_MS = 10_000;

let tracker: RunningTracker;
let honest: ChildPeer[] = [];
let hostile: HostilePeer | null = null;
beforeEach(async () => {
  tracker = await startIntegrationTracker();
});
afterEach(async () => {
  await hostile?.close();
  hostile = null;
  await stopAll(honest);
  honest = [];
  await tracker.close();
});

interface Attack {
  readonly g: GroupId;
  readonly view: View;
  readonly mallory: HostilePeer;
  readonly ana: ChildPeer;
  /** What each honest peer refused since the attack began: `${code}: ${message}`. */
  readonly refused: string[][];
  readonly before: number[];
}

const rejectedAt = async (p: ChildPeer, g: GroupId): Promise<number> => (await p.fetchMetrics(g))?.rejectedFrames ?? 0;

/** Three honest peers chatting in a total-order group, then mallory joins it. */
async function underAttack(groupName: string): Promise<Attack> {
  honest = await startPeers(tracker.url, ['ana', 'ben', 'cy']);
  const ana = honest[0] as ChildPeer;
  const g = await groupOf(honest, groupName, 'total');
  await Promise.all(honest.map((p) => p.burst(g, 5, `${p.name}:`)));
  await logsWithAtLeast(honest, g, 15, 'before the attack');

  const mallory = await HostilePeer.connect(tracker.url, 'mallory');
  hostile = mallory;
  const view = await mallory.join(g);
  expect(view.members.map((m) => m.peerId)).toContain(mallory.peerId);
  await waitFor('honest peers see mallory in their view', () =>
    honest.every((p) => p.groups().find((x) => x.groupId === g)?.view?.members.length === 4),
  );
  const refused = honest.map(() => [] as string[]);
  honest.forEach((p, i) => p.on('error', (e) => refused[i]?.push(`${e.code}: ${e.message}`)));
  const before = await Promise.all(honest.map((p) => rejectedAt(p, g)));
  return { g, view, mallory, ana, refused, before };
}

/** Waits until every honest peer counted `n` more rejections; fails listing what each one did refuse. */
async function expectCounted(a: Attack, n: number, waitMs = COUNT_WAIT_MS): Promise<void> {
  let now: number[] = [];
  try {
    await waitFor(
      `every honest peer counted ${n} rejected frames`,
      async () => {
        now = await Promise.all(honest.map((p) => rejectedAt(p, a.g)));
        return now.every((x, i) => x - (a.before[i] ?? 0) >= n);
      },
      waitMs,
    );
  } catch {
    honest.forEach((p, i) => {
      expect(now[i]! - a.before[i]!, `${p.name} refused only:\n  ${a.refused[i]?.join('\n  ')}`).toBeGreaterThanOrEqual(
        n,
      );
    });
  }
}

/** Mallory leaves; the honest peers must resolve what it left pending, chat on, and agree on one log. */
async function expectHonestRecover(a: Attack, extra: readonly string[] = []): Promise<void> {
  await a.mallory.leave(a.g);
  await Promise.all(honest.map((p) => p.burst(a.g, 5, `${p.name}-after:`)));
  const mustHave = honest
    .flatMap((p) => [
      ...Array.from({ length: 5 }, (_, k) => `${p.name}:${k + 1}`),
      ...Array.from({ length: 5 }, (_, k) => `${p.name}-after:${k + 1}`),
    ])
    .concat(extra);
  await waitFor(
    'every honest message at every honest peer',
    async () => {
      const logs = await Promise.all(honest.map((p) => logOf(p, a.g)));
      return logs.every((l) => mustHave.every((b) => bodiesOf(l).includes(b)));
    },
    30_000,
  );
  const logs = await Promise.all(honest.map((p) => logOf(p, a.g)));
  const reference = idsOf(logs[0] ?? []);
  logs.forEach((log, i) => {
    expect(idsOf(log), `${honest[i]?.name}'s log differs from ana's`).toEqual(reference);
    expect(duplicates(log)).toEqual([]);
    expect(fifoViolation(log.filter((m) => m.sender !== a.mallory.peerId))).toBeNull();
    expect(
      bodiesOf(log).filter((b) =>
        /forged|bad signature|tampered|yyyy|mallory replay|poisoned clock|past the date range/.test(b),
      ),
    ).toEqual([]);
    // A valid mallory message is there at most once, whatever the flush decided.
    expect(bodiesOf(log).filter((b) => b === 'mallory hello').length).toBeLessThanOrEqual(1);
  });
}

describe('a hostile member speaking the wire directly', () => {
  it('has malformed, forged, wrongly signed, oversized and out-of-range frames refused and counted', async () => {
    const a = await underAttack('garbage');
    const { g, view, mallory, ana } = a;
    const anaId = ana.peerId;
    const valid = await mallory.signedData(g, 1, 'mallory hello');
    const tampered = { ...(await mallory.signedData(g, 2, 'signed text')), body: 'tampered text' };
    const propose = (p: unknown): string =>
      JSON.stringify({
        t: 'propose',
        groupId: g,
        viewId: view.viewId,
        sender: anaId,
        seq: 6,
        priority: { p, by: mallory.peerId },
      });
    const attacks: readonly string[] = [
      'not json at all',
      '[]',
      JSON.stringify({ t: 'data' }),
      '{"t":"data","__proto__":{"polluted":true}}',
      // Claims to be ana, signed with mallory's key.
      JSON.stringify(await mallory.signedData(g, 1, 'forged as ana', { sender: anaId as PeerId })),
      // Well-formed, signature of other bytes.
      JSON.stringify({ ...valid, seq: 3, body: 'bad signature', sig: `${'A'.repeat(86)}==` }),
      JSON.stringify(tampered),
      // One message far over the data-channel cap, and a body over the text cap.
      'x'.repeat(100 * 1024),
      JSON.stringify(await mallory.signedData(g, 4, 'y'.repeat(MAX_BODY_CHARS + 1))),
      // Validly signed, with a clock no honest member can follow: a Lamport time of 2^53 - 1 would push
      // every honest clock past the safe integers (their next frames refused), and a sentAt one past
      // the Date range broke every page that showed it.
      JSON.stringify(await mallory.signedData(g, 1, 'poisoned clock', {}, { lamport: Number.MAX_SAFE_INTEGER })),
      JSON.stringify(await mallory.signedData(g, 1, 'past the date range', {}, { sentAt: MAX_SENT_AT_MS + 1 })),
      // Priorities no encoding allows.
      propose(-1),
      propose(1e300),
      propose(2.5),
      // Only a message's sender may finalize it (well-formed otherwise, so this is what refuses it).
      JSON.stringify({
        t: 'final',
        groupId: g,
        viewId: view.viewId,
        sender: anaId,
        seq: 6,
        priority: { p: 7, by: mallory.peerId },
        version: `${'B'.repeat(86)}==`,
        sig: `${'A'.repeat(86)}==`,
      }),
    ];
    for (const text of attacks) expect(mallory.sendRaw(g, text)).toBe(3);
    await expectCounted(a, attacks.length);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    await expectHonestRecover(a);
  }, 90_000);

  it('has a proposal with an absurd in-range priority refused by the sender, and the group goes on', async () => {
    const a = await underAttack('absurd-priority');
    const { g, view, mallory, ana } = a;
    // A pending message of ana's for mallory to "propose" on: 2^53 - 1 would make
    // every later ISIS proposal (max(P, A) + 1) leave the safe-integer range.
    // send() resolves once the message is handed to the engine (pending), before any proposal.
    await ana.send(g, 'ana:6');
    const absurd = JSON.stringify({
      t: 'propose',
      groupId: g,
      viewId: view.viewId,
      sender: ana.peerId,
      seq: 6,
      priority: { p: MAX_PRIORITY, by: mallory.peerId },
    });
    expect(mallory.mesh.sendRaw(g, ana.peerId, absurd)).toBe(true);
    let counted = 0;
    await waitFor(
      'ana counts the absurd proposal',
      async () => {
        counted = (await rejectedAt(ana, g)) - (a.before[0] ?? 0);
        return counted >= 1;
      },
      COUNT_WAIT_MS,
    ).catch(() => {});
    expect(counted, `ana refused only:\n  ${a.refused[0]?.join('\n  ')}`).toBeGreaterThanOrEqual(1);
    await expectHonestRecover(a, ['ana:6']);
  }, 90_000);

  it('has a replayed sequence number with other signed content refused and counted; a duplicate delivered at most once', async () => {
    const a = await underAttack('replay');
    const { g, mallory } = a;
    const first = JSON.stringify(await mallory.signedData(g, 1, 'mallory hello'));
    // The same bytes again are a link-level duplicate (as a resend after a
    // reconnect is): idempotent, not an attack. The same seq with other,
    // correctly signed content is a replay.
    for (let i = 0; i < 3; i++) mallory.sendRaw(g, first);
    mallory.sendRaw(g, JSON.stringify(await mallory.signedData(g, 1, 'mallory replay')));
    await expectCounted(a, 1);
    await expectHonestRecover(a);
  }, 90_000);

  // Was a flake under heavy load (1 in 8 runs at load 12–27, none in 36 at low load): @roamhq/wrtc hands a
  // child every message that arrived meanwhile in one callback, handled at once, and a child's event loop
  // stood still up to 4.3 s, past the 4 s heartbeat timeout. Fixed by inbound slices per link (PROTOCOL.md
  // §1.3). Their first landing (11c1ecd) was reverted for an honest 100 000-message fill that stalled; that
  // stall was the sponsor's own loop of sends settling in microtasks (its timers and heartbeats stood still
  // 17-20 s, the tracker failed it), fixed first (Peer.send settles in a later turn); comparisons.md has both.
  it('has a flood of signed DATA for a later view stopped at each honest peer by its byte budget; the group goes on', async () => {
    const a = await underAttack('future-flood');
    const { g, view, mallory } = a;
    // Handling the flood must not starve an honest peer's tracker heartbeats: one handled in a single
    // event-loop turn froze a child for 4 s and the tracker failed it out of the group (PROTOCOL.md §1.3
    // "Inbound slices"). No honest peer may see another leave while mallory floods.
    const lines: SystemLine[] = [];
    for (const p of honest) p.on('system', (l) => lines.push(l));
    // Frames of ~4 kB, more of them than MAX_BUFFERED_BYTES_PER_PEER holds but fewer than MAX_BUFFERED_FRAMES:
    // only a byte budget per peer refuses any (a count cap alone let 300 FLUSH frames add 93 MB of heap).
    const body = 'z'.repeat(MAX_BODY_CHARS - 100);
    const later = asViewId(view.viewId + 3);
    let prev = GENESIS_PREV;
    let frameBytes = 0;
    const FRAMES = 5_000;
    for (let seq = 1; seq <= FRAMES; seq++) {
      const f = await mallory.signedData(g, seq, body, {}, { viewId: later, prev });
      prev = linkHash(f);
      const text = JSON.stringify(f);
      frameBytes = Math.max(frameBytes, text.length);
      expect(mallory.sendRaw(g, text)).toBe(3);
    }
    const fits = Math.floor(MAX_BUFFERED_BYTES_PER_PEER / frameBytes);
    expect(FRAMES).toBeGreaterThan(fits);
    expect(FRAMES).toBeLessThan(MAX_BUFFERED_FRAMES);
    // 20 MB to each of three processes on a shared machine: give their checks time.
    await expectCounted(a, FRAMES - fits, 60_000);
    const honestIds = new Set<string>(honest.map((p) => p.peerId));
    expect(lines.filter((l) => honestIds.has(l.peerId) && l.change !== 'joined')).toEqual([]);
    await expectHonestRecover(a);
  }, 180_000);
});

describe('a hostile member lying to the tracker', () => {
  /** Each honest peer's bodies `${name}-${tag}:k` all arrive at every honest peer, in one order. */
  async function expectChatInOneOrder(peers: readonly ChildPeer[], g: GroupId, tag: string): Promise<void> {
    await Promise.all(peers.map((p) => p.burst(g, 5, `${p.name}-${tag}:`)));
    const mustHave = peers.flatMap((p) => Array.from({ length: 5 }, (_, k) => `${p.name}-${tag}:${k + 1}`));
    await waitFor(
      `every ${tag} message at every honest peer`,
      async () => {
        const logs = await Promise.all(peers.map((p) => logOf(p, g)));
        return logs.every((l) => mustHave.every((b) => bodiesOf(l).includes(b)));
      },
      30_000,
    );
    const logs = await Promise.all(peers.map((p) => logOf(p, g)));
    for (const log of logs) {
      expect(idsOf(log)).toEqual(idsOf(logs[0] ?? []));
      expect(duplicates(log)).toEqual([]);
    }
  }

  it('a member that heartbeats and says links-ready but never opens a channel is never installed; the total-order group goes on', async () => {
    honest = await startPeers(tracker.url, ['ana', 'ben', 'cy']);
    const g = await groupOf(honest, 'silent-fake', 'total');
    const fake = await HostilePeer.connect(tracker.url, 'fake');
    hostile = fake;
    const answer = await fake.joinSilently(g);
    expect(answer.members.map((m) => m.peerId)).not.toContain(fake.peerId);
    // While it waits, honest members keep talking; a view with it would stall every total-order delivery.
    await expectChatInOneOrder(honest, g, 'while-faking');
    // The join timeout drops it, never having been in a view.
    await waitFor(
      'the tracker drops the fake joiner',
      () => fake.removed.length > 0,
      INTEGRATION_TRACKER_TIMERS.joinTimeoutMs + 15_000,
    );
    expect(fake.removed[0]?.reason).toBe('failed');
    for (const p of honest) {
      expect(
        p
          .groups()
          .find((x) => x.groupId === g)
          ?.view?.members.map((m) => m.peerId),
      ).not.toContain(fake.peerId);
    }
    expect(fake.view?.members.some((m) => m.peerId === fake.peerId) ?? false).toBe(false);
    await expectChatInOneOrder(honest, g, 'after');
  }, 120_000);

  it("a member that closes every channel but keeps heartbeating is evicted on the others' reports; the group goes on", async () => {
    const a = await underAttack('dark');
    a.mallory.goDark(a.g);
    // Each honest end reports its link to mallory down; together they are a majority of the view.
    await waitFor(
      'the tracker evicts the dark member',
      () => a.mallory.removed.length > 0,
      3 * INTEGRATION_TRACKER_TIMERS.linkGraceMs + 15_000,
    );
    expect(a.mallory.removed[0]?.reason).toBe('evicted');
    await waitFor('no honest view holds mallory', () =>
      honest.every(
        (p) =>
          !(
            p
              .groups()
              .find((x) => x.groupId === a.g)
              ?.view?.members.some((m) => m.peerId === a.mallory.peerId) ?? true
          ),
      ),
    );
    await expectChatInOneOrder(honest, a.g, 'after');
  }, 120_000);

  it("a member that keeps its channels open and heartbeats but sends no PROPOSE, ECHO or FINAL is evicted on the others' stalled reports; the messages that waited on it are delivered", async () => {
    const a = await underAttack('mute');
    // mallory's channels stay open and its session heartbeats; it never proposes. Every honest message waits
    // for its proposal, and before stalled reports nothing ever removed it (PROTOCOL.md §2 Links "Stalled").
    await Promise.all(honest.map((p) => p.burst(a.g, 2, `${p.name}-waiting:`)));
    expect(a.mallory.mesh.openPeers(a.g).length).toBe(3);
    await waitFor(
      'the tracker evicts the mute member',
      () => a.mallory.removed.length > 0,
      // It never showed state in this view, so it is judged after UNSHOWN_STATE_GRACES (it may have been syncing).
      (UNSHOWN_STATE_GRACES + 3) * INTEGRATION_TRACKER_TIMERS.linkGraceMs + 15_000,
    );
    expect(a.mallory.removed[0]?.reason).toBe('evicted');
    const waited = honest.flatMap((p) => [1, 2].map((k) => `${p.name}-waiting:${k}`));
    await waitFor('every message that waited on mallory at every honest peer', async () => {
      const logs = await Promise.all(honest.map((p) => logOf(p, a.g)));
      return logs.every((l) => waited.every((b) => bodiesOf(l).includes(b)));
    });
    await expectChatInOneOrder(honest, a.g, 'after');
  }, 120_000);

  it('a member that keeps reporting a younger one down does not evict it: the liar is evicted', async () => {
    // mallory runs the real engine (a view change needs every member's FLUSH) and lies only to the tracker.
    honest = await startPeers(tracker.url, ['ana', 'ben', 'mallory', 'cy']);
    const [ana, ben, mallory, cy] = honest as [ChildPeer, ChildPeer, ChildPeer, ChildPeer];
    const g = await groupOf([ana, ben, mallory], 'liar', 'total');
    // cy joins after mallory: the younger one, whom one report used to evict.
    await cy.join(g);
    // cy's join resolves at cy; the others install the view with cy a moment later (their 'cy joined' line
    // is not what this test is about), so listen only once every member shows cy.
    const showsCy = (p: ChildPeer): boolean =>
      p
        .groups()
        .find((x) => x.groupId === g)
        ?.view?.members.some((m) => m.peerId === cy.peerId) ?? false;
    await waitFor('every member installed the view with cy', () => [ana, ben, mallory].every(showsCy), 30_000);
    const lines: SystemLine[] = [];
    for (const p of [ana, ben, cy]) p.on('system', (l) => lines.push(l));
    const removed = (): boolean => lines.some((l) => l.peerId === mallory.peerId && l.change === 'evicted');
    const lie = setInterval(() => void mallory.reportLink(g, cy.peerId, 'down').catch(() => {}), 250);
    try {
      await waitFor('the tracker evicts the liar', removed, 6 * INTEGRATION_TRACKER_TIMERS.linkGraceMs + 15_000);
    } finally {
      clearInterval(lie);
    }
    // cy is never removed (its own late 'joined' line at a member may still trail the view: not a removal).
    expect(lines.filter((l) => l.peerId === cy.peerId && l.change !== 'joined')).toEqual([]);
    // mallory comes back by itself (an eviction of a live peer is re-joined); the group goes on in one order.
    await expectChatInOneOrder([ana, ben, cy], g, 'after');
  }, 150_000);

  it('a member that signs two members two FLUSH reports for one view is proven and evicted; the view change completes without it', async () => {
    const { g, mallory, refused } = await underAttack('flush-split');
    const [ana, ben, cy] = honest as [ChildPeer, ChildPeer, ChildPeer];
    const lines: SystemLine[] = [];
    for (const p of [ana, ben]) p.on('system', (l) => lines.push(l));
    // A view change with mallory a participant: cy leaves. Mallory reports one thing to ana, another to ben.
    const before = mallory.view?.viewId ?? 0;
    await cy.leave(g);
    await waitFor('mallory gets the view without cy', () => (mallory.view?.viewId ?? 0) > before);
    const viewId = (mallory.view as View).viewId;
    const report = async (agreed: number): Promise<string> => {
      const body: FlushFrame = {
        t: 'flush',
        groupId: g,
        viewId,
        unstable: [],
        pending: [],
        agreed,
        delivered: {},
        joining: true,
      };
      const hash = reportHash(body);
      const text = canonicalFlushText({ groupId: g, viewId, reporter: mallory.peerId, report: hash });
      return JSON.stringify({ ...body, report: hash, sig: await signText(mallory.keyPair.privateKey, text) });
    };
    expect(mallory.mesh.sendRaw(g, ana.peerId, await report(0))).toBe(true);
    expect(mallory.mesh.sendRaw(g, ben.peerId, await report(1))).toBe(true);
    // ana's and ben's FLUSH-OKs name two digests and restate mallory's two signed reports: the proof.
    await waitFor('the tracker evicts mallory on the proof', () => mallory.removed.some((r) => r.reason === 'evicted'));
    await waitFor('ana and ben see mallory evicted', () =>
      [ana, ben].every(
        (p) =>
          !p
            .groups()
            .find((x) => x.groupId === g)
            ?.view?.members.some((m) => m.peerId === mallory.peerId),
      ),
    );
    expect(lines.some((l) => l.peerId === mallory.peerId && l.change === 'evicted')).toBe(true);
    // On the proof, not on a link rule: the honest peers said what mallory signed.
    const proven = (r: readonly string[]): boolean =>
      r.some((x) => x.startsWith('equivocation:') && x.includes('FLUSH'));
    expect(refused.slice(0, 2).some(proven), refused.flat().join('\n')).toBe(true);
    await expectChatInOneOrder([ana, ben], g, 'after');
  }, 120_000);
});
