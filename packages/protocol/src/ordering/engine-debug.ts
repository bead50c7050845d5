// The debug projection of the group engine: a read-only, JSON-comparable picture of its state
// for the simulator's checker (S6, L2) and for "state unchanged after a rejection" tests.
// Owns nothing. Belongs here: the shape of that picture and its formatting helpers; the
// projection itself is `GroupEngine.debugState()`, the one place that reads every layer.

import type { Priority } from '../wire/frames.ts';

/**
 * A read-only picture of every field of the engine, for the simulator (S6, L2) and for
 * "state unchanged after a rejection" tests, which compare it whole (JSON). A field added to a
 * layer gets its line here and in `GroupEngine.debugState()`; derived indexes (the heap) show
 * their size only.
 */
export interface EngineDebugState {
  readonly viewId: number | null;
  /** Members of the installed view, sorted. */
  readonly members: readonly string[];
  readonly flushingTo: number | null;
  readonly flushSent: boolean;
  readonly flushOked: boolean;
  readonly flushParticipants: readonly string[];
  readonly flushOks: readonly string[];
  /** FLUSH reports still in parts, per peer `viewId:held/count:bytes`. */
  readonly flushParts: Readonly<Record<string, string>>;
  /** Reports relayed to us still in parts, per relaying peer (flush-relay.ts). */
  readonly relayParts: Readonly<Record<string, string>>;
  /** Reports a FLUSH-OK we hold restates and we lack, sorted (asked for after RELAY_WAIT_MS, PROTOCOL.md §3.4). */
  readonly flushWanted: readonly string[];
  /** Our FLUSH for the installed view, kept for peers still flushing for it. */
  readonly lastFlush: {
    readonly viewId: number;
    readonly participants: readonly string[];
    readonly answered: readonly string[];
  } | null;
  readonly adopted: boolean;
  /** The view the group's current log began in (0 until this member has state). */
  readonly incarnation: number;
  /** Largest proposal made (ISIS `P`). */
  readonly proposedMax: number;
  /** Largest agreed priority seen (ISIS `A`). */
  readonly agreedMax: number;
  readonly lamport: number;
  /** Latest `now` of an accepted input. */
  readonly clock: number;
  readonly lastDrafted: number;
  readonly lastCommitted: number;
  readonly inFlight: number;
  readonly inFlightSeqs: readonly number[];
  readonly outbox: readonly number[];
  readonly seqFloor: number;
  readonly ownFloor: number | null;
  readonly flushedOwn: readonly number[];
  readonly resumeAgreed: number;
  readonly resumeDelivered: Readonly<Record<string, number>>;
  /** Per sender, the next seq past what the session shows already. */
  readonly shown: Readonly<Record<string, number>>;
  readonly senders: Readonly<Record<string, { next: number; delivered: number; held: readonly number[] }>>;
  /** The ISIS hold-back queue, by message id. */
  readonly queue: readonly { id: string; p: number; by: string; final: boolean; told?: string }[];
  /** Per queued message: this member's proposal and admission number, `p:by#admitted`. */
  readonly queueProposed: Readonly<Record<string, string>>;
  readonly admissions: number;
  readonly heapSize: number;
  /** Echoes kept from other members (PROTOCOL.md §3.3 Echo). */
  readonly echoes: number;
  /** Messages whose FINAL some member echoed otherwise than this member holds it. */
  readonly disputed: readonly string[];
  readonly ownProposals: Readonly<Record<string, readonly string[]>>;
  readonly ownSentAt: Readonly<Record<string, number>>;
  /** Per own message, the forwarded words it holds: `forwarder>proposal`, sorted (propose-forward.ts). */
  readonly ownForwarded: Readonly<Record<string, readonly string[]>>;
  readonly earlyFinals: readonly string[];
  /** Messages of this view with a signed FINAL seen (final-proof.ts FinalWitness). */
  readonly finalsSeen: number;
  readonly learnedFinals: readonly string[];
  readonly kept: readonly string[];
  /** Total order: the priority each kept message was delivered at. */
  readonly keptAgreed: Readonly<Record<string, string>>;
  readonly peerDelivered: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly buffered: number;
  /** Frames waiting for a later view, in order, `from:kind@viewId`. */
  readonly bufferedFrames: readonly string[];
  /** Bytes of held-back DATA per sender, for senders with any (MAX_HELD_BYTES_PER_SENDER). */
  readonly heldBytes: Readonly<Record<string, number>>;
  /** Bytes of buffered frames per sending peer (MAX_BUFFERED_BYTES_PER_PEER). */
  readonly bufferedBytes: Readonly<Record<string, number>>;
  readonly repairing: readonly string[];
  readonly lastHwmAt: number | null;
  readonly lastAnnounced: string | null;
  readonly flushReports: readonly string[];
  /** Sum of every hold-back structure: must reach 0 once faults heal (L2). */
  readonly holdBackSize: number;
}

export const p2s = (x: Priority): string => `${x.p}:${x.by}`;

/** A record with its keys in order, so two pictures of the same state are the same JSON. */
export const sortedRecord = <V>(entries: Iterable<readonly [string, V]>): Record<string, V> =>
  Object.fromEntries([...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
