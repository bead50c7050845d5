// What goes into and comes out of a SessionCore, as plain data. The shapes
// of records and messages match what packages/peer stores and shows
// (StoredMessage, GroupRecord, ChatMessage, SystemLine) structurally, so the
// runtime passes them on without copying; nothing here knows a store or a UI.

import type { GroupId, MemberChange, MessageId, Ordering, PeerId, ViewId } from '../ids.ts';
import type { ErrorCode } from '../result.ts';
import type { View } from '../tracker/events.ts';
import type { AccusationProof } from '../ordering/flush-proof.ts';
import type {
  DataFrame,
  FinalFields,
  FlushOkStatementFields,
  FlushStatementFields,
  GroupFrame,
  HistoryRequestFrame,
  JoinerState,
  SignedFields,
} from '../wire/frames.ts';

/** The join lifecycle as a peer sees it (see the diagram in join-flow.ts). */
export type SessionPhase = 'waiting' | 'syncing' | 'adopting' | 'member' | 'closed';

/** A delivered message as the store keeps it (same fields as packages/peer StoredMessage). */
export interface SessionRecord {
  readonly id: MessageId;
  readonly groupId: GroupId;
  readonly frame: DataFrame;
  readonly order: string;
  readonly senderName: string;
  readonly senderKey?: string;
  readonly deliveredAt: number;
}

/** What the store keeps about the group: the engine's position without unstable copies (packages/peer GroupRecord). */
export interface SessionGroupRecord {
  readonly groupId: GroupId;
  readonly name: string;
  readonly ordering: Ordering;
  readonly state: JoinerState | null;
  /**
   * Total order only: per sender, the lowest seq delivered here that not
   * every member was known to have delivered when the record was saved. Its
   * order key may be one only this member computed (non-uniform, PROTOCOL.md
   * §3.10): a session that starts over this store does not count it as held.
   */
  readonly tentative?: Readonly<Record<string, number>>;
  /**
   * Per sender, a floor: the seqs at or below it that the store lacks are
   * ones no session over this store will be handed — an engine here counted
   * them without a delivery or a history item (a sender's resume floor, §3.1;
   * a sponsor that lacked them). A session starting over the store counts
   * them as held (`readHeld`), so its history never hands an earlier
   * incarnation's message below a seq it holds (PROTOCOL.md §4).
   */
  readonly floors?: Readonly<Record<string, number>>;
}

/** A message to show (packages/peer ChatMessage): own ones `pending` first, every one `delivered` once. */
export interface SessionMessage {
  readonly id: MessageId;
  readonly groupId: GroupId;
  readonly sender: PeerId;
  readonly senderName: string;
  /** The sender's public key (base64) when known: who the sender is, whatever its name (docs/design.md §6). */
  readonly senderKey?: string;
  readonly body: string;
  readonly sentAt: number;
  readonly order: string;
  readonly state: 'pending' | 'delivered';
  readonly viewId: ViewId;
}

/** A member came or went (packages/peer SystemLine). */
export interface SessionSystemLine {
  readonly groupId: GroupId;
  readonly at: number;
  readonly peerId: PeerId;
  readonly name: string;
  readonly change: MemberChange;
}

export interface SessionProblem {
  readonly groupId: GroupId;
  readonly code: string;
  readonly message: string;
  /** Set when a peer's input caused it. */
  readonly from?: PeerId;
}

/** Why a message is shown: our own just sent, a live delivery (counted in metrics), or history from a sponsor. */
export type MessageSource = 'pending' | 'delivery' | 'history';

/**
 * What a SessionCore asks its runtime to do, in the order given. Commands
 * that need an answer name the input that carries it back.
 */
