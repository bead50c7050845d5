// What a group's mesh calls for every inbound data-channel message: parse it,
// reassemble chunks, parse the reassembled frame. State: only the chunk
// assembler's partial frames; everything else is parseFrame's stateless rules.

import type { GroupId, PeerId } from '../ids.ts';
import { err, ok, type Result } from '../result.ts';
import { CHUNK_THRESHOLD_BYTES } from './caps.ts';
import { ChunkAssembler, type ChunkAssemblerOptions } from './chunk-assembler.ts';
import type { GroupFrame } from './frames.ts';
import { parseFrame } from './parse-frame.ts';

export class FrameReader {
  readonly #assembler: ChunkAssembler;

  constructor(
    readonly groupId: GroupId,
    opts: ChunkAssemblerOptions = {},
  ) {
    this.#assembler = new ChunkAssembler(opts);
  }

  /** A whole frame, null while a chunked frame is still arriving, or why the message was refused. */
  read(from: PeerId, text: string, now: number): Result<GroupFrame | null> {
    // Every channel message is at most one chunk's worth; only reassembled text may be bigger.
    const outer = parseFrame(text, { groupId: this.groupId, from, maxBytes: CHUNK_THRESHOLD_BYTES });
    if (!outer.ok) return outer;
    if (outer.value.t !== 'chunk') return ok(outer.value);
    const whole = this.#assembler.push(from, outer.value, now);
    if (!whole.ok) return whole;
    if (whole.value === null) return ok(null);
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
