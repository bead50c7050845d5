// The facade a UI (Svelte app, terminal client, bot) uses. One identity, many
// groups. Everything here is plain data so a UI can copy it into its state.

import type {
  GroupId,
  GroupSummary,
  LeaveReason,
  MemberInfo,
  MessageId,
  MessageOp,
  Ordering,
  PeerId,
  View,
  ViewId,
} from '@chorus/protocol';

export type DeliveryState = 'pending' | 'delivered';

export interface ChatMessage {
  readonly id: MessageId;
  readonly groupId: GroupId;
  readonly sender: PeerId;
  readonly senderName: string;
  /**
   * The sender's Ed25519 public key (base64) when known (always for live
   * messages; a record stored without one has none). A person is this key,
   * never the name: two keys with one name are two people (docs/design.md §6).
   */
  readonly senderKey?: string;
  readonly body: string;
  readonly sentAt: number;
  /** Position in the group's log; sort by this string. Pending messages have '~' + local seq. */
  readonly order: string;
  readonly state: DeliveryState;
  readonly viewId: ViewId;
  /**
   * Present when the message is a file (its body is a file operation,
   * PROTOCOL.md §10): what the sender signed about the bytes. The bytes are
   * not in the message; fetch them with `files.fetch(message)`.
   */
  readonly file?: FileInfo;
}

/**
 * A file message's signed description (PROTOCOL.md §10). `name` is already
 * sanitized by the parser (no path, no control characters, at most 255
 * characters): still render it as text, never as HTML.
 */
export interface FileInfo {
  readonly name: string;
  /** MIME type as the sender's browser gave it ('' when unknown); not trusted: sniff before rendering inline. */
  readonly type: string;
  /** Bytes. */
  readonly size: number;
  /** SHA-256 of the whole file, lowercase hex: the file's address (`files.read(hash)`, transfer events). */
  readonly sha256: string;
  /** Merkle root over the file's chunks, lowercase hex: every chunk is verified against it. */
  readonly root: string;
  /** Bytes per chunk (FILE_CHUNK_BYTES). */
  readonly chunkSize: number;
  /** The text sent with the file ('' when none). */
  readonly caption: string;
}

/** What `files.send` takes: the bytes and what to call them. */
export interface FileInput {
  readonly name: string;
  /** MIME type ('' when unknown). */
  readonly type: string;
  readonly bytes: Uint8Array;
}

export type TransferState = 'running' | 'done' | 'failed' | 'cancelled';

/**
 * Progress of one file on this peer, emitted as `transfer` on every change
 * (at most every PROGRESS_INTERVAL_MS while running, and once at the end).
 * `send`: hashing and storing our own file before its message goes out
 * (bytesDone counts bytes hashed and stored). `receive`: fetching chunks from
 * the members that hold them (bytesDone counts verified, stored bytes,
 * including those found already stored after a reload).
 */