export type SessionCommand =
  /** Send one frame on the link to `to` (an engine frame, a history request or page). */
  | { readonly type: 'send'; readonly to: PeerId; readonly frame: GroupFrame }
  /** Sign `draft` with our key, then call `signed(draft, sig, now)`. One draft is outstanding at a time. */
  | { readonly type: 'sign'; readonly draft: SignedFields }
  /**
   * Sign our FINAL (`canonicalFinalText`), then call `wordSigned(command, sig, now)`; every `send` after
   * it waits for the answer (PROTOCOL.md §3.3 "Signed FINALs").
   */
  | { readonly type: 'sign-final'; readonly final: FinalFields }
  /** Sign our FLUSH report's statement (`canonicalFlushText`), then call `wordSigned(command, sig, now)`. */
  | { readonly type: 'sign-flush'; readonly statement: FlushStatementFields }
  /** Sign our FLUSH-OK's statement (`canonicalFlushOkText`), then call `wordSigned(command, sig, now)`. */
  | { readonly type: 'sign-flush-ok'; readonly statement: FlushOkStatementFields }
  /**
   * `accused` signed two FINALs it cannot both mean (final-proof.ts) or two FLUSH reports for one view
   * (flush-proof.ts): send `proof` to the tracker (`group:accuse`), which checks both signatures with
   * its key and evicts it.
   */
  | { readonly type: 'accuse'; readonly accused: PeerId; readonly proof: AccusationProof }
  /**
   * Tell the tracker (`link:report`) that the agreement input `peer` owes us is overdue (`stalled`), or no
   * longer (`up`; a runtime sends it only while its channel to `peer` is open, as it would itself). PROTOCOL.md
   * §2 Links "Stalled".
   */
  | { readonly type: 'report-link'; readonly peer: PeerId; readonly state: 'stalled' | 'up' }
  /**
   * Read what the store holds of the group (`readHeld`, history-reader.ts), then call `heldRead(have, now)` (`null` on
   * failure).
   */
  | { readonly type: 'read-held' }
  /**
   * Sponsor side: make every queued `store` durable, read the page that
   * answers `req` cut to `state` (`readHistoryPage`, history-reader.ts),
   * then call `historyRead(to, page, now)`.
   */
  | {
      readonly type: 'read-history';
      readonly to: PeerId;
      readonly state: JoinerState;
      readonly req: HistoryRequestFrame;
    }
  /**
   * Queue delivered messages for the store (idempotent by id), with `groupRecord()` as it is when the
   * batch is written. Our engine's deliveries and a sponsor's hand-over alike carry the group's agreed
   * keys: in a total-order group they replace the stored ones (`putHistory`, PROTOCOL.md §4).
   * `page`: a history page's messages, a batch already: written at once (one store transaction per page),
   * not after the live deliveries' batching delay.
   */
  | {
      readonly type: 'store';
      readonly messages: readonly SessionRecord[];
      readonly page?: true;
      /**
       * Our own messages sent again (PROTOCOL.md §3.1 "Re-issue"): each replaces the stored copy of its id,
       * frame and order key (`putHistory`, whatever the group's ordering).
       */
      readonly replace?: true;
    }
  /** Make every `store` so far durable, then call `storeFlushed(ticket, now)` (also after a failed write). */
  | { readonly type: 'flush-store'; readonly ticket: number }
  | { readonly type: 'message'; readonly message: SessionMessage; readonly source: MessageSource }
  | { readonly type: 'system'; readonly line: SessionSystemLine }
  /** The engine installed a view. */
  | { readonly type: 'view'; readonly view: View }
  | { readonly type: 'phase'; readonly phase: SessionPhase }
  /** `remote`: a peer's input was refused (counted as a rejected frame). */
  | { readonly type: 'problem'; readonly problem: SessionProblem; readonly remote: boolean }
  /** The text submitted as `ticket` has its place in our sequence: `message` is pending or already delivered. */
  | { readonly type: 'submitted'; readonly ticket: number; readonly message: SessionMessage }
  | { readonly type: 'submit-failed'; readonly ticket: number; readonly code: ErrorCode; readonly message: string };

export type SessionCommands = readonly SessionCommand[];

/** A signed word of ours out for signing: a FINAL, a FLUSH report or a FLUSH-OK (SessionCore `wordSigned`). */
export type SignWord = Extract<SessionCommand, { type: 'sign-final' | 'sign-flush' | 'sign-flush-ok' }>;
