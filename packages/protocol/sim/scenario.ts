// A scenario is plain data: the group's mode and size, a seed for link and
// tracker delays, and a list of actions each after a gap of virtual time.
// Node references are indices taken modulo the nodes alive at that moment,
// so a scenario stays meaningful when fast-check shrinks actions away.

import type { Ordering } from '../src/ids.ts';

export type Action =
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
  /** The next frame on a link arrives twice. */
  | { readonly k: 'duplicate'; readonly a: number; readonly b: number }
  /** The tracker restarts: every member gets its view again, viewIds keep growing. */
  | { readonly k: 'tracker-restart' };

export interface Step {
  /** Virtual ms after the previous action. */
  readonly gap: number;
  readonly action: Action;
}

export interface Scenario {
  readonly mode: Ordering;
  readonly size: number;
  /** Seed for link delays, tracker delays and peer ids. */
  readonly seed: number;
  readonly steps: readonly Step[];
}

export const isFault = (a: Action): boolean => a.k !== 'send' && a.k !== 'send-all' && a.k !== 'join';
