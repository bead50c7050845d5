// A group's metrics across reloads. The runtime counts from zero in every
// page (a reload is a new session), so on its own the panel would say "No
// numbers yet." after one. This tab remembers, per group, what it showed
// last (sessionStorage, like the rest of the tab's memory): counts carry over
// and add up, the latency samples carry over as the plot's older points, and
// before the new session has numbers the panel shows the carried ones.

import type { GroupMetrics } from '@chorus/peer';
import type { GroupId } from '@chorus/protocol';

/** Latency samples kept: the runtime's own window (packages/peer/src/metrics.ts RECENT_LATENCIES). */
const SAMPLES = 120;
const PREFIX = 'chorus:metrics:';

/** The panel's numbers: the runtime's snapshot plus what this tab counted before the reload. */
export interface ShownMetrics extends GroupMetrics {
  /** True while nothing is counted in this page yet: every number is from before the reload. */
  readonly carried: boolean;
}

export class MetricsMemory {
  readonly #storage: Storage | null;
  /** What the page found at load, per group: the base the live counts add to. */
  readonly #base = new Map<GroupId, GroupMetrics | null>();

  constructor(storage: Storage | null) {
    this.#storage = storage;
  }

  /** What to show for a group: base + live, or the base alone before live numbers exist. */
  show(groupId: GroupId, live: GroupMetrics | null): ShownMetrics | null {
    const base = this.#baseOf(groupId);
    if (live === null) return base === null ? null : { ...base, carried: true };
    const shown: ShownMetrics =
      base === null
        ? { ...live, carried: false }
        : {
            sent: base.sent + live.sent,
            received: base.received + live.received,
            total: base.total + live.total,
            throughputPerSec: live.throughputPerSec,
            // Percentiles do not add up: this page's once it has samples, the carried ones until then.
            latencyP50Ms: live.recentLatenciesMs.length > 0 ? live.latencyP50Ms : base.latencyP50Ms,
            latencyP99Ms: live.recentLatenciesMs.length > 0 ? live.latencyP99Ms : base.latencyP99Ms,
            rejectedFrames: base.rejectedFrames + live.rejectedFrames,
            refusedOps: base.refusedOps + live.refusedOps,
            droppedSignals: base.droppedSignals + live.droppedSignals,
            recentLatenciesMs: [...base.recentLatenciesMs, ...live.recentLatenciesMs].slice(-SAMPLES),
            carried: false,
          };
    this.#write(groupId, shown);
    return shown;
  }

  /** The group was left: its numbers go with it. */
  forget(groupId: GroupId): void {
    this.#base.delete(groupId);
    try {
      this.#storage?.removeItem(PREFIX + groupId);
    } catch {
      // storage disabled: nothing was kept
    }
  }

  #baseOf(groupId: GroupId): GroupMetrics | null {
    if (!this.#base.has(groupId)) this.#base.set(groupId, this.#read(groupId));
    return this.#base.get(groupId) ?? null;
  }

  #read(groupId: GroupId): GroupMetrics | null {
    try {
      const raw = this.#storage?.getItem(PREFIX + groupId);
      if (!raw) return null;
      return parseMetrics(JSON.parse(raw));
    } catch {
      return null; // damaged or disabled: start from zero, as before
    }
  }

  #write(groupId: GroupId, m: ShownMetrics): void {
    const { carried: _carried, ...numbers } = m;
    try {
      this.#storage?.setItem(PREFIX + groupId, JSON.stringify(numbers));
    } catch {
      // storage full or disabled: the numbers just do not survive a reload
    }
  }
}

const NUMBERS = [
  'sent',
  'received',
  'total',
  'throughputPerSec',
  'latencyP50Ms',
  'latencyP99Ms',
  'rejectedFrames',
  'refusedOps',
  'droppedSignals',
] as const;

function parseMetrics(v: unknown): GroupMetrics | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (!NUMBERS.every((k) => ok(o[k] ?? 0))) return null;
  const samples = Array.isArray(o.recentLatenciesMs) ? o.recentLatenciesMs.filter(ok).slice(-SAMPLES) : [];
  const n = (k: (typeof NUMBERS)[number]): number => (o[k] ?? 0) as number;
  return {
    sent: n('sent'),
    received: n('received'),
    total: n('total'),
    throughputPerSec: n('throughputPerSec'),
    latencyP50Ms: n('latencyP50Ms'),
    latencyP99Ms: n('latencyP99Ms'),
    rejectedFrames: n('rejectedFrames'),
    refusedOps: n('refusedOps'),
    droppedSignals: n('droppedSignals'),
    recentLatenciesMs: samples,
  };
}
