// Runs one timed load over a group of workers — every member sends its share
// of the offered rate, every member records what the others sent — and
// gathers the one-way latencies. The same routine drives the floor (2
// workers), the relay baseline and Chorus groups, so only the path differs.
import type { PeerDriver as Worker } from './browser.ts';
import type { LoadOutcome, Received } from './load.ts';
import { wallNowMs } from './wall-clock.ts';

/** Senders start together this far in the future, so every receiver is already listening. */
const START_DELAY_MS = 300;

export interface GroupLoadSpec {
  readonly tag: string;
  readonly workers: readonly Worker[];
  /** Aggregate messages per second offered by the whole group (split evenly over senders). */
  readonly ratePerSec: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  /** How long after the last send every receiver may take to get everything. */
  readonly drainMs: number;
  /** IPC command that sends with a LoadPlan for one worker (e.g. 'chorus-load'). */
  readonly send: (w: Worker, plan: import('./load.ts').LoadPlan) => Promise<LoadOutcome>;
  /** Only these workers send (default: all). The floor has one sender and one receiver. */
  readonly senders?: readonly Worker[];
}

export interface GroupLoadResult {
  readonly latencies: number[];
  readonly expected: number;
  readonly delivered: number;
  readonly offeredPerSec: number;
  readonly achievedPerSec: number;
  readonly failedSends: number;
  readonly outOfOrder: number;
}

export const runGroupLoad = async (spec: GroupLoadSpec): Promise<GroupLoadResult> => {
  const senders = spec.senders ?? spec.workers;
  const startAt = wallNowMs() + START_DELAY_MS;
  await Promise.all(spec.workers.map((w) => w.call('expect', { tag: spec.tag, warmUntil: startAt + spec.warmupMs })));
  const perSender = spec.ratePerSec / senders.length;
  const outcomes = await Promise.all(
    senders.map((w) =>
      spec.send(w, { tag: spec.tag, sender: w.name, startAt, durationMs: spec.durationMs, ratePerSec: perSender }),
    ),
  );
  const totalSent = outcomes.reduce((a, o) => a + o.sent, 0);
  const senderSet = new Set(senders);
  // Every worker receives everything sent by the others (not its own).
  const expectFor = (w: Worker): number =>
    totalSent - (senderSet.has(w) ? (outcomes[senders.indexOf(w)]?.sent ?? 0) : 0);
  await Promise.all(
    spec.workers.map((w) => w.call('wait', { tag: spec.tag, count: expectFor(w), timeoutMs: spec.drainMs })),
  );
  const received = await Promise.all(spec.workers.map((w) => w.call<Received>('take', { tag: spec.tag })));
  const latencies: number[] = [];
  for (const r of received) for (const l of r.latencies) latencies.push(l);
  return {
    latencies,
    expected: spec.workers.reduce((a, w) => a + expectFor(w), 0),
    delivered: received.reduce((a, r) => a + r.count, 0),
    offeredPerSec: spec.ratePerSec,
    achievedPerSec: outcomes.reduce((a, o) => a + o.achievedPerSec, 0),
    failedSends: outcomes.reduce((a, o) => a + o.failedSends, 0),
    outOfOrder: received.reduce((a, r) => a + r.outOfOrder, 0),
  };
};