export interface TransferEvent {
  readonly groupId: GroupId;
  /** FileInfo.sha256. */
  readonly hash: string;
  readonly name: string;
  readonly direction: 'send' | 'receive';
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Recent rate (bytes per second, over the last few seconds); 0 when idle. */
  readonly bytesPerSec: number;
  /** Receive only: members currently serving chunks of it. */
  readonly sources: number;
  readonly state: TransferState;
  /** When `failed`: a code (`too-large`, `quota`, `store-failed`, `unavailable`, `bad-file`) and a sentence. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** Files over the mesh (PROTOCOL.md §10): `peer.files`. */
export interface FileApi {
  /**
   * Hash and store the file, then send its message (a DATA like any text).
   * Resolves with the message (pending, as `send`) once the file is stored
   * here, so this peer already serves it. Rejects (`ChorusError`) with
   * `too-large` above the size cap (nothing stored), `quota` when storage is
   * full (what was stored before is kept), `not-member`, `too-long` when
   * name + caption do not fit a message.
   */
  send(groupId: GroupId, file: FileInput, caption?: string): Promise<ChatMessage>;
  /**
   * The file's bytes, fetched from every member that holds them if they are
   * not stored here yet (resuming from the chunks already stored). Two calls
   * for one file share one transfer. Resolves once every chunk is verified and
   * the whole file matches its SHA-256; rejects (`ChorusError`) with
   * `not-file`, `too-large` (declared size over the cap: nothing fetched),
   * `cancelled`, `quota`, `store-failed`, `unavailable` (no member served a
   * chunk for FILE_UNAVAILABLE_MS), `bad-file` (the chunks match the root
   * but not the SHA-256: the sender signed an inconsistent description).
   */
  fetch(message: ChatMessage): Promise<Uint8Array>;
  /** Stop fetching (the chunks stored so far are kept, a later fetch resumes). No-op when nothing runs. */
  cancel(hash: string): void;
  /** The whole file when it is stored complete here, else null. */
  read(hash: string): Promise<Uint8Array | null>;
  /** What is stored of a file: complete, partly (a fetch resumes from here), or null when nothing. */
  stored(
    hash: string,
  ): Promise<{ readonly bytesStored: number; readonly bytesTotal: number; readonly complete: boolean } | null>;
  /** Transfers running now (and the last state of those that ended recently), for a view that mounts late. */
  transfers(): readonly TransferEvent[];
  /** Files in delivered messages up to this many bytes are fetched without asking (0: never). */
  setAutoDownload(maxBytes: number): void;
  readonly autoDownloadBytes: number;
  /** Declared sizes above this are refused before any byte is stored (default 100 MiB). */
  readonly maxFileBytes: number;
}

export interface SystemLine {
  readonly groupId: GroupId;
  readonly at: number;
  readonly peerId: PeerId;
  readonly name: string;
  readonly change: 'joined' | LeaveReason;
}

export interface MemberState extends MemberInfo {
  readonly online: boolean;
  /** This session reaches the member only through this other member (a relayed link, PROTOCOL.md §1.6). */
  readonly via?: PeerId;
}

export type GroupStatus = 'joining' | 'member' | 'removed' | 'left';

/** A member's older history: still arriving, missing for this session (no old member left to hand it), or neither. */
export type OlderHistory = 'arriving' | 'missing' | null;

export interface JoinedGroup {
  readonly groupId: GroupId;
  readonly name: string;
  readonly ordering: Ordering;
  readonly status: GroupStatus;
  readonly view: View | null;
  readonly members: readonly MemberState[];
  /**
   * True while this member still takes the group's older history (PROTOCOL.md
   * §4): it sends and receives already, and older messages keep arriving as
   * `message` events and in `history()`; a `group` event says when it ends.
   */
  readonly olderHistory?: true;
  /**
   * True when this member's older history stopped arriving with no member online left to hand it
   * (PROTOCOL.md §4): what arrived stays; a later session asks for the rest again.
   */
  readonly olderHistoryMissing?: true;
}

export interface GroupMetrics {
  readonly sent: number;
  readonly received: number;
  readonly total: number;
  readonly throughputPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly rejectedFrames: number;
  /**
   * Delivered operations this session refused to apply (PROTOCOL.md §8): an
   * edit or delete signed by a key that is not the message's author, one that
   * names an operation, a malformed one. Each also raises an `error` event.
   */
  readonly refusedOps: number;
  /** Typing and read markers dropped for coming faster than one per second per peer and kind (PROTOCOL.md §9). */
  readonly droppedSignals: number;
  /** Recent delivery latencies (ms), oldest first, for a plot. */
  readonly recentLatenciesMs: readonly number[];
}

/**
 * An ephemeral marker from a member (PROTOCOL.md §9): typing, or the newest
 * message its open, visible tab shows. Never stored, never ordered.
 */
export interface SignalEvent {
  readonly groupId: GroupId;
  readonly from: PeerId;
  readonly name: string;
  readonly kind: 'typing' | 'read';
  /** Read markers only: the newest message the member's tab shows. */
  readonly seen?: MessageId;
  /** Our clock when it arrived. */
  readonly at: number;
}

export type ConnectionState = 'connecting' | 'online' | 'offline';

export interface PeerEventMap {
  connection: ConnectionState;
  directory: readonly GroupSummary[];
  /**
   * A direct message of this key (its summary has `dm`): `opened` when the
   * other person just opened it (a `dm:opened` push), not when it was only
   * listed in the tracker's hello after a (re)connect.
   */
  dm: { readonly group: GroupSummary; readonly opened: boolean };
  group: JoinedGroup;
  message: ChatMessage;
  system: SystemLine;
  signal: SignalEvent;
  /** A file being stored for sending or fetched (see TransferEvent). */
  transfer: TransferEvent;
  error: {
    readonly groupId?: GroupId;
    readonly code: string;
    readonly message: string;
    /**
     * Set on an event that updates an earlier one (a running count, e.g. the
     * bad chunks refused from one member in one download): a UI shows the
     * newest event of a topic in place of the earlier ones.
     */
    readonly topic?: string;
  };
}

export type CommandResult =
  | { readonly kind: 'groups'; readonly groups: readonly GroupSummary[] }
  | { readonly kind: 'members'; readonly groupId: GroupId; readonly members: readonly MemberInfo[] }
  | { readonly kind: 'joined' | 'switched' | 'left'; readonly groupId: GroupId }
  | { readonly kind: 'quit' }
  | { readonly kind: 'error'; readonly message: string };

export interface ChorusPeer {
  readonly peerId: PeerId;
  readonly name: string;
  /** Files and images over the mesh (PROTOCOL.md §10). */
  readonly files: FileApi;
  connect(): Promise<void>;
  directory(): readonly GroupSummary[];
  groups(): readonly JoinedGroup[];
  createGroup(name: string, ordering: Ordering, password?: string): Promise<GroupSummary>;
  /**
   * The direct message with the person of this key (docs/design.md §6): made
   * if needed, never listed; join it with `join` like a group. Only the two
   * keys may join it.
   */
  openDm(person: { readonly publicKey: string; readonly name: string }): Promise<GroupSummary>;
  /** The direct messages of this key the tracker listed at the last hello, plus those opened since. */
  dms(): readonly GroupSummary[];
  /**
   * Resolves once this peer is a member: the sponsor's state is adopted with
   * the newest page of history; older pages follow (`JoinedGroup.olderHistory`).
   */
  join(groupId: GroupId, password?: string): Promise<JoinedGroup>;
  leave(groupId: GroupId): Promise<void>;
  /** A plain text; one that starts with U+0000 (the operation marker, PROTOCOL.md §8) is refused (`bad-input`). */
  send(groupId: GroupId, text: string): Promise<ChatMessage>;
  /** A reply, edit, delete or reaction (PROTOCOL.md §8): sent like a text, ordered with the log. */
  sendOp(groupId: GroupId, op: MessageOp): Promise<ChatMessage>;
  /**
   * Stored history of a group, oldest first (cached messages before the mesh
   * is up): the newest `limit` messages, or those with sentAt >= `since`, or
   * the newest `limit` with an order key below `before` (the page before the
   * oldest a view holds: how a log reads older messages as it scrolls up).
   */
  /**
   * Tell the group's members we are typing, or which message our visible tab
   * shows newest. Ephemeral: sent to the open links only, at most one per
   * second per kind (more are skipped here, and would be dropped by the
   * receivers); false when it was skipped or we are not a member yet.
   */
  signal(
    groupId: GroupId,
    marker: { readonly kind: 'typing' } | { readonly kind: 'read'; readonly seen: MessageId },
  ): boolean;
  history(
    groupId: GroupId,
    opts?: { readonly since?: number; readonly before?: string; readonly limit?: number },
  ): Promise<readonly ChatMessage[]>;
  metrics(groupId: GroupId): GroupMetrics | null;
  /** A `/` command from the composer (docs/design.md §3). `current` is the open group. */
  command(line: string, current: GroupId | null): Promise<CommandResult>;
  on<K extends keyof PeerEventMap>(event: K, listener: (value: PeerEventMap[K]) => void): () => void;
  close(): Promise<void>;
}
