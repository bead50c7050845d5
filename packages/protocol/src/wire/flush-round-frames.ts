// The frames of a view change's second round and its relay (PROTOCOL.md §1.1, §3.4 "Same reports
// everywhere", "Relay"): FLUSH-OK, the signed reports it restates, and FLUSH-ASK. Types only; the
// FLUSH report itself and every other frame are in frames.ts, which re-exports these.

import type { GroupId, PeerId, ViewId } from '../ids.ts';

/** One signed report a FLUSH-OK's sender holds (its group and view are the FLUSH-OK's). */
export interface HeldReport {
  readonly reporter: PeerId;
  readonly report: string;
  /** Always on the wire (the parser requires it); engine tests run without signatures. */
  readonly sig?: string;
}

/**
 * The second round of a view change: the sender holds every participant's
 * FLUSH for `viewId` and is bound to deliver that flush's resolution, even if
 * a newer view supersedes it. A member installs a view only once every
 * participant's FLUSH-OK stands for its own digest (PROTOCOL.md §3.4), so a
 * flush can no longer complete at a member removed unawares while the others
 * abandon it (seed 1148931), and two members never install it from different
 * reports (a participant that sent them different ones: HOSTILE_FIXED
 * "flush-split").
 */
export interface FlushOkFrame {
  readonly t: 'flush-ok';
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  /**
   * `flushDigest` of every participant's report as the sender holds them (base64 of SHA-256). Not
   * read by the receiver, which computes the digest the FLUSH-OK stands for from `held` and the
   * sender's own signed report: a FLUSH-OK can claim no digest its restated signatures do not make.
   */
  readonly reports: string;
  /**
   * The signed word of every other participant on the report the sender holds from it (each one
   * exactly once: a FLUSH-OK that leaves one out or names another peer is refused). A member that
   * holds another report of one of them signed by it holds a proof (PROTOCOL.md §3.4 "Signed
   * reports"). Always on the wire (the parser requires it); engine tests may leave it out.
   */
  readonly held?: readonly HeldReport[];
  /**
   * The sender's signature over `canonicalFlushOkText` (group, view, sender, its restated hashes),
   * so any participant may pass the FLUSH-OK on (PROTOCOL.md §3.4 "Relay"). Always on the wire; the
   * engine's own FLUSH-OKs leave it out and the session signs them before they leave (`sign-flush-ok`).
   */
  readonly sig?: string;
  /**
   * Present only on a FLUSH-OK relayed by another participant (an answer to a FLUSH-ASK of kind
   * `flush-ok`): whose it is. Never the link's peer (the parser refuses that); `sig` is then checked
   * with this sender's key, so a relay cannot make a FLUSH-OK up, only pass one on.
   */
  readonly sender?: PeerId;
}

/** What a FLUSH-OK's sender signs (canonicalFlushOkText, PROTOCOL.md §3.4 "Relay"). */
export interface FlushOkStatementFields {
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly sender: PeerId;
  /** The restated report hashes, as in `held` (their signatures are the reporters', checked apart). */
  readonly held: readonly Pick<HeldReport, 'reporter' | 'report'>[];
}

/**
 * A participant that holds a FLUSH-OK restating `reporter`'s signed report `report` for `viewId`, and
 * no valid report of `reporter`, asks that FLUSH-OK's sender for it (PROTOCOL.md §3.4 "Relay"): the
 * answer is the report, every part, with `reporter` set. Sent only when a report is missing past
 * RELAY_WAIT_MS, so never in an honest flush whose reports all arrive.
 */
export interface ReportAskFrame {
  readonly t: 'flush-ask';
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly reporter: PeerId;
  readonly report: string;
  readonly kind?: undefined;
}

/**
 * A participant that holds every report and a FLUSH-OK of the asked peer, and no FLUSH-OK of
 * `reporter`, asks for `reporter`'s (PROTOCOL.md §3.4 "Relay"): the answer is that FLUSH-OK as its
 * sender signed it, with `sender` set. Sent only past RELAY_WAIT_MS, so never in an honest flush.
 */
export interface FlushOkAskFrame {
  readonly t: 'flush-ask';
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  /** Whose FLUSH-OK is asked for. */
  readonly reporter: PeerId;
  readonly kind: 'flush-ok';
  readonly report?: undefined;
}

export type FlushAskFrame = ReportAskFrame | FlushOkAskFrame;
