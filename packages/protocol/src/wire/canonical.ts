// The one byte encoding a DATA signature covers, and the text encoding of a
// frame on the wire. Signatures never cover the JSON a peer sent (key order
// and spacing are the sender's business); they cover this fixed array, so a
// relay that reorders keys changes nothing that is verified.

import type { PeerId } from '../ids.ts';
import type {
  EchoFrame,
  FinalFields,
  FinalItem,
  FlushOkFrame,
  FlushOkStatementFields,
  FlushStatementFields,
  SignedFields,
  WireFrame,
} from './frames.ts';
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

/** Domain tag of a cumulative FINAL's list (PROTOCOL.md §1.2c): never read as a single FINAL or a DATA text. */
export const SIGNED_FINALS_TAG = 'chorus-finals-v1';

/**
 * What a FINAL's `sig` covers, as JSON text: `["chorus-final-v1", groupId, viewId, sender, seq, p, by, version]`,
 * or, for a FINAL signed in a list, `["chorus-finals-v1", groupId, viewId, sender, [[seq, p, by, version], …]]`
 * (whether the list holds the FINAL's own entry is `listHolds`, wire/cumulative.ts).
 */
export const canonicalFinalText = (f: FinalFields): string =>
  f.list === undefined
    ? JSON.stringify([SIGNED_FINAL_TAG, f.groupId, f.viewId, f.sender, f.seq, f.priority.p, f.priority.by, f.version])
    : canonicalFinalsText(f.groupId, f.viewId, f.sender, f.list);

const listTexts = new WeakMap<
  readonly FinalItem[],
  { readonly groupId: string; readonly viewId: number; readonly sender: string; readonly text: string }
>();

/** The signed text of a cumulative FINAL's list. */
export function canonicalFinalsText(
  groupId: FinalFields['groupId'],
  viewId: FinalFields['viewId'],
  sender: FinalFields['sender'],
  items: readonly FinalItem[],
): string {
  // Every entry of a list is checked and echoed on its own: the text is made once per list.
  const known = listTexts.get(items);
  if (known !== undefined && known.groupId === groupId && known.viewId === viewId && known.sender === sender)
    return known.text;
  const text = JSON.stringify([
    SIGNED_FINALS_TAG,
    groupId,
    viewId,
    sender,
    items.map(([seq, p, by, v]) => [seq, p, by, v]),
  ]);
  listTexts.set(items, { groupId, viewId, sender, text });
  return text;
}

/** Domain tag of a signed FLUSH report (PROTOCOL.md §3.4 "Signed reports"): never read as a DATA or FINAL text. */
export const SIGNED_FLUSH_TAG = 'chorus-flush-v1';

/** `["chorus-flush-v1", groupId, viewId, reporter, report]` as JSON text: what a FLUSH report's `sig` covers. */
export const canonicalFlushText = (s: FlushStatementFields): string =>
  JSON.stringify([SIGNED_FLUSH_TAG, s.groupId, s.viewId, s.reporter, s.report]);

/** The UTF-8 of canonicalFlushText: the bytes a FLUSH report's signature covers. */
export const canonicalFlushBytes = (s: FlushStatementFields): Uint8Array<ArrayBuffer> =>
  utf8Bytes(canonicalFlushText(s));

/** Domain tag of a signed FLUSH-OK (PROTOCOL.md §3.4 "Relay"): never read as a report's, a DATA's or a FINAL's text. */
export const SIGNED_FLUSH_OK_TAG = 'chorus-flush-ok-v1';

/**
 * `["chorus-flush-ok-v1", groupId, viewId, sender, [[reporter, report]…]]` as JSON text, the restated
 * hashes sorted by reporter (the order on the wire is the sender's): what a FLUSH-OK's `sig` covers.
 */
export const canonicalFlushOkText = (s: FlushOkStatementFields): string =>
  JSON.stringify([
    SIGNED_FLUSH_OK_TAG,
    s.groupId,
    s.viewId,
    s.sender,
    s.held
      .map((h): [string, string] => [h.reporter, h.report])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  ]);

/** The UTF-8 of canonicalFlushOkText: the bytes a FLUSH-OK's signature covers. */
export const canonicalFlushOkBytes = (s: FlushOkStatementFields): Uint8Array<ArrayBuffer> =>
  utf8Bytes(canonicalFlushOkText(s));

/** The statement a FLUSH-OK of `sender` signs. */
export const flushOkStatementOf = (f: FlushOkFrame, sender: PeerId): FlushOkStatementFields => ({
  groupId: f.groupId,
  viewId: f.viewId,
  sender,
  held: (f.held ?? []).map((h) => ({ reporter: h.reporter, report: h.report })),
});

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
  ...(f.list === undefined ? {} : { list: f.list }),
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
    : frame.t === 'echo' && frame.finals.some((e) => e.list !== undefined)
      ? JSON.stringify(echoWire(frame))
      : JSON.stringify(frame);

/** An ECHO whose entries restate FINALs signed in lists: each list once in `lists`, entries name it by index. */
function echoWire(frame: EchoFrame): object {
  const lists: (readonly FinalItem[])[] = [];
  const index = new Map<readonly FinalItem[], number>();
  // Entries of one list share it; a copy of it (read back from text) is found by its content.
  const byText = new Map<string, number>();
  const finals = frame.finals.map((e) => {
    if (e.list === undefined) return e;
    let i = index.get(e.list);
    if (i === undefined) {
      const text = JSON.stringify(e.list);
      i = byText.get(text) ?? lists.push(e.list) - 1;
      index.set(e.list, i);
      byText.set(text, i);
    }
    return { ...e, list: i };
  });
  return { ...frame, finals, lists };
}
