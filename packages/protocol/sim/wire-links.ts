// Opt-in (SimOptions.wire): the simulated links carry text, as the mesh's
// do. The frames one session sends to one peer while it handles one event
// (one turn) are packed by the shipped BatchWriter (chunked by encodeForWire
// above 16 KiB) into data-channel messages; each message is one arrival on
// the simulated channel, and the receiver reads it with the shipped
// FrameReader (unpack, reassemble, parse) before its engine sees the frames.
// Off by default: it changes when frames arrive, so the numbered seeds of
// the default runs would no longer replay the scenarios recorded for them.
//
// The only shim: the simulator's stand-in signatures (fake-signature.ts) and
// keys (`sim-key:…`, a history item's or head's `senderKey`) are not
// Ed25519-shaped, so on the wire each is written as the 64 (a key: 32) bytes
// of base64 the parser expects, holding its text, and read back unchanged.

import { base64ToBytes, bytesToBase64 } from '../src/crypto/base64.ts';
import type { GroupId, PeerId } from '../src/ids.ts';
import { err, ok, type Result } from '../src/result.ts';
import { BatchWriter } from '../src/wire/batch.ts';
import { encodeForWire } from '../src/wire/chunking.ts';
import { FrameReader } from '../src/wire/frame-reader.ts';
import type { GroupFrame } from '../src/wire/frames.ts';

const SIG_BYTES = 64;
const KEY_BYTES = 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const toWireSig = (sig: string, size = SIG_BYTES): string => {
  const text = encoder.encode(sig);
  if (text.length > size)
    throw new Error(`wire: a stand-in signature or key of ${text.length} bytes does not fit ${size}`);
  const bytes = new Uint8Array(size);
  bytes.set(text);
  return bytesToBase64(bytes);
};

const fromWireSig = (sig: string): string => {
  const bytes = base64ToBytes(sig);
  if (bytes === null) return sig;
  const end = bytes.indexOf(0);
  return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
};

/** Signature fields: every `sig`, a FINAL's `version` and an echo entry's `final` (PROTOCOL.md §3.3). */
const SIG_KEYS = new Set(['sig', 'version', 'final']);

/** Every signature in a frame (DATA, and DATA nested in FLUSH and history; FINAL; ECHO) and every key rewritten. */
const mapSigs = <T>(frame: T, f: (sig: string, size?: number) => string): T =>
  JSON.parse(JSON.stringify(frame), (k, v: unknown) =>
    SIG_KEYS.has(k) && typeof v === 'string'
      ? f(v)
      : k === 'senderKey' && typeof v === 'string'
        ? f(v, KEY_BYTES)
        : LIST_KEYS.has(k) && Array.isArray(v)
          ? v.map((item) => listItem(item, f))
          : k === 'lists' && Array.isArray(v)
            ? v.map((l: unknown) => (Array.isArray(l) ? l.map((item) => listItem(item, f)) : l))
            : v,
  ) as T;

/** Signed lists (PROTOCOL.md §1.2c): each entry `[seq, p, by, version]` ends in a signature. */
const LIST_KEYS = new Set(['items', 'list']);

const listItem = (item: unknown, f: (sig: string) => string): unknown =>
  Array.isArray(item) && item.length === 4 && typeof item[3] === 'string'
    ? [item[0], item[1], item[2], f(item[3])]
    : item;

export class WireLinks {
  #chunkIds = 0;
  /**
   * One reader per direction of a channel and epoch: a channel that went down
   * took its partial chunked frames with it (a new epoch starts clean).
   */
  readonly #readers = new Map<string, FrameReader>();
  /** Messages put on the simulated channels. */
  texts = 0;
  /** Frames they carried. */
  frames = 0;

  /** The messages one turn's frames for one link become, in order. */
  pack(frames: readonly GroupFrame[]): string[] {
    const writer = new BatchWriter();
    const out: string[] = [];
    for (const frame of frames) {
      const enc = encodeForWire(mapSigs(frame, toWireSig), `c${++this.#chunkIds}`);
      if (!enc.ok) throw new Error(`wire: the engine made a ${frame.t} frame no peer accepts: ${enc.error.message}`);
      out.push(...writer.push(enc.value));
    }
    const last = writer.take();
    if (last !== null) out.push(last);
    this.texts += out.length;
    this.frames += frames.length;
    return out;
  }

  /** The frames one message carries (or why the receiver refused them), in order. */
  read(groupId: GroupId, to: PeerId, from: PeerId, epoch: number, text: string, now: number): Result<GroupFrame>[] {
    const key = `${groupId}|${from}|${to}|${epoch}`;
    let reader = this.#readers.get(key);
    if (reader === undefined) {
      reader = new FrameReader(groupId);
      this.#readers.set(key, reader);
    }
    return reader
      .readMessage(from, text, now)
      .map((r) => (r.ok ? ok(mapSigs(r.value, fromWireSig)) : err(r.error.code, r.error.message)));
  }
}
