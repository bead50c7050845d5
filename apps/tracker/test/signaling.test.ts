import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupSummary, SignalDelivery } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { call, connectClient, groupOfClients, startTestTracker, stats, unwrap } from './helpers.ts';
import type { TestClient } from './helpers.ts';

let tracker: RunningTracker;
beforeAll(async () => {
  tracker = await startTestTracker({ signalRateLimit: { burst: 20, perSecond: 1 } });
});
afterAll(() => tracker.close());

let n = 0;
const groupWith = (...clients: TestClient[]): Promise<GroupSummary> => groupOfClients(`s-${++n}`, 'fifo', ...clients);

/** A marker signal sent after the bad ones: once it arrives, earlier ones would have too (one socket, in order). */
async function fence(from: TestClient, to: TestClient, groupId: string): Promise<void> {
  const mark = `fence-${Math.random()}`;
  unwrap(await call(from.socket, 'signal', { groupId, to: to.peerId, data: { mark } }));
  await to.events.next<SignalDelivery>('signal', (s) => (s.data as { mark?: string }).mark === mark);
}

describe('signaling relay', () => {
  it('relays between two sessions of a group with the authenticated sender as from', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a, b);
    const data = { type: 'offer', sdp: 'v=0\r\n...' };
    unwrap(await call(a.socket, 'signal', { groupId: g.groupId, to: b.peerId, data }));
    const got = await b.events.next<SignalDelivery>('signal');
    expect(got).toEqual({ groupId: g.groupId, from: a.peerId, data });
    a.close();
    b.close();
  });

  it('never delivers to a non-member, an unknown id, with a forged from, or from outside the group — and counts each', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const outsider = await connectClient(tracker.url, 'Olga');
    const g = await groupWith(a, b);
    const other = await groupWith(outsider);
    const before = await stats(tracker.url);
    const dropped = (s: typeof before, r: string): number => s.signalsDropped[r] ?? 0;

    expect(await call(a.socket, 'signal', { groupId: g.groupId, to: outsider.peerId, data: { x: 1 } })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    expect(await call(a.socket, 'signal', { groupId: g.groupId, to: 'pnobodyatall', data: { x: 2 } })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    expect(
      await call(a.socket, 'signal', { groupId: g.groupId, to: b.peerId, from: outsider.peerId, data: { x: 3 } }),
    ).toMatchObject({ ok: false, error: { code: 'forged-sender' } });
    expect(await call(outsider.socket, 'signal', { groupId: g.groupId, to: b.peerId, data: { x: 4 } })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    // A group both are in is the only way: Olga's own group does not contain Bob either.
    expect(
      await call(outsider.socket, 'signal', { groupId: other.groupId, to: b.peerId, data: { x: 5 } }),
    ).toMatchObject({ ok: false, error: { code: 'not-member' } });
    // Fire-and-forget (no ack) is dropped the same way.
    outsider.socket.emit('signal', { groupId: g.groupId, to: b.peerId, data: { x: 6 } });

    await call(outsider.socket, 'heartbeat'); // acked after the un-acked signal: events of one socket run in order
    await fence(a, b, g.groupId);
    // A drop after a view change is a normal race: counted, not pushed back as an error to show.
    expect(outsider.events.all('tracker:error')).toEqual([]);
    // A malformed fire-and-forget signal is.
    outsider.socket.emit('signal', { groupId: g.groupId, to: 'not a peer id', data: { x: 7 } });
    expect((await outsider.events.next<{ code: string }>('tracker:error')).code).toBe('bad-type');
    expect(b.events.all<SignalDelivery>('signal').filter((s) => (s.data as { x?: number }).x !== undefined)).toEqual(
      [],
    );
    expect(outsider.events.all('signal')).toEqual([]);
    expect(a.events.all('signal')).toEqual([]);
    const after = await stats(tracker.url);
    expect(dropped(after, 'not-shared') - dropped(before, 'not-shared')).toBe(4);
    expect(dropped(after, 'unknown-peer') - dropped(before, 'unknown-peer')).toBe(1);
    expect(dropped(after, 'forged-sender') - dropped(before, 'forged-sender')).toBe(1);
    expect(dropped(after, 'bad-input') - dropped(before, 'bad-input')).toBe(1);
    const metrics = await (await fetch(`${tracker.url}/metrics`)).text();
    expect(metrics).toMatch(/chorus_signals_dropped_total\{reason="forged-sender"\} [1-9]/);
    for (const c of [a, b, outsider]) c.close();
  });

  it("rate-limits one session's signals with a rate-limited error, and keeps serving others", async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a, b);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => call(a.socket, 'signal', { groupId: g.groupId, to: b.peerId, data: { i } })),
    );
    const limited = results.filter((r) => !r.ok && r.error.code === 'rate-limited').length;
    expect(limited).toBeGreaterThan(0);
    expect(results.filter((r) => r.ok).length).toBeLessThanOrEqual(21);
    // Bob's own bucket is untouched.
    unwrap(await call(b.socket, 'signal', { groupId: g.groupId, to: a.peerId, data: { back: true } }));
    a.close();
    b.close();
  });

  it('rejects oversized signal data', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a, b);
    const r = await call(a.socket, 'signal', { groupId: g.groupId, to: b.peerId, data: { sdp: 'x'.repeat(40_000) } });
    expect(r).toMatchObject({ ok: false, error: { code: 'too-large' } });
    a.close();
    b.close();
  });
});

