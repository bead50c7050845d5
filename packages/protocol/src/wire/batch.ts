// BATCH: several whole frames for one link in one data-channel message
// (PROTOCOL.md §1.2b). The sender packs what it produced for the link in one
// event-loop turn (BatchWriter); the receiver unpacks and reads every member
// with the same parser as a frame sent alone (parseChannelMessage), so a
// batch is exactly its members sent one after another: a member that is bad
// is refused on its own, the others are kept. Chunks never travel in a batch
// (a chunked frame is bigger than any batch may be), nor do batches nest.
//
// Wire text: {"t":"batch","frames":[<frame>,<frame>,…]}, at most
// CHUNK_THRESHOLD_BYTES in all. A batch of one is never sent: one frame
// leaves as its own text, as before batches existed.

import { err, ok, type Result } from '../result.ts';
import { CHUNK_THRESHOLD_BYTES, MAX_BATCH_FRAMES } from './caps.ts';
import type { GroupFrame, WireFrame } from './frames.ts';
import { parseFrameValue, parseJsonText, type ParseContext } from './parse-frame.ts';
import { utf8ByteLength } from './utf8.ts';

const BATCH_HEAD = '{"t":"batch","frames":[';
const BATCH_TAIL = ']}';
/** Bytes of a batch's text around its members (both parts are ASCII). */
const ENVELOPE_BYTES = BATCH_HEAD.length + BATCH_TAIL.length;

/** The text of a batch of frame texts (each a whole frame's JSON). */
export const encodeBatch = (texts: readonly string[]): string => `${BATCH_HEAD}${texts.join(',')}${BATCH_TAIL}`;

/**
 * Packs one link's frame texts into as few messages as the byte cap allows,
 * in order. Holds at most one message's worth (CHUNK_THRESHOLD_BYTES): a text
 * that would overflow the open batch closes it first, and `add` hands the
 * closed message back to be sent at once. The caller calls `take` at the end
 * of the turn for what is left.
 */
export class BatchWriter {
  #texts: string[] = [];
  #bytes = ENVELOPE_BYTES;
  readonly #maxBytes: number;

  constructor(maxBytes = CHUNK_THRESHOLD_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Frames waiting in the open batch. */
  get pending(): number {
    return this.#texts.length;
  }

  /** UTF-8 bytes the open batch would take on the wire (0 when empty). */
  get pendingBytes(): number {
    return this.#texts.length === 0 ? 0 : this.#texts.length === 1 ? this.#bytes - ENVELOPE_BYTES : this.#bytes;
  }

  /**
   * Adds one whole frame's text (at most the byte cap: a bigger frame is
   * chunked and sent alone, after `take`). Returns the message the open batch
   * became when this text did not fit in it, else null.
   */
  add(text: string, bytes: number = utf8ByteLength(text)): string | null {
    const separator = this.#texts.length === 0 ? 0 : 1;
    const closed = this.#texts.length > 0 && this.#bytes + separator + bytes > this.#maxBytes ? this.take() : null;
    if (this.#texts.length > 0) this.#bytes += 1;
    this.#texts.push(text);
    this.#bytes += bytes;
    if (this.#texts.length >= MAX_BATCH_FRAMES) return closed ?? this.take();
    return closed;
  }

  /**
   * One frame's messages as the codec made them (one text, or its chunks
   * when it is over the cap): the messages to send now, in order — a batch
   * that filled up, or the open batch followed by the chunks, which travel
   * alone. An empty list (a frame the codec refused) changes nothing.
   */
  push(texts: readonly string[]): string[] {
    if (texts.length === 1) {
      const full = this.add(texts[0] as string);
      return full === null ? [] : [full];
    }
    if (texts.length === 0) return [];
    const open = this.take();
    return open === null ? [...texts] : [open, ...texts];
  }

  /** The open batch as one message (a lone frame as its own text), or null when nothing is waiting. */
  take(): string | null {
    const texts = this.#texts;
    if (texts.length === 0) return null;
    this.#texts = [];
    this.#bytes = ENVELOPE_BYTES;
    return texts.length === 1 ? (texts[0] as string) : encodeBatch(texts);
  }

  /** Forget the open batch (the link is down). */
  clear(): void {
    this.#texts = [];
    this.#bytes = ENVELOPE_BYTES;
  }
}

/** One data-channel message, read: a single frame (possibly a chunk) or a batch's members, each read on its own. */
export type ChannelMessage =
  | { readonly kind: 'frame'; readonly frame: WireFrame }
  | { readonly kind: 'batch'; readonly members: readonly Result<GroupFrame>[] };

/**
 * Reads one data-channel message (at most CHUNK_THRESHOLD_BYTES unless
 * `ctx.maxBytes` says otherwise). A message that is not JSON, or a batch
 * whose envelope is wrong (no member array, no members, too many), is
 * refused whole; a bad member is refused in its place among the others.
 * Never throws.
 */
export function parseChannelMessage(text: string, ctx: ParseContext): Result<ChannelMessage> {
  const value = parseJsonText(text, ctx.maxBytes ?? CHUNK_THRESHOLD_BYTES);
  if (!value.ok) return value;
  const v = value.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || (v as { t?: unknown }).t !== 'batch') {
    const frame = parseFrameValue(v, ctx);
    return frame.ok ? ok({ kind: 'frame', frame: frame.value }) : frame;
  }
  const frames: unknown = Object.hasOwn(v, 'frames') ? (v as { frames: unknown }).frames : undefined;
  if (!Array.isArray(frames))
    return err(frames === undefined ? 'missing-field' : 'bad-type', 'batch.frames must be an array of frames.');
  if (frames.length === 0) return err('bad-type', 'batch.frames is empty: a batch carries at least one frame.');
  if (frames.length > MAX_BATCH_FRAMES)
    return err('too-many', `The batch carries ${frames.length} frames; the limit is ${MAX_BATCH_FRAMES}.`);
  const members = frames.map((m: unknown, i): Result<GroupFrame> => {
    const kind = typeof m === 'object' && m !== null ? (m as { t?: unknown }).t : undefined;
    if (kind === 'batch') return err('bad-type', `batch.frames[${i}] is a batch: batches do not nest.`);
    if (kind === 'chunk') return err('bad-type', `batch.frames[${i}] is a chunk: chunks travel alone.`);
    const r = parseFrameValue(m, ctx);
    // Not a chunk (refused above), so a GroupFrame.
    return r.ok ? ok(r.value as GroupFrame) : err(r.error.code, `batch.frames[${i}]: ${r.error.message}`);
  });
  return ok({ kind: 'batch', members });
}
