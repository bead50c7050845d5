// A scenario is plain data: the first group's mode and size, the modes of up
// to two more groups the same people also talk in, a seed for link and
// tracker delays, and a list of actions each after a gap of virtual time.
// Node references are indices taken modulo the members of the action's group
// alive at that moment, so a scenario stays meaningful when fast-check shrinks
// actions away; `group` is an index modulo the number of groups (default 0).

import type { Ordering } from '../src/ids.ts';

export type Action = GroupAction & { readonly group?: number };

type GroupAction =
  /** `count` messages from one member, back to back. */
  | { readonly k: 'send'; readonly node: number; readonly count: number }
  /** Every member multicasts at the same instant (ISIS proposal ties). */
  | { readonly k: 'send-all' }
  | { readonly k: 'crash'; readonly node: number }
  /**
   * The node crashes after putting `frames` more frames on its links: a DATA
   * that reached only some, proposals without a FINAL, a FINAL reaching only
   * some, a receiver dying before or after proposing. `send` makes it start
   * a multicast first so there is something to cut.
   */
  | { readonly k: 'crash-after'; readonly node: number; readonly frames: number; readonly send: boolean }
  /** n-1 members crash at once; the one left is `node`. */
  | { readonly k: 'crash-many'; readonly node: number }
  | { readonly k: 'leave'; readonly node: number }
  /** A new user joins; `send` > 0 makes it send as soon as it is a member and others send at once. */
  | { readonly k: 'join'; readonly send: number }
  /** The user behind `node` comes back under the same name with a new session (new peer id). */
  | { readonly k: 'rejoin'; readonly node: number; readonly graceful: boolean }
  /** The tracker declares a live member failed (false suspicion). */
  | { readonly k: 'suspect'; readonly node: number }
  /** One data channel drops (in-flight frames lost) while both ends still heartbeat. */
  | { readonly k: 'link-fail'; readonly a: number; readonly b: number; readonly downMs: number }
  /**
   * A pair's direct channel fails and cannot open for `downMs`: their frames go through the lowest-id
   * member linked to both (PROTOCOL.md §1.6), which may then crash, drop a frame, alter one (refused by
   * the signature check and never used again for the pair) or stall (forward probes, drop every message:
   * found bad by the pair's loss count). With no relay left the pair is down.
   */
  | {
      readonly k: 'relay';
      readonly a: number;
      readonly b: number;
      readonly fault: 'none' | 'crash' | 'drop' | 'alter' | 'stall';
      readonly downMs: number;
    }
  /** The next frame on a link arrives twice. */
  | { readonly k: 'duplicate'; readonly a: number; readonly b: number }
  /** The tracker restarts: every member gets its view again, viewIds keep growing. */
  | { readonly k: 'tracker-restart' }
  /**
   * A tracker on the in-memory store restarts: it forgets every group. Each
   * member reconnects after its own delay and re-joins with a new session from
   * its store (same peer id); the first one back restores the group (views go
   * on above its last one) and is installed alone, the others join it. Joins
   * from anyone else find no group until then (PROTOCOL.md §2, Restore).
   */
  | { readonly k: 'tracker-forgets' }
  /** The member sends one message in every group it is a member of, back to back (same seqs in each). */
  | { readonly k: 'send-groups'; readonly node: number }
  /**
   * The node restarts: every session and everything not yet written is lost;
   * once the tracker has dropped it, it comes back from its store (same peer
   * id: a restarted process; a new one: a reloaded tab) and re-joins its groups.
   */
  | { readonly k: 'reload'; readonly node: number; readonly samePeer: boolean }
  /** The member's user opens a second tab: a new session of the same identity over the same store joins its groups. */
  | { readonly k: 'tab-pair'; readonly node: number }
  /**
   * A long burst (long-history scenarios): `count` messages from one member while a link is down, so few become stable.
   */
  | { readonly k: 'flood'; readonly node: number; readonly count: number }
  /**
   * Hostile runs only (sim/hostile.ts): the liar starts or repeats its lie (a flood burst, a false report, going
   * silent).
   */
  | { readonly k: 'lie' };

export interface Step {
  /** Virtual ms after the previous action. */
  readonly gap: number;
  readonly action: Action;
}

export interface Scenario {
  /** Ordering of the first group. */
  readonly mode: Ordering;
  /** Orderings of further groups (0-2) whose founders are members of the first group. */
  readonly groups?: readonly Ordering[];
  readonly size: number;
  /** Seed for link delays, tracker delays and peer ids. */
  readonly seed: number;
  readonly steps: readonly Step[];
  /** A hostile member among the first group's founders (sim/hostile.ts); absent: every node is honest. */
  readonly hostile?: Hostile;
}

/** What the liar does (PROTOCOL.md §7): see sim/hostile.ts. */
export type HostileKind =
  'clock' | 'equivocate' | 'silent' | 'false-report' | 'sponsor' | 'flood' | 'flush-lie' | 'withhold';

export interface Hostile {
  readonly kind: HostileKind;
  /** Picks the kind's sub-behaviour (which field, how far, which lie), see sim/hostile.ts. */
  readonly variant: number;
}

export const isFault = (a: Action): boolean =>
  a.k !== 'send' &&
  a.k !== 'send-all' &&
  a.k !== 'join' &&
  a.k !== 'send-groups' &&
  a.k !== 'tab-pair' &&
  a.k !== 'flood' &&
  a.k !== 'lie';

/** Every group's ordering, the first group's first. */
export const groupModes = (s: Scenario): readonly Ordering[] => [s.mode, ...(s.groups ?? [])];
