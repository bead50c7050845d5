// Every frame that travels over a group's data channels, as one discriminated
// union on `t`. The JSON text of a frame is what goes on the wire (chunked by
// the mesh above CHUNK_THRESHOLD_BYTES). DATA is the only frame signed by its
// sender, because it is the only one that is stored and handed on (history,
// flush); every other frame is attributed to the data channel it arrived on.

import type { GroupId, MessageId, PeerId, ViewId } from '../ids.ts';
import type { FinalItem, FinalsFrame, ProposesFrame } from './cumulative.ts';
import type { FlushAskFrame, FlushOkFrame } from './flush-round-frames.ts';

export type {
  FlushAskFrame,
  FlushOkAskFrame,
  FlushOkFrame,
  FlushOkStatementFields,
  HeldReport,
  ReportAskFrame,
} from './flush-round-frames.ts';

export type { FinalItem, FinalsFrame, ProposeItem, ProposesFrame } from './cumulative.ts';

/** ISIS priority: compared lexicographically on (p, by); never a float. */
export interface Priority {
  readonly p: number;
  readonly by: PeerId;
}

/** The fields a sender signs (canonical encoding in wire/canonical.ts). */
export interface SignedFields {
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly sender: PeerId;
  readonly seq: number;
  readonly lamport: number;
  readonly sentAt: number;
  readonly body: string;
  /**
   * The hash of the same sender's previous DATA in this group
   * (`linkHash`, wire/chain.ts), or GENESIS_PREV for its first; signed.
   * Absent only on messages stored before chains (signed as v1, PROTOCOL.md §1.5).
   */
  readonly prev?: string;
}

export interface DataFrame extends SignedFields {
  readonly t: 'data';
  /** Ed25519 signature (base64) over canonicalSignedBytes(fields). */
  readonly sig: string;
  /**
   * Total order only, not signed: the sender's own ISIS proposal, attached by
   * its engine when it multicasts. Survivors of the sender's crash use it at
   * the flush so a message the sender already delivered gets the same agreed
   * priority everywhere (PROTOCOL.md §3). `by` must equal `sender`.
   */
  readonly proposal?: Priority;
}

export interface ProposeFrame {
  readonly t: 'propose';
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly sender: PeerId;
  readonly seq: number;
  readonly priority: Priority;
  /**
   * Another member's proposal (`priority.by`), forwarded to the message's sender by a member that holds its
   * copy (PROTOCOL.md §3.3 "Forwarded proposals"); absent, the proposal is the link's far end's own.
   */
  readonly forwarded?: true;
}

/** What a sender signs in its FINAL (canonicalFinalText, PROTOCOL.md §3.3 "Signed FINALs"). */
export interface FinalFields {
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly sender: PeerId;
  readonly seq: number;
  readonly priority: Priority;
  /** The signature of the DATA this FINAL orders: which version of the message it is for. */
  readonly version: string;
  /**
   * Present when the sender signed this FINAL in a cumulative list (PROTOCOL.md §1.2c): the whole
   * signed list, which holds this FINAL's own entry; the signature covers the list.
   */
  readonly list?: readonly FinalItem[];
}

/**
 * The agreed priority of a sender's message, signed by the sender, so a
 * second FINAL of its for the same message with another priority or version
 * is a proof anyone can check. `sig` is always on the wire (the parser
 * requires it); the engine's own FINALs leave it out and the session signs
 * them before they leave (SessionCore, `sign-final`).
 */
export interface FinalFrame extends FinalFields {
  readonly t: 'final';
  readonly sig?: string;
}

/**
 * One FINAL a member got from a message's sender, as it tells the other
 * members (EchoFrame): the sender's signed FINAL itself (its priority,
 * version and signature; the echo's `viewId` is the FINAL's), so an echoer
 * can restate it but never alter it.
 */
