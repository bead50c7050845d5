// Setting up each path a message can take between Node worker processes:
// the raw data channel (floor), the Socket.IO relay (baseline) and a Chorus
// group (FIFO or total). Each returns what the scenarios time.
import type { PeerDriver } from './browser.ts';
import { withTimeout } from './wall-clock.ts';

/** Forming a mesh of 16 processes on 2 shared cores can take tens of seconds; past this it is a failure. */
export const FORMATION_TIMEOUT_MS = 90_000;
/** Probe cadence for "first delivered message": fine enough to add at most this much to the figure. */
const PROBE_INTERVAL_MS = 20;
/** Large stamp for tags that are counted but never timed (JSON cannot carry Infinity). */
const NEVER = Number.MAX_SAFE_INTEGER;
/** A leave is one tracker round trip and a view change; far longer means the peer is stuck. */
const LEAVE_TIMEOUT_MS = 10_000;

export const openFloor = async (a: PeerDriver, b: PeerDriver): Promise<void> => {
  const offA = a.on('floor-signal', (d) => void b.call('floor-signal', d));
  const offB = b.on('floor-signal', (d) => void a.call('floor-signal', d));
  try {
    await b.call('floor-open', { initiator: false });
    await a.call('floor-open', { initiator: true });
    await Promise.all([a.call('floor-wait'), b.call('floor-wait')]);
  } finally {
    // Trickled candidates after connect are not needed on loopback.
    offA();
    offB();
  }
};

export const closeFloor = async (a: PeerDriver, b: PeerDriver): Promise<void> => {
  await Promise.all([a.call('floor-close'), b.call('floor-close')]);
};

/** A raw full mesh of simple-peer channels among the drivers (signals relayed by the driver). */
export const openRawMesh = async (peers: readonly PeerDriver[]): Promise<void> => {
  const byName = new Map(peers.map((p) => [p.name, p]));
  const offs = peers.map((p) =>
    p.on(
      'mesh-signal',
      (m: { to: string; data: unknown }) => void byName.get(m.to)?.call('mesh-signal', { from: p.name, data: m.data }),
    ),
  );
  try {
    // Acceptors first, so an offer never arrives at a peer that has not opened its end.
    for (const [i, a] of peers.entries())
      for (const c of peers.slice(i + 1)) await c.call('mesh-open', { to: a.name, initiator: false });
    for (const [i, a] of peers.entries())
      for (const c of peers.slice(i + 1)) await a.call('mesh-open', { to: c.name, initiator: true });
    await Promise.all(peers.map((p) => p.call('mesh-wait')));
  } finally {
    for (const off of offs) off();
  }
};

export const closeRawMesh = async (peers: readonly PeerDriver[]): Promise<void> => {
  await Promise.all(peers.map((p) => p.call('mesh-close')));
};

export const joinRelay = async (workers: readonly PeerDriver[], url: string, room: string): Promise<void> => {
  await Promise.all(workers.map((w) => w.call('relay-connect', { url, room })));
};

export const leaveRelay = async (workers: readonly PeerDriver[]): Promise<void> => {
  await Promise.all(workers.map((w) => w.call('relay-close')));
};

const connected = new WeakSet<PeerDriver>();

/** Connect workers to the tracker as Chorus peers (once per worker per run). */
export const connectChorus = async (workers: readonly PeerDriver[], trackerUrl: string): Promise<void> => {
  await Promise.all(
    workers
      .filter((w) => !connected.has(w))
      .map(async (w) => {
        await w.call('chorus-connect', { trackerUrl, name: w.name });
        connected.add(w);
      }),
  );
};

export const forgetChorus = (w: PeerDriver): void => {
  connected.delete(w);
};

export interface Formation {
  readonly groupId: string;
  readonly size: number;
  readonly pattern: JoinPattern;
  /** From the first join() call to the moment the last member installed the full view. */
  readonly meshReadyMs: number;
  /**
   * Per joiner: join() call to its first installed view with everyone (one by
   * one: everyone so far, i.e. the view that added it).
   */
  readonly joinToViewMs: readonly number[];
  /** Per joiner: join() call to the first live message delivered to it (from the creator). */
  readonly joinToFirstMessageMs: readonly number[];
}

export type JoinPattern = 'one-by-one' | 'all-at-once';

