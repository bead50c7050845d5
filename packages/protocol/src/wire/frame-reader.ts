// What a group's mesh calls for every inbound data-channel message: parse it,
// unpack a batch, reassemble chunks, parse the reassembled frame. State: only
// the chunk assembler's partial frames; everything else is parseFrame's and
// parseChannelMessage's stateless rules.

import type { GroupId, PeerId } from '../ids.ts';
import { err, ok, type Result } from '../result.ts';
import { parseChannelMessage } from './batch.ts';
import { CHUNK_THRESHOLD_BYTES } from './caps.ts';
import { parseChunkMessage } from './chunk-message.ts';
import { ChunkAssembler, type ChunkAssemblerOptions } from './chunk-assembler.ts';
import type { GroupFrame, WireFrame } from './frames.ts';
import { parseFrame } from './parse-frame.ts';

export class FrameReader {
  readonly #assembler: ChunkAssembler;

  constructor(
    readonly groupId: GroupId,
    opts: ChunkAssemblerOptions = {},
  ) {
    this.#assembler = new ChunkAssembler(opts);
  }

  /**
   * Every frame one channel message carries, in order, each a frame or why it
   * was refused: one for a single frame, one per member for a batch, none
   * while a chunked frame is still arriving. A batch refused whole (its
   * envelope is bad) is one refusal.
   */
  readMessage(from: PeerId, text: string, now: number): readonly Result<GroupFrame>[] {
    // Every channel message is at most one chunk's worth; only reassembled text may be bigger.
    const msg = parseChannelMessage(text, { groupId: this.groupId, from, maxBytes: CHUNK_THRESHOLD_BYTES });
    if (!msg.ok) return [msg];
    if (msg.value.kind === 'batch') return msg.value.members;
    const whole = this.#whole(from, msg.value.frame, now);
    return whole === null ? [] : [whole];
  }

  /** The frame a binary channel message carries: always a file chunk (wire/chunk-message.ts), or why it was refused. */
  readBinary(bytes: Uint8Array): Result<GroupFrame> {
    if (bytes.length > CHUNK_THRESHOLD_BYTES)
      return err('too-large', `A binary message of ${bytes.length} bytes; the limit is ${CHUNK_THRESHOLD_BYTES}.`);
    return parseChunkMessage(bytes, this.groupId);
  }

  #whole(from: PeerId, frame: WireFrame, now: number): Result<GroupFrame> | null {
    if (frame.t !== 'chunk') return ok(frame);
    const whole = this.#assembler.push(from, frame, now);
    if (!whole.ok) return whole;
    if (whole.value === null) return null;
    const inner = parseFrame(whole.value, { groupId: this.groupId, from });
    if (!inner.ok) return inner;
    if (inner.value.t === 'chunk') return err('bad-type', 'A reassembled frame cannot itself be a chunk.');
    return ok(inner.value);
  }

  prune(now: number): number {
    return this.#assembler.prune(now);
  }

  dropPeer(from: PeerId): void {
    this.#assembler.dropPeer(from);
  }

  get pending(): number {
    return this.#assembler.pending;
  }
}