export interface EchoEntry {
  readonly sender: PeerId;
  readonly seq: number;
  /** The priority of the sender's FINAL. */
  readonly priority: Priority;
  /** The FINAL's `version`: the signature of the DATA it orders. */
  readonly sig: string;
  /** The sender's signature over the FINAL (canonicalFinalText). */
  readonly final: string;
  /** The FINAL's signed list, when it was signed in one (FinalFields.list; on the wire an index into `echo.lists`). */
  readonly list?: readonly FinalItem[];
  /**
   * The echoer does not apply this FINAL: it is below its own proposal, names
   * it at another priority, names the sender at another pair than its DATA's
   * proposal, or is for another version than the DATA it holds (§3.3 Echo).
   */
  readonly objected?: true;
}

/**
 * Total order only: the FINALs this member applied (in one step), told to the
 * other members of the view. A member delivers another sender's message only
 * once every other member (but the sender) echoed the same priority and
 * version, so a sender that tells members different FINALs (or DATA) is seen
 * before anyone delivers (PROTOCOL.md §3.3 "Echo"). Attributed to its link.
 */
export interface EchoFrame {
  readonly t: 'echo';
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly finals: readonly EchoEntry[];
}

/** What one survivor knows about one not-yet-delivered message at a view change. */
export interface PendingReport {
  readonly sender: PeerId;
  readonly seq: number;
  /** This member's own proposal, if it made one. */
  readonly proposed?: Priority;
  /** The agreed priority, if this member saw a FINAL. */
  readonly final?: Priority;
}

/**
 * Sent to every survivor when a new view arrives: the sender's unstable
 * messages (so everyone ends with the same set, S5), its proposals and
 * finals for undelivered messages, and its per-sender delivered counts.
 */
export interface FlushFrame {
  readonly t: 'flush';
  readonly groupId: GroupId;
  /** The view being installed. */
  readonly viewId: ViewId;
  readonly unstable: readonly DataFrame[];
  readonly pending: readonly PendingReport[];
  /** Highest agreed priority `A` this member has seen. */
  readonly agreed: number;
  readonly delivered: Readonly<Record<string, number>>;
  /**
   * True when the sender has not adopted a sponsor's state yet (a joiner of
   * an earlier view): its `delivered` and `agreed` carry no information and
   * are ignored; only its `unstable` (its own queued sends) count.
   */
  readonly joining?: boolean;
  /**
   * The view the reporter had installed when it flushed (the view its
   * pending messages were sent in). Lets survivors tell whether they know
   * the proposal of every member of that view (PROTOCOL.md §3.5).
   */
  readonly installed?: { readonly viewId: ViewId; readonly members: readonly PeerId[] };
  /**
   * Present when the report did not fit one frame: this frame is part
   * `index` of `count`. Every part repeats the fields above except
   * `unstable` and `pending`, which are split between the parts in order;
   * the receiver acts on the report once it holds every part.
   */
  readonly part?: FramePart;
  /**
   * The reporter's incarnation (the view the group's log began in,
   * PROTOCOL.md §3.11); absent when `joining`. A flush in which nobody
   * delivered anything yet still tells a joiner which incarnation it joins.
   */
  readonly incarnation?: ViewId;
  /**
   * `reportHash` of the whole report (every part repeats it): what the
   * reporter signs. The receiver refuses a report whose content hashes to
   * something else (PROTOCOL.md §3.4 "Signed reports"). Always on the wire.
   */
  readonly report?: string;
  /**
   * The reporter's signature over `canonicalFlushText` (group, view, reporter,
   * `report`), so two reports it signed for one view are a proof. Always on
   * the wire; the engine's own reports leave it out and the session signs
   * them before they leave (SessionCore, `sign-flush`).
   */
  readonly sig?: string;
  /**
   * Present only on a report relayed by another participant (an answer to FLUSH-ASK, PROTOCOL.md
   * §3.4 "Relay"): whose report it is. Never the link's peer (the parser refuses that); `sig` is
   * then checked with this reporter's key, so a relay cannot forge a report, only pass one on.
   */
  readonly reporter?: PeerId;
}

/** What a reporter signs for its FLUSH report (canonicalFlushText, PROTOCOL.md §3.4 "Signed reports"). */
export interface FlushStatementFields {
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly reporter: PeerId;
  /** `reportHash` of the report. */
  readonly report: string;
}

