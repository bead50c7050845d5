// The one byte encoding a DATA signature covers, and the text encoding of a
// frame on the wire. Signatures never cover the JSON a peer sent (key order
// and spacing are the sender's business); they cover this fixed array, so a
// relay that reorders keys changes nothing that is verified.

import type { FinalFields, FlushStatementFields, SignedFields, WireFrame } from './frames.ts';
import { utf8Bytes } from './utf8.ts';
import { encodeChunkBase64 } from '../files/chunk-base64.ts';

/** Domain tag: a signature over DATA can never pass as one over a tracker challenge or a later format. */
export const SIGNED_DATA_TAG = 'chorus-data-v1';
/** Domain tag of a chained DATA (one that carries `prev`, PROTOCOL.md §1.5): never read as a v1 text. */
export const SIGNED_CHAINED_DATA_TAG = 'chorus-data-v2';

/**
 * `["chorus-data-v1", groupId, viewId, sender, seq, lamport, sentAt, body]` —
 * or, for a DATA with `prev` (a chained one, PROTOCOL.md §1.5),
 * `["chorus-data-v2", groupId, viewId, sender, seq, lamport, sentAt, body, prev]`
 * — as JSON text. JSON.stringify of strings and safe integers is
 * deterministic in every engine (ES2019 well-formed stringify escapes lone
 * surrogates).
 */
export function canonicalSignedText(fields: SignedFields): string {
  const { groupId, viewId, sender, seq, lamport, sentAt, body, prev } = fields;
  return prev === undefined
    ? JSON.stringify([SIGNED_DATA_TAG, groupId, viewId, sender, seq, lamport, sentAt, body])
    : JSON.stringify([SIGNED_CHAINED_DATA_TAG, groupId, viewId, sender, seq, lamport, sentAt, body, prev]);
}

/** Domain tag of a signed FINAL (PROTOCOL.md §3.3): never read as a DATA text. */
export const SIGNED_FINAL_TAG = 'chorus-final-v1';

/** `["chorus-final-v1", groupId, viewId, sender, seq, p, by, version]` as JSON text: what a FINAL's `sig` covers. */
export const canonicalFinalText = (f: FinalFields): string =>
  JSON.stringify([SIGNED_FINAL_TAG, f.groupId, f.viewId, f.sender, f.seq, f.priority.p, f.priority.by, f.version]);

/** Domain tag of a signed FLUSH report (PROTOCOL.md §3.4 "Signed reports"): never read as a DATA or FINAL text. */
export const SIGNED_FLUSH_TAG = 'chorus-flush-v1';

/** `["chorus-flush-v1", groupId, viewId, reporter, report]` as JSON text: what a FLUSH report's `sig` covers. */
export const canonicalFlushText = (s: FlushStatementFields): string =>
  JSON.stringify([SIGNED_FLUSH_TAG, s.groupId, s.viewId, s.reporter, s.report]);

/** The UTF-8 of canonicalFlushText: the bytes a FLUSH report's signature covers. */
export const canonicalFlushBytes = (s: FlushStatementFields): Uint8Array<ArrayBuffer> =>
  utf8Bytes(canonicalFlushText(s));

/** The UTF-8 of canonicalFinalText: the bytes a FINAL signature covers. */
export const canonicalFinalBytes = (f: FinalFields): Uint8Array<ArrayBuffer> => utf8Bytes(canonicalFinalText(f));

/** Just the signed fields of a FINAL (or of an echo entry read with its echo's group and view). */
export const finalFieldsOf = (f: FinalFields): FinalFields => ({
  groupId: f.groupId,
  viewId: f.viewId,
  sender: f.sender,
  seq: f.seq,
  priority: { p: f.priority.p, by: f.priority.by },
  version: f.version,
});

/** The UTF-8 of canonicalSignedText: the bytes a DATA signature covers. */
export const canonicalSignedBytes = (fields: SignedFields): Uint8Array<ArrayBuffer> =>
  utf8Bytes(canonicalSignedText(fields));

/** Just the signed fields of a frame (drops `t`, `sig` and anything else riding along). */
export const signedFieldsOf = (f: SignedFields): SignedFields => ({
  groupId: f.groupId,
  viewId: f.viewId,
  sender: f.sender,
  seq: f.seq,
  lamport: f.lamport,
  sentAt: f.sentAt,
  body: f.body,
  ...(f.prev === undefined ? {} : { prev: f.prev }),
});

/**
 * The JSON text of a frame; the mesh chunks it when it is over
 * CHUNK_THRESHOLD_BYTES (see encodeForWire). A file chunk's bytes are base64
 * in JSON (a data channel carries it as binary instead: wire/chunk-message.ts).
 */
export const encodeFrame = (frame: WireFrame): string =>
  frame.t === 'file-chunk'
    ? JSON.stringify({ ...frame, data: encodeChunkBase64(frame.data), proof: frame.proof.map(encodeChunkBase64) })
    : JSON.stringify(frame);
