// The seams through which sim/broken/session-variants.ts breaks a node's
// session from outside: each rewrites one thing a session hands on (a store
// key, a sponsor's history, when a joiner's history is written, the resume
// point a restarted engine gets). The correct session is the empty variant.

import type { MessageId } from '../src/ids.ts';
import type { ChainHooks } from '../src/session/chain-check.ts';
import type { StoredRecord } from './store-model.ts';

/** A stored record with the id its content names (group/sender:seq), whatever key it is stored under. */
export interface HistoryRecord extends StoredRecord {
  readonly trueId: MessageId;
}

export interface SessionVariant {
  /** The key a delivery is stored under; the product stores it under its message id. */
  readonly storeKey?: (r: StoredRecord) => string;
  /** What a sponsor hands over, given what it read from its store and the id it delivered last. */
  readonly history?: (items: readonly HistoryRecord[], lastDelivered: MessageId | null) => HistoryRecord[];
  /** A joiner adopts the sponsor's state before the history is written (the write comes later). */
  readonly historyAfterAdopt?: boolean;
  /** False: a restarted peer id gets no resume point from its store. */
  readonly resume?: boolean;
  /** Chain checks switched off in every node's SessionCore (PROTOCOL.md §1.5): "gap accepted", "fork accepted". */
  readonly chain?: ChainHooks;
  /**
   * A joiner asks no witness and takes its sponsor's state alone (PROTOCOL.md §7.3 "Corroborated" off).
   * The witness's request and answer move every later draw of the run, so a seed pinned for another
   * finding before corroboration replays its run only without it (`UNCORROBORATED`).
   */
  readonly uncorroborated?: boolean;
}

/** The session as it was before joiners asked a witness: pinned seeds found before then replay with it. */
export const UNCORROBORATED: SessionVariant = { uncorroborated: true };

export const CORRECT_SESSION: SessionVariant = {};