/** A reporter's signed word on its report for one view. */
export interface FlushStatement extends FlushStatementFields {
  readonly sig: string;
}

/** One frame of a report or state split over several (FLUSH, a joiner state on history pages). */
export interface FramePart {
  /** 0-based, < count. */
  readonly index: number;
  /** 1..MAX_PARTS. */
  readonly count: number;
}

/** Per-sender delivered counts; sent when a link (re)opens so the far end resends the gap. */
export interface HighWaterFrame {
  readonly t: 'hwm';
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly delivered: Readonly<Record<string, number>>;
  /**
   * The sender's own seqs at or below this are none of this incarnation's: an earlier engine of
   * its peer id used them, and the state it adopted counts fewer of its messages (the group went
   * through an empty view meanwhile). Every member's FIFO gate for the sender starts after it
   * (PROTOCOL.md §3.1). Only the sender's own hwm carries it, so a lie stalls only its own messages.
   */
  readonly floor?: number;
}

/**
 * A joiner asks its sponsor for the history it lacks (PROTOCOL.md §4). `have`
 * says what it holds: per sender, the next seq its store has (every seq below
 * it is there); the sponsor hands what it delivered that `have` does not
 * cover. `after` is where this paging stands in the sponsor's order (the last
 * item of the previous page), null for the first page of a hand-over. `req`
 * names this request: the answer carries it, so an answer to an earlier
 * request (a re-ask, a request to a former sponsor) is told apart.
 */
export interface HistoryRequestFrame {
  readonly t: 'history-req';
  readonly groupId: GroupId;
  readonly req: number;
  readonly have: Readonly<Record<string, number>>;
  readonly after: string | null;
  readonly limit: number;
  /**
   * Present: a paging backwards (newest first, PROTOCOL.md §4): the newest
   * items below this key, null for the newest of all (the page that carries
   * the state); `after` is then null. Absent: paging forwards after `after`.
   */
  readonly before?: string | null;
}

/** One page of history. `state` is present on the last page: what the joiner needs to take part. */
export interface HistoryResponseFrame {
  readonly t: 'history-res';
  readonly groupId: GroupId;
  /** The `req` of the request this page answers. */
  readonly req: number;
  readonly items: readonly HistoryItem[];
  readonly done: boolean;
  readonly state?: JoinerState;
  /**
   * Present when the state did not fit one frame: the last answer is `count`
   * frames (`done`, no items after the first), each with the same state
   * except for its share of `unstable`, in order.
   */
  readonly statePart?: FramePart;
  /**
   * Beside a state (PROTOCOL.md §4 "Heads"): per sender the state counts, the
   * signed DATA at its `nextSeq − 1` that the joiner's `have` does not cover
   * and this page's items do not carry; spread over the parts with the state.
   */
  readonly heads?: readonly HistoryItem[];
}

/** A delivered message as stored and handed on: the signed frame plus where it sits in the log. */
export interface HistoryItem {
  readonly frame: DataFrame;
  readonly order: string;
  /**
   * The sender's display name and raw Ed25519 public key (base64), as the
   * sponsor learned them from a view. Added by the group session: a joiner
   * cannot otherwise name or verify messages of members who left before it
   * joined. Keys of current view members always come from the tracker and
   * win over these.
   */
  readonly senderName?: string;
  readonly senderKey?: string;
}

export interface JoinerState {
  readonly viewId: ViewId;
  /**
   * The view in which the group's current log began (it started afresh there:
   * PROTOCOL.md §3.11). Total-order keys carry it; a joiner takes it over.
   */
  readonly incarnation: ViewId;
  readonly agreed: number;
  /** Next expected seq per sender (delivered + 1). */
  readonly nextSeq: Readonly<Record<string, number>>;
  /**
   * Messages the sponsor delivered but does not know every member has, with
   * the priority it delivered them at (total order). The joiner keeps them
   * like its own deliveries and reports them in later flushes, so a decision
   * only the sponsor saw survives the sponsor's crash (PROTOCOL.md §3.6).
   */
  readonly unstable?: readonly { readonly frame: DataFrame; readonly agreed?: Priority }[];
}

