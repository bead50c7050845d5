// Per-group numbers a person sees in the metrics panel and the tracker logs
// (docs/design.md §3 Metrics). Pure bookkeeping: time comes in as an argument so the
// numbers are testable; the group session decides when to report them.

import type { GroupId, MetricsReport } from '@chorus/protocol';
import type { GroupMetrics } from './api.ts';

/** Percentiles over the most recent deliveries only: old latencies say nothing about the mesh now. */
export const LATENCY_SAMPLES = 1_000;
/** Points for the panel's latency plot: about two minutes at one message a second. */
export const RECENT_LATENCIES = 120;
/** Throughput is messages delivered in this window; long enough to smooth bursts, short enough to show a stall. */
export const THROUGHPUT_WINDOW_MS = 10_000;

export class GroupMetricsRecorder {
  #sent = 0;
  #received = 0;
  #rejected = 0;
  #refusedOps = 0;
  /** Ring of the last LATENCY_SAMPLES latencies, in arrival order. */
  readonly #latencies: number[] = [];
  #latencyNext = 0;
  /** Delivery times inside the throughput window, oldest first. */
  readonly #deliveredAt: number[] = [];
  readonly #startedAt: number;

  constructor(now: number) {
    this.#startedAt = now;
  }

  /** One of our own messages was handed to the engine (it is on its way to the group). */
  recordSent(): void {
    this.#sent += 1;
  }

  /** A message was delivered here. `own` = this session sent it (counted in `sent`, not `received`). */
  recordDelivery(own: boolean, sentAt: number, now: number): void {
    if (!own) this.#received += 1;
    // Clocks of two machines disagree a little; a negative latency is skew, not time travel.
    const latency = Math.max(0, now - sentAt);
    if (this.#latencies.length < LATENCY_SAMPLES) this.#latencies.push(latency);
    else this.#latencies[this.#latencyNext] = latency;
    this.#latencyNext = (this.#latencyNext + 1) % LATENCY_SAMPLES;
    this.#deliveredAt.push(now);
    this.#trim(now);
  }

  /** A frame from a peer was refused (parser, signature, engine) and dropped. */
  recordRejected(): void {
    this.#rejected += 1;
  }

  /**
   * A delivered operation was refused by the fold (an edit or delete by another key, a bad target, a malformed one).
   */
  recordRefusedOp(): void {
    this.#refusedOps += 1;
  }

  get rejectedFrames(): number {
    return this.#rejected;
  }

  /** Everything but `droppedSignals`, which the session's SignalGate counts. */
  snapshot(now: number): Omit<GroupMetrics, 'droppedSignals'> {
    this.#trim(now);
    const ordered = this.#chronological();
    const sorted = [...ordered].sort((a, b) => a - b);
    const window = Math.min(THROUGHPUT_WINDOW_MS, Math.max(now - this.#startedAt, 1));
    return {
      sent: this.#sent,
      received: this.#received,
      total: this.#sent + this.#received,
      throughputPerSec: (this.#deliveredAt.length * 1000) / window,
      latencyP50Ms: percentile(sorted, 0.5),
      latencyP99Ms: percentile(sorted, 0.99),
      rejectedFrames: this.#rejected,
      refusedOps: this.#refusedOps,
      recentLatenciesMs: ordered.slice(-RECENT_LATENCIES),
    };
  }

  report(groupId: GroupId, now: number): MetricsReport {
    // The tracker's report keeps its fields (refused operations are this peer's view of the log, not the mesh's
    // health).
    const { recentLatenciesMs: _plot, refusedOps: _ops, ...numbers } = this.snapshot(now);
    return { groupId, ...numbers };
  }

  #chronological(): number[] {
    if (this.#latencies.length < LATENCY_SAMPLES) return [...this.#latencies];
    return [...this.#latencies.slice(this.#latencyNext), ...this.#latencies.slice(0, this.#latencyNext)];
  }

  #trim(now: number): void {
    const from = now - THROUGHPUT_WINDOW_MS;
    let drop = 0;
    while (drop < this.#deliveredAt.length && (this.#deliveredAt[drop] as number) <= from) drop += 1;
    if (drop > 0) this.#deliveredAt.splice(0, drop);
  }
}

/** Nearest-rank percentile of an ascending list; 0 when there is no sample yet. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(rank, 1)) - 1] as number;
}
