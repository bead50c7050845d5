// The seam between an ordering engine (pure state machine) and the runtime
// that carries out its effects. Engines own: sequence numbers, hold-back
// queues, ISIS proposals/finals, view-change flush state. They never know:
// sockets, clocks, randomness, signatures (the runtime signs DATA before it
// enters `send` and verifies every inbound DATA before `receive`).

import type { GroupId, MessageId, Ordering, PeerId, ViewId } from '../ids.ts';
import type { ProtocolError } from '../result.ts';
import type { View } from '../tracker/events.ts';
import type { DataFrame, EngineFrame, JoinerState, SignedFields } from '../wire/frames.ts';
import type { FlushProof } from './flush-proof.ts';
import type { FinalProof } from './final-proof.ts';

export interface Outbound {
  /** A single peer, or every other member of the current view. */
  readonly to: PeerId | 'all';
  readonly frame: EngineFrame;
}

export interface Delivery {
  readonly id: MessageId;
  readonly frame: DataFrame;
  /** Sortable string: the position in this group's log (same on every member for total order). */
  readonly order: string;
  /** The view the message was delivered in. */
  readonly viewId: ViewId;
  /** The session shows it already (markShown): delivered in the view, not to be shown or stored again. */
  readonly shown?: true;
}

export type EngineEvent =
  | { readonly type: 'view-installed'; readonly view: View }
  | { readonly type: 'message-dropped'; readonly id: MessageId; readonly reason: string }
  | { readonly type: 'blocked'; readonly reason: 'view-change' }
  /**
   * Total order: member `by` echoed another FINAL or version of message `id` than this member holds
   * (PROTOCOL.md §3.3 "Echo"). The message's sender or `by` lied; nobody delivers it in this view, and
   * the view change that comes when either leaves orders it once for all.
   */
  | { readonly type: 'final-disputed'; readonly id: MessageId; readonly by: PeerId; readonly reason: string }
  /**
   * Participant `by` named another digest of the FLUSH reports for view `viewId` than this member holds
   * (PROTOCOL.md §3.4 "Same reports everywhere"): a participant sent members different reports, or `by`
   * lies. Nobody installs `viewId`; the flush for the next view (when the liar leaves) goes on.
   */
  | { readonly type: 'flush-disputed'; readonly viewId: ViewId; readonly by: PeerId; readonly reason: string }
  /**
   * Total order: the sender `by` of message `id` signed two FINALs for it that differ, or a FINAL for
   * another version than its DATA (PROTOCOL.md §3.3 "Signed FINALs"). The message is disputed; the
   * runtime hands `proof` to the tracker, which checks both signatures and evicts the sender.
   */
  | { readonly type: 'final-equivocation'; readonly id: MessageId; readonly by: PeerId; readonly proof: FinalProof }
  /**
   * Participant `by` signed two different FLUSH reports for view `viewId` (PROTOCOL.md §3.4 "Signed
   * reports"): the runtime hands `proof` to the tracker, which checks both signatures and evicts it.
   */
  | { readonly type: 'flush-equivocation'; readonly viewId: ViewId; readonly by: PeerId; readonly proof: FlushProof };

export interface EngineOutput {
  readonly frames: readonly Outbound[];
  readonly deliveries: readonly Delivery[];
  readonly events: readonly EngineEvent[];
}

/** An input the engine refused; its state is unchanged. `remote` says whose fault it is. */
export interface Rejection {
  readonly rejected: true;
  readonly fault: 'remote' | 'local';
  readonly error: ProtocolError;
}

export type EngineResult = EngineOutput | Rejection;

export interface OrderingEngine {
  readonly mode: Ordering;
  readonly self: PeerId;
  readonly groupId: GroupId;
  /** The installed view, or null before the first one. */
  readonly view: View | null;
  /**
   * False for a joiner until it has state (adopted from a sponsor, or from a
   * flush in which nobody had any: the group starts afresh). The runtime
   * reads it to end a history sync the flush made moot. Optional so other
   * engines may leave it out; the runtime then treats them as stateless.
   */
  readonly hasState?: boolean;
  /**
   * Our own seqs at or below this were used by an earlier engine of this peer id in an earlier
   * incarnation that the state we adopted does not count (hwm.floor, PROTOCOL.md §3.1): the group
   * holds none of them, so our next message restarts its chain (§1.5). Null when there is none;
   * optional like hasState.
   */
  readonly resumeFloor?: number | null;
  /**
   * Our own seqs `from`..`to` that the adopted state does not count and that the runtime offered to send
   * again (adoptJoinerState's `reissue`, PROTOCOL.md §3.1 "Re-issue"): the next drafts take these seqs, in
   * order, before any new one. Null when nothing is re-issued; optional like hasState.
   */
  readonly reissued?: { readonly from: number; readonly to: number } | null;
  /**
   * Step 1 of a send: reserve the next seq and lamport and return the fields
   * to sign. Drafts must be committed in the order they were made.
   */
  draft(body: string, now: number): SignedFields | Rejection;
  /** Step 2: the signed DATA frame built from the last draft. */
  send(frame: DataFrame, now: number): EngineResult;
  /** A parsed (and, for DATA inside any frame, signature-verified) frame from a view member. */
  receive(from: PeerId, frame: EngineFrame, now: number): EngineResult;
  /** A view from the tracker. Starts the flush; the view is installed once the flush resolves. */
  installView(view: View, now: number): EngineResult;
  /** A data channel to `peer` (re)opened: exchange high-water marks. */
  linkUp(peer: PeerId, now: number): EngineResult;
  tick(now: number): EngineResult;
  /**
   * Total order: members whose agreement input (PROPOSE, FINAL, ECHO) for a message held here has been missing
   * for `waitMs` or more (PROTOCOL.md §3.3 "Overdue"); the runtime reports them `stalled`. Optional.
   */
  agreementOverdue?(now: number, waitMs: number): readonly PeerId[];
  /**
   * Participants of the flush under way whose own FLUSH report or FLUSH-OK has been missing for `waitMs` or
   * more (PROTOCOL.md §3.4 "Withheld from everyone"); the runtime reports them `stalled`. Optional.
   */
  flushOverdue?(now: number, waitMs: number): readonly PeerId[];
  /** Total order: copies of our PROPOSE for messages that waited half of `waitMs` (§3.3 "Overdue"). Optional. */
  chaseAgreement?(now: number, waitMs: number): EngineResult;
  /** For a sponsor: what a joiner needs after it has the history. */
  joinerState(): JoinerState;
  /**
   * For a joiner: adopt the sponsor's state before the first view that includes it. `reissue`: our store
   * holds our own messages `from`..`to` of the state's incarnation (`to`: the resume point): those the
   * state does not count are drafted again under their seqs (`reissued`) instead of passed by the floor.
   */
  adoptJoinerState(state: JoinerState, reissue?: { readonly from: number; readonly to: number }): EngineResult;
  /**
   * For a joiner: what its session shows already (from its store or history pages), per sender
   * the next seq. A message below it that this engine delivers later (the adopted state, a flush,
   * a frame that waited) is delivered marked `shown`, not to be handed out again. Grows only.
   */
  markShown(shown: Readonly<Record<string, number>>): void;
  /**
   * For a joiner: the Lamport time of a history message its session shows. The clock runs from at
   * least there, so in a FIFO group its first message sorts after the history it shows even when the
   * hand-over carries no unstable message to take the clock from (PROTOCOL.md §3.2). Optional.
   */
  observeClock?(lamport: number): void;
}

export const isRejection = (r: EngineResult | SignedFields | Rejection): r is Rejection =>
  (r as Rejection).rejected === true;
