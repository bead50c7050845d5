// Frames <-> data-channel messages for one link. Owns chunking on the way out
// and unpacking, reassembly + parsing on the way in; packing a turn's frames
// into one BATCH message is the link's (pair-link.ts), the grammar and caps
// live in @chorus/protocol's wire module. Never throws: a refused message or
// batch member becomes a `reject` result with the parser's code.

import type { FileChunkFrame, GroupFrame, GroupId, PeerId, ProtocolError, Result } from '@chorus/protocol';
import { encodeChunkMessage, encodeForWire, FrameReader } from '@chorus/protocol';

export type DecodeResult =
  { readonly kind: 'frame'; readonly frame: GroupFrame } | { readonly kind: 'reject'; readonly error: ProtocolError };

export interface FrameDecoder {
  /** What one channel message carries, in order: one frame, a batch's members, or nothing yet (a chunk was stored). */
  decode(text: string, now: number): readonly DecodeResult[];
  /** A binary channel message: one file chunk (PROTOCOL.md §10.3), or why it was refused. */
  decodeBinary(bytes: Uint8Array): DecodeResult;
}

export interface FrameCodec {
  /** The channel messages for one frame: one text, or its chunks in order. */
  encode(frame: GroupFrame): readonly string[];
  /** The binary channel message of a file chunk (PROTOCOL.md §10.3). */
  encodeChunk(frame: FileChunkFrame): Uint8Array;
  /** A decoder with its own reassembly state, one per (link, connection). */
  decoder(groupId: GroupId, from: PeerId): FrameDecoder;
}

/**
 * The codec of record: @chorus/protocol's encodeForWire (chunks above
 * CHUNK_THRESHOLD_BYTES) out, its FrameReader (parse, reassemble, parse) in.
 */
export const wireCodec: FrameCodec = {
  encode(frame) {
    const known = encodedOnce.get(frame);
    if (known !== undefined) return known;
    const res = encodeForWire(frame, nextChunkId());
    if (!res.ok) {
      // A local bug (a frame no peer would accept); the engine resends nothing
      // it never handed over, so say so loudly instead of sending garbage.
      console.error(`mesh: refusing to send a ${frame.t} frame: ${res.error.message}`);
      return [];
    }
    if (res.value.length === 1) encodedOnce.set(frame, res.value);
    return res.value;
  },
  encodeChunk: encodeChunkMessage,
  decoder(groupId: GroupId, from: PeerId): FrameDecoder {
    const reader = new FrameReader(groupId);
    return {
      decode(text, now) {
        return reader.readMessage(from, text, now).map(result);
      },
      decodeBinary(bytes) {
        return result(reader.readBinary(bytes));
      },
    };
  },
};

const result = (r: Result<GroupFrame>): DecodeResult =>
  r.ok ? { kind: 'frame', frame: r.value } : { kind: 'reject', error: r.error };

/**
 * The text of a frame that fits one message, by frame object: a frame to every
 * member (a DATA, a FINAL, an HWM) is one object handed to each link, and is
 * encoded for the first only. Frames are immutable once made (every field
 * `readonly`). A chunked frame is encoded for each link with new chunk ids.
 */
const encodedOnce = new WeakMap<GroupFrame, readonly string[]>();

/**
 * Chunk ids only need to be unique among one sender's frames in flight on one
 * channel (the assembler keys partials by peer and id); a process-wide counter is.
 */
let chunkCounter = 0;
const nextChunkId = (): string => {
  chunkCounter = (chunkCounter + 1) % Number.MAX_SAFE_INTEGER;
  return chunkCounter.toString(36);
};
