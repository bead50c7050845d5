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

export const openFloor = async (a: PeerDriver, b: PeerDriver): Promise<void> => {
  const offA = a.on('floor-signal', (d) => void b.call('floor-signal', d));
  const offB = b.on('floor-signal', (d) => void a.call('floor-signal', d));
  try {
    await b.call('floor-open', { initiator: false });
    await a.call('floor-open', { initiator: true });
    await Promise.all([a.call('floor-wait'), b.call('floor-wait')]);
  } finally {
    // Trickled candidates after connect are not needed on loopback.
    offA(); offB();
  }
};

export const closeFloor = async (a: PeerDriver, b: PeerDriver): Promise<void> => {
  await Promise.all([a.call('floor-close'), b.call('floor-close')]);
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
  await Promise.all(workers.filter((w) => !connected.has(w)).map(async (w) => {
    await w.call('chorus-connect', { trackerUrl, name: w.name });
    connected.add(w);
  }));
};

export const forgetChorus = (w: PeerDriver): void => { connected.delete(w); };

export interface Formation {
  readonly groupId: string;
  readonly size: number;
  /** From the first join() call to the moment the last member installed the full view. */
  readonly meshReadyMs: number;
  /** Per joiner: join() call to its first installed view containing everyone. */
  readonly joinToViewMs: readonly number[];
  /** Per joiner: join() call to the first live message delivered to it (from the creator). */
  readonly joinToFirstMessageMs: readonly number[];
}

/**
 * workers[0] creates the group and joins alone, then starts sending a probe
 * message every PROBE_INTERVAL_MS; every other worker calls join() at once.
 */
export const formGroup = async (workers: readonly PeerDriver[], ordering: 'fifo' | 'total', name: string): Promise<Formation> => {
  const [creator, ...joiners] = workers;
  if (creator === undefined) throw new Error('a group needs at least one worker');
  const size = workers.length;
  const groupId = await creator.call<string>('chorus-create', { name, ordering });
  await creator.call('chorus-join', { groupId });
  const probeTag = `probe-${name}`;
  await Promise.all(joiners.map((w) => w.call('expect', { tag: probeTag, warmUntil: NEVER })));
  await creator.call('probe-start', { groupId, tag: probeTag, intervalMs: PROBE_INTERVAL_MS });
  try {
    const joins = await withTimeout(Promise.all(joiners.map((w) => w.call<{ calledAt: number; resolvedAt: number }>('chorus-join', { groupId }))), FORMATION_TIMEOUT_MS, `${size} joins`);
    const viewAts = await Promise.all(workers.map((w) => w.call<number>('chorus-view-at', { groupId, size, timeoutMs: FORMATION_TIMEOUT_MS })));
    const firstAts = await Promise.all(joiners.map((w) => w.call<number>('first-at', { tag: probeTag, timeoutMs: FORMATION_TIMEOUT_MS })));
    const firstCall = Math.min(...joins.map((j) => j.calledAt));
    return {
      groupId,
      size,
      meshReadyMs: size === 1 ? 0 : Math.max(...viewAts) - firstCall,
      joinToViewMs: joins.map((j, i) => (viewAts[i + 1] ?? Number.NaN) - j.calledAt),
      joinToFirstMessageMs: joins.map((j, i) => (firstAts[i] ?? Number.NaN) - j.calledAt),
    };
  } finally {
    await creator.call('probe-stop');
    await Promise.all(joiners.map((w) => w.call('take', { tag: probeTag })));
  }
};

export const leaveGroup = async (workers: readonly PeerDriver[], groupId: string): Promise<void> => {
  // Sequential leaves would cost one view change each anyway; concurrent ones let the tracker batch.
  await Promise.all(workers.map((w) => w.call('chorus-leave', { groupId }).catch(() => undefined)));
};
