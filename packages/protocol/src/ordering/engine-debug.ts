// The debug projection of the group engine: a read-only, JSON-comparable picture of its state
// for the simulator's checker (S6, L2) and for "state unchanged after a rejection" tests.
// Owns nothing. Belongs here: the shape of that picture and its formatting helpers; the
// projection itself is `GroupEngine.debugState()`, the one place that reads every layer.

import type { Priority } from '../wire/frames.ts';

/** A read-only picture of the engine for the simulator (S6, L2) and for before/after comparisons in tests. */
export interface EngineDebugState {
  readonly viewId: number | null;
  readonly flushingTo: number | null;
  readonly flushSent: boolean;
  readonly adopted: boolean;
  /** The view the group's current log began in (0 until this member has state). */
  readonly incarnation: number;
  /** Largest proposal made (ISIS `P`). */
  readonly proposedMax: number;
  /** Largest agreed priority seen (ISIS `A`). */
  readonly agreedMax: number;
  readonly lamport: number;
  readonly lastDrafted: number;
  readonly lastCommitted: number;
  readonly inFlight: number;
  readonly outbox: readonly number[];
  readonly senders: Readonly<Record<string, { next: number; delivered: number; held: readonly number[] }>>;
  /** The ISIS hold-back queue, by message id. */
  readonly queue: readonly { id: string; p: number; by: string; final: boolean }[];
  readonly ownProposals: Readonly<Record<string, readonly string[]>>;
  readonly earlyFinals: readonly string[];
  readonly learnedFinals: readonly string[];
  readonly kept: readonly string[];
  readonly peerDelivered: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly buffered: number;
  /** Bytes of buffered frames per sending peer (MAX_BUFFERED_BYTES_PER_PEER). */
  readonly bufferedBytes: Readonly<Record<string, number>>;
  readonly repairing: readonly string[];
  readonly flushReports: readonly string[];
  /** Sum of every hold-back structure: must reach 0 once faults heal (L2). */
  readonly holdBackSize: number;
}

export const p2s = (x: Priority): string => `${x.p}:${x.by}`;
