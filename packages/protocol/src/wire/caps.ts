// Caps on everything that crosses the data-channel trust boundary, next to the
// parser that enforces them (as socket.io-parser keeps its attachment cap).
// Each value says why it is what it is; change one and PROTOCOL.md §1 with it.

const KIB = 1024;

/**
 * A reassembled frame, in UTF-8 bytes. The biggest legitimate frames are a
 * FLUSH carrying a burst of unstable messages and a history page; 1 MiB holds
 * ~250 max-length messages (4000 chars, up to 3 bytes each) and thousands of
 * ordinary ones, yet bounds what one peer can make us buffer per frame.
 */
export const MAX_FRAME_BYTES = 1024 * KIB;

/**
 * One data-channel message, in UTF-8 bytes. 16 KiB is the size every WebRTC
 * stack delivers unfragmented (Firefox/Chromium/libdatachannel interop limit);
 * frames over it are split into CHUNK frames that each fit under it.
 */
export const CHUNK_THRESHOLD_BYTES = 16 * KIB;

/**
 * Chunks of one frame. A JSON text escapes at most 2 bytes per byte when put
 * inside a chunk's `part` string (`"` → `\"`), so MAX_FRAME_BYTES needs ~130
 * chunks; 256 leaves room and still bounds the per-frame bookkeeping.
 */
export const MAX_CHUNKS = 256;

/**
 * Frames in one BATCH message (wire/batch.ts). A batch is one data-channel
 * message, so CHUNK_THRESHOLD_BYTES bounds it already; the smallest frame
 * is over 40 bytes, so 16 KiB never holds more than ~400 of them. The cap
 * bounds what a hostile batch of empty objects can make us allocate.
 */
export const MAX_BATCH_FRAMES = 512;

/** Partially reassembled frames per peer at once. The mesh sends one frame at a time; 4 tolerates pipelining. */
export const MAX_OUTSTANDING_CHUNKED_FRAMES = 4;

/** A partial frame not completed within this time is dropped (a reliable ordered channel never needs longer). */
export const CHUNK_ASSEMBLY_TIMEOUT_MS = 30_000;

/** Chunk ids are short counters chosen by the sender; 64 chars fits any counter or uuid. */
export const MAX_CHUNK_ID_CHARS = 64;

/**
 * The latest DATA `sentAt` (ms since the epoch): the end of the ECMAScript Date
 * range (year 275760). Above it `new Date(sentAt)` is an Invalid Date and
 * `toISOString()` throws, so one signed message would break the group's view
 * on every member, every time it is shown.
 */
export const MAX_SENT_AT_MS = 8_640_000_000_000_000;

/** A chat message body, in UTF-16 code units (String.length), as Discord's 4000. */
export const MAX_BODY_CHARS = 4000;

/** Peer and group ids: random tokens (uuid is 36); 64 leaves room without letting ids carry payloads. */
export const MAX_PEER_ID_CHARS = 64;
export const MAX_GROUP_ID_CHARS = 64;

/**
 * Peer ids are `[A-Za-z0-9_-]`: no `:` or `/` because a MessageId is `${group}/${sender}:${seq}`,
 * and nothing that needs escaping in logs, URLs or IndexedDB keys.
 */
export const PEER_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Names that must never become object keys (prototype pollution), as socket.io-parser reserves names. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A sender's display name riding on a history item, in UTF-16 code units. The
 * tracker caps names at 64 code points (tracker/parse.ts MAX_NAME_CHARS); one
 * code point is at most 2 units.
 */
export const MAX_SENDER_NAME_UNITS = 128;

/** History order keys and cursors are sortable strings built by the engine; 128 chars is ample. */
export const MAX_ORDER_KEY_CHARS = 128;

/** Items in one history page. A sponsor must also keep the page under MAX_FRAME_BYTES. */
export const MAX_HISTORY_ITEMS = 200;

/**
 * Unstable messages and pending reports in one FLUSH frame (one part of a report); bounded by MAX_FRAME_BYTES in
 * practice too.
 */
export const MAX_FLUSH_ITEMS = 2048;

/**
 * FINALs echoed in one ECHO frame (an engine step applies a handful; a replay after a view change, at most a view's
 * worth).
 */
export const MAX_ECHO_ITEMS = 2048;

/**
 * Entries in one cumulative PROPOSE or FINAL (`proposes`, `finals`, the `list` a FINAL is signed in:
 * PROTOCOL.md §1.2c). 64 FINAL entries of the longest peer ids and 88-character versions stay under
 * CHUNK_THRESHOLD_BYTES, so a cumulative frame is never chunked.
 */
export const MAX_CUMULATIVE_ITEMS = 64;

/** Distinct signed lists one ECHO restates (`echo.lists`). */
export const MAX_ECHO_LISTS = 64;

/**
 * Parts of one FLUSH report, and of one joiner state handed over on history
 * pages. A report or state that does not fit one frame travels in parts of
 * ~256 KiB (FLUSH_PART_BYTES, STATE_PART_BYTES): 1024 parts hold ~256 MiB of
 * unstable messages, far past what a member keeps between two high-water
 * marks, while a peer can make us hold at most one partial report of 1024
 * frames at a time.
 */
export const MAX_PARTS = 1024;

/**
 * Per-sender entries in `delivered` / `nextSeq` maps. Senders of earlier views
 * stay in them, so this is larger than any mesh (a browser full mesh tops out
 * around a few dozen members).
 */
export const MAX_SENDER_ENTRIES = 1024;

/** Sequence numbers, Lamport clocks, view ids, timestamps: exact integers only (no floats on the wire). */
export const MAX_WIRE_INTEGER = Number.MAX_SAFE_INTEGER;

/** ISIS priorities are integers compared exactly; past 2^53 they would silently collide. */
export const MAX_PRIORITY = Number.MAX_SAFE_INTEGER;

/** An Ed25519 signature is 64 bytes: 88 base64 characters with `==` padding. */
export const ED25519_SIGNATURE_B64_CHARS = 88;

/** A raw Ed25519 public key is 32 bytes: 44 base64 characters with one `=`. */
export const ED25519_PUBLIC_KEY_B64_CHARS = 44;

/**
 * Members listed in one view inside a frame (FLUSH `installed`). A full mesh
 * costs n-1 connections per browser, so groups stay far below this; the cap
 * only bounds what a hostile frame can make us allocate.
 */
export const MAX_VIEW_MEMBERS = 256;