/**
 * workers[0] creates the group and joins alone, then sends a probe message
 * every PROBE_INTERVAL_MS. The others join either one by one (each calls
 * join() once the previous one's join() resolved: people arriving in a
 * room) or all at once (everyone calls join() at the same moment).
 * Throws with every peer's view of the group if the mesh does not form in
 * `timeoutMs`, so a stuck join is reported with its state.
 */
export const formGroup = async (
  workers: readonly PeerDriver[],
  ordering: 'fifo' | 'total',
  name: string,
  pattern: JoinPattern = 'one-by-one',
  timeoutMs = FORMATION_TIMEOUT_MS,
): Promise<Formation> => {
  const [creator, ...joiners] = workers;
  if (creator === undefined) throw new Error('a group needs at least one worker');
  const size = workers.length;
  const groupId = await creator.call<string>('chorus-create', { name, ordering });
  await creator.call('chorus-join', { groupId });
  const probeTag = `probe-${name}`;
  await Promise.all(joiners.map((w) => w.call('expect', { tag: probeTag, warmUntil: NEVER })));
  await creator.call('probe-start', { groupId, tag: probeTag, intervalMs: PROBE_INTERVAL_MS });
  try {
    interface Joined {
      calledAt: number;
      viewAt: number;
    }
    /** One joiner: join(), then when it first saw itself in a view of `members` (the view that added it). */
    const joinOne = async (w: PeerDriver, members: number): Promise<Joined> => {
      const { calledAt } = await w.call<{ calledAt: number }>('chorus-join', { groupId });
      return { calledAt, viewAt: await w.call<number>('chorus-view-at', { groupId, size: members, timeoutMs }) };
    };
    const joining = (async (): Promise<Joined[]> => {
      if (pattern === 'all-at-once') return Promise.all(joiners.map((w) => joinOne(w, size)));
      const out: Joined[] = [];
      for (const [i, w] of joiners.entries()) out.push(await joinOne(w, i + 2));
      return out;
    })();
    let joins: Joined[];
    try {
      joins = await withTimeout(joining, timeoutMs, `${size - 1} joins (${pattern})`);
    } catch (e) {
      joining.catch(() => undefined);
      const states = await Promise.all(
        workers.map(async (w) => {
          try {
            const gs = await withTimeout(
              w.call<{ groupId: string; status: string; viewId: number | null; members: number }[]>('chorus-state'),
              5_000,
              'state',
            );
            const g = gs.find((x) => x.groupId === groupId);
            return g === undefined ? 'not in group' : `${g.status} v${g.viewId ?? '-'}/${g.members}`;
          } catch {
            return 'no answer';
          }
        }),
      );
      throw new Error(
        `${e instanceof Error ? e.message : String(e)}; each peer (status, installed view/members): ${workers.map((w, i) => `${w.name} ${states[i] ?? '?'}`).join(', ')}`,
      );
    }
    const viewAts = await Promise.all(
      workers.map((w) => w.call<number>('chorus-view-at', { groupId, size, timeoutMs })),
    );
    const firstAts = await Promise.all(joiners.map((w) => w.call<number>('first-at', { tag: probeTag, timeoutMs })));
    const firstCall = Math.min(...joins.map((j) => j.calledAt));
    return {
      groupId,
      size,
      pattern,
      meshReadyMs: size === 1 ? 0 : Math.max(...viewAts) - firstCall,
      joinToViewMs: joins.map((j) => j.viewAt - j.calledAt),
      joinToFirstMessageMs: joins.map((j, i) => (firstAts[i] ?? Number.NaN) - j.calledAt),
    };
  } finally {
    await creator.call('probe-stop');
    await Promise.all(joiners.map((w) => w.call('take', { tag: probeTag })));
  }
};

export const leaveGroup = async (workers: readonly PeerDriver[], groupId: string): Promise<void> => {
  // Sequential leaves would cost one view change each anyway; concurrent ones let the tracker batch.
  // A leave that hangs (a peer stuck mid-join) must not stall the run.
  await Promise.all(
    workers.map((w) =>
      withTimeout(w.call('chorus-leave', { groupId }), LEAVE_TIMEOUT_MS, `${w.name} leave`).catch(() => undefined),
    ),
  );
};
