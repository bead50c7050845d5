// The one byte encoding a DATA signature covers, and the text encoding of a
// frame on the wire. Signatures never cover the JSON a peer sent (key order
// and spacing are the sender's business); they cover this fixed array, so a
// relay that reorders keys changes nothing that is verified.

import type { SignedFields, WireFrame } from './frames.ts';
import { utf8Bytes } from './utf8.ts';

/** Domain tag: a signature over DATA can never pass as one over a tracker challenge or a later format. */
export const SIGNED_DATA_TAG = 'chorus-data-v1';

/**
 * `["chorus-data-v1", groupId, viewId, sender, seq, lamport, sentAt, body]` as
 * UTF-8 JSON. JSON.stringify of strings and safe integers is deterministic in
 * every engine (ES2019 well-formed stringify escapes lone surrogates).
 */
export function canonicalSignedBytes(fields: SignedFields): Uint8Array<ArrayBuffer> {
  return utf8Bytes(
    JSON.stringify([
      SIGNED_DATA_TAG,
      fields.groupId,
      fields.viewId,
      fields.sender,
      fields.seq,
      fields.lamport,
      fields.sentAt,
      fields.body,
    ]),
  );
}

/** Just the signed fields of a frame (drops `t`, `sig` and anything else riding along). */
export const signedFieldsOf = (f: SignedFields): SignedFields => ({
  groupId: f.groupId,
  viewId: f.viewId,
  sender: f.sender,
  seq: f.seq,
  lamport: f.lamport,
  sentAt: f.sentAt,
  body: f.body,
});

/** The JSON text of a frame; the mesh chunks it when it is over CHUNK_THRESHOLD_BYTES (see encodeForWire). */
export const encodeFrame = (frame: WireFrame): string => JSON.stringify(frame);