/** Transport-level piece of a frame larger than CHUNK_THRESHOLD_BYTES. */
export interface ChunkFrame {
  readonly t: 'chunk';
  readonly id: string;
  readonly index: number;
  readonly count: number;
  readonly part: string;
}

/**
 * An ephemeral marker (PROTOCOL.md §9): "I am typing" or "my open, visible
 * tab shows up to message `seen`". Not signed and not stored: attributed to
 * the data channel it arrived on (whose far end the tracker authenticated),
 * never handed to the ordering engine or the store, rate-limited per peer on
 * receive (wire/signal-gate.ts).
 */
export type SignalFrame =
  | { readonly t: 'signal'; readonly groupId: GroupId; readonly kind: 'typing' }
  | { readonly t: 'signal'; readonly groupId: GroupId; readonly kind: 'read'; readonly seen: MessageId };

/**
 * Asks a member for chunks of a file (PROTOCOL.md §10): `hash` is the file's
 * SHA-256 and `root` the chunk commitment of the signed file message the
 * asker holds; a holder serves only when its own root for `hash` is the same.
 */
export interface FileWantFrame {
  readonly t: 'file-want';
  readonly groupId: GroupId;
  readonly hash: string;
  readonly root: string;
  readonly chunks: readonly number[];
}

/**
 * One chunk of a file with its Merkle audit path (32-byte hashes, bottom up).
 * On a data channel it travels as a binary message (wire/chunk-message.ts);
 * in a relay envelope or the in-memory network as JSON with base64 fields
 * (encodeFrame).
 */
export interface FileChunkFrame {
  readonly t: 'file-chunk';
  readonly groupId: GroupId;
  readonly hash: string;
  readonly index: number;
  readonly data: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/** Chunks of a file the sender does not hold (or will not serve now): ask another holder. */
export interface FileNoneFrame {
  readonly t: 'file-none';
  readonly groupId: GroupId;
  readonly hash: string;
  readonly chunks: readonly number[];
}

export type FileFrame = FileWantFrame | FileChunkFrame | FileNoneFrame;

export type RelayKind = 'msg' | 'probe' | 'reset';

/**
 * A channel message of `from` to `to` carried by a third member because their
 * direct link cannot open (PROTOCOL.md §1.6). Signed by `from` over
 * canonicalRelayText; the relay forwards it unchanged. `n` grows by one per
 * envelope from `from` to `to`; `kind` is `msg` (body: one channel message),
 * `probe` (body `seq` or `seq.echo`: is this route alive? answered by the
 * destination's next probe echoing `seq`) or `reset` (no body: the sender saw
 * a gap and re-opens the relayed link).
 */
export interface RelayFrame {
  readonly t: 'relay';
  readonly groupId: GroupId;
  readonly from: PeerId;
  readonly to: PeerId;
  readonly n: number;
  readonly kind: RelayKind;
  readonly body: string;
  readonly sig: string;
}

/** Frames an ordering engine consumes and produces. */
export type EngineFrame =
  DataFrame | ProposeFrame | FinalFrame | EchoFrame | FlushFrame | FlushOkFrame | FlushAskFrame | HighWaterFrame;
/** Every frame on a group's data channel once chunks are reassembled. */
export type GroupFrame =
  | EngineFrame
  | ProposesFrame
  | FinalsFrame
  | HistoryRequestFrame
  | HistoryResponseFrame
  | SignalFrame
  | FileFrame
  | RelayFrame;
export type WireFrame = GroupFrame | ChunkFrame;
export type FrameKind = WireFrame['t'];
/** Frames the runtime handles before any session: markers (§9), file transfer (§10), relay envelopes (§1.6). */
export type RuntimeFrame = SignalFrame | FileFrame | RelayFrame;

const RUNTIME_KINDS: ReadonlySet<FrameKind> = new Set(['signal', 'file-want', 'file-chunk', 'file-none', 'relay']);
export const isRuntimeFrame = (frame: GroupFrame): frame is RuntimeFrame => RUNTIME_KINDS.has(frame.t);