describe('metrics reports', () => {
  it("aggregates peers' reports per group in /api/stats and /metrics, and rejects bad ones", async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const g = await groupWith(a, b);
    const report = {
      groupId: g.groupId,
      sent: 10,
      received: 7,
      total: 17,
      throughputPerSec: 2,
      latencyP50Ms: 12,
      latencyP99Ms: 40,
      rejectedFrames: 0,
    };
    unwrap(await call(a.socket, 'metrics:report', report));
    unwrap(await call(b.socket, 'metrics:report', { ...report, sent: 5, received: 10, total: 15, latencyP99Ms: 90 }));
    expect(await call(a.socket, 'metrics:report', { ...report, sent: -1 })).toMatchObject({
      ok: false,
      error: { code: 'bad-type' },
    });
    expect(await call(a.socket, 'metrics:report', { ...report, total: undefined })).toMatchObject({
      ok: false,
      error: { code: 'missing-field' },
    });
    const s = await stats(tracker.url);
    const pm = (s['peerMetrics'] as Record<string, Record<string, number>>)[g.groupId];
    expect(pm).toMatchObject({ sent: 15, received: 17, total: 32, latencyP99Ms: 90, reports: 2 });
    const text = await (await fetch(`${tracker.url}/metrics`)).text();
    expect(text).toContain(`chorus_peer_reported_messages{group="${g.groupId}",kind="sent"} 15`);
    a.close();
    b.close();
  });

  it("takes reports only from the group's own sessions; a leaver's entry goes (its counts stay), an expired group's series too", async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const b = await connectClient(tracker.url, 'Bob');
    const outsider = await connectClient(tracker.url, 'Mallory');
    const g = await groupWith(a, b);
    const report = {
      groupId: g.groupId,
      sent: 3,
      received: 4,
      total: 7,
      throughputPerSec: 1,
      latencyP50Ms: 5,
      latencyP99Ms: 9,
      rejectedFrames: 0,
    };
    // 6 000 made-up group ids used to become 12 000 Prometheus series that never went away.
    const forged = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(outsider.socket, 'metrics:report', { ...report, groupId: `gmadeup${i}` }),
      ),
    );
    expect(forged.every((r) => !r.ok && r.error.code === 'not-member')).toBe(true);
    expect(await call(outsider.socket, 'metrics:report', report)).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    unwrap(await call(a.socket, 'metrics:report', report));
    unwrap(await call(b.socket, 'metrics:report', { ...report, sent: 100 }));
    const series = async (): Promise<string[]> =>
      (await (await fetch(`${tracker.url}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('chorus_peer_reported_messages{'));
    expect((await series()).some((l) => l.includes('gmadeup'))).toBe(false);
    expect(await series()).toContain(`chorus_peer_reported_messages{group="${g.groupId}",kind="sent"} 103`);

    // A report after leaving is refused; the leaver's final numbers still count in the group's totals.
    unwrap(await call(b.socket, 'group:leave', { groupId: g.groupId }));
    expect(await call(b.socket, 'metrics:report', { ...report, sent: 1_000 })).toMatchObject({
      ok: false,
      error: { code: 'not-member' },
    });
    expect(await series()).toContain(`chorus_peer_reported_messages{group="${g.groupId}",kind="sent"} 103`);
    a.close();
    b.close();
    outsider.close();
  });

  it("drops a group's series when the group expires", async () => {
    const t = await startTestTracker({ emptyGroupTtlMs: 300 });
    try {
      const a = await connectClient(t.url, 'Alice');
      const g = unwrap(await call<GroupSummary>(a.socket, 'group:create', { name: 'brief', ordering: 'fifo' }));
      unwrap(await call(a.socket, 'group:join', { groupId: g.groupId }));
      unwrap(
        await call(a.socket, 'metrics:report', {
          groupId: g.groupId,
          sent: 1,
          received: 0,
          total: 1,
          throughputPerSec: 0,
          latencyP50Ms: 0,
          latencyP99Ms: 0,
          rejectedFrames: 0,
        }),
      );
      const text = async (): Promise<string> => (await fetch(`${t.url}/metrics`)).text();
      expect(await text()).toContain(`group="${g.groupId}"`);
      unwrap(await call(a.socket, 'group:leave', { groupId: g.groupId }));
      await expect.poll(async () => (await text()).includes(`group="${g.groupId}"`), { timeout: 5_000 }).toBe(false);
      a.close();
    } finally {
      await t.close();
    }
  });

  it('answers heartbeats with the tracker time', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const r = unwrap(await call<{ now: number }>(a.socket, 'heartbeat'));
    expect(Math.abs(r.now - Date.now())).toBeLessThan(60_000);
    a.close();
  });
});
