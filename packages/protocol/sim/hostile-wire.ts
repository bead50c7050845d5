// The hostile node's frames cross the same boundary a real peer's do: the
// product's encoder (`encodeForWire`, chunks above the threshold) on the
// liar's side, the product's `FrameReader` (parse, reassemble, parse, every
// cap) on the honest side, then the signature checks of packages/peer
// `FrameVerifier` (modelled here with the simulator's fake signatures) before
// the honest SessionCore sees anything. Honest nodes' frames to each other skip
// this (they are well-formed by construction; the seeds stay as they were).
//
// The wire grammar wants an Ed25519 signature (88 base64 characters) and key
// (44): a simulator signature `sim:<sender>:<hash>` travels padded into those
// sizes and is read back after parsing, so the parser sees real shapes and the
// checker real fake signatures.

import type { GroupId, PeerId } from '../src/ids.ts';
import { frameMessageId } from '../src/ids.ts';
import { ok, type Result } from '../src/result.ts';
import { encodeForWire } from '../src/wire/chunking.ts';
import { FrameReader } from '../src/wire/frame-reader.ts';
import type {
  DataFrame,
  FinalFrame,
  FlushFrame,
  GroupFrame,
  HistoryItem,
  HistoryResponseFrame,
  JoinerState,
} from '../src/wire/frames.ts';
import { finalOfEcho } from '../src/ordering/final-proof.ts';
import { finalsOf } from '../src/wire/cumulative.ts';
import { flushOkStatementOf } from '../src/wire/canonical.ts';
import { flushAccused, flushContradicts, type FlushProof } from '../src/ordering/flush-proof.ts';
import { fakeVerify, fakeVerifyFinal, fakeVerifyFlush, fakeVerifyFlushOk } from './fake-signature.ts';

const SIG_BYTES = 64;
const KEY_BYTES = 32;

const pad = (text: string, bytes: number): string => {
  const raw = Buffer.from(text, 'utf8');
  if (raw.length > bytes) throw new Error(`simulator signature or key ${text} is longer than ${bytes} bytes`);
  return Buffer.concat([raw, Buffer.alloc(bytes - raw.length)]).toString('base64');
};

const unpad = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8').replace(/\0+$/, '');

/** Every `sig` and `senderKey` in a frame, rewritten by `f` (the frame is JSON data). */
const transcode = (value: unknown, f: (text: string, bytes: number) => string): unknown => {
  if (Array.isArray(value)) return value.map((v) => transcode(v, f));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // A FINAL's `version` and an echo entry's `final` are signatures too (PROTOCOL.md §3.3).
    if ((k === 'sig' || k === 'version' || k === 'final') && typeof v === 'string') out[k] = f(v, SIG_BYTES);
    // A signed list's entries end in a version: `finals.items`, a FINAL's `list`, an echo's `lists` (§1.2c).
    else if ((k === 'items' || k === 'list') && Array.isArray(v)) out[k] = v.map((item) => listItem(item, f));
    else if (k === 'lists' && Array.isArray(v))
      out[k] = v.map((l: unknown) => (Array.isArray(l) ? l.map((item) => listItem(item, f)) : l));
    else if (k === 'senderKey' && typeof v === 'string') out[k] = f(v, KEY_BYTES);
    else out[k] = transcode(v, f);
  }
  return out;
};

/** A signed list's entry, or anything else under `items` (a history page's items): transcoded whole. */
const listItem = (item: unknown, f: (text: string, bytes: number) => string): unknown =>
  Array.isArray(item) && item.length === 4 && typeof item[3] === 'string'
    ? [item[0], item[1], item[2], f(item[3], SIG_BYTES)]
    : transcode(item, f);

/** The simulator's stand-in for a member's public key (the views carry the same). */
export const simKey = (peer: PeerId): string => `sim-key:${peer}`;

export class LiarWire {
  private chunks = 0;
  /** One reader per (honest receiver, link): its chunk assembler's partial frames are per link. */
  private readonly readers = new Map<string, FrameReader>();

  /** The channel messages for one frame, or why the product's encoder refused it. */
  encode(frame: GroupFrame): Result<readonly string[]> {
    return encodeForWire(transcode(frame, pad) as GroupFrame, `c${++this.chunks}`);
  }

  /**
   * One channel message at an honest receiver: each frame it completes, or the parser's refusal (none while chunks
   * arrive).
   */
  decode(groupId: GroupId, to: PeerId, from: PeerId, text: string, now: number): readonly Result<GroupFrame>[] {
    const key = `${to}|${from}`;
    let reader = this.readers.get(key);
    if (reader === undefined) {
      reader = new FrameReader(groupId);
      this.readers.set(key, reader);
    }
    return reader.readMessage(from, text, now).map((r) => (r.ok ? ok(transcode(r.value, unpad) as GroupFrame) : r));
  }

  /** Chunked frames still being reassembled at `to` from `from` (MAX_OUTSTANDING_CHUNKED_FRAMES bounds it). */
  pending(to: PeerId, from: PeerId): number {
    return this.readers.get(`${to}|${from}`)?.pending ?? 0;
  }
}

/** What the honest session may take, as packages/peer FrameVerifier hands it on. */
export type Verified =
  | { readonly kind: 'frame'; readonly frame: GroupFrame }
  | { readonly kind: 'page'; readonly page: HistoryResponseFrame; readonly items: readonly HistoryItem[] };

/**
 * FrameVerifier's rules with fake signatures: a DATA whose signature fails is
 * refused, and so is a FLUSH whose report is not signed by `from` (or the `reporter` it relays) or a FLUSH-OK
 * restating a report its reporter did not sign; a FLUSH's or a state's unstable messages that fail are left out;
 * history items of another group or that fail (with the key the receiver
 * knows for their sender, else the item's own) are left out. `knows` says
 * whether the receiver holds a key for a peer (from a view).
 */
export const verifyLikePeer = (
  groupId: GroupId,
  from: PeerId,
  frame: GroupFrame,
  knows: (peer: PeerId) => boolean,
  rejected: (why: string) => void,
): Verified | null => {
  const good = (f: DataFrame): boolean => {
    if (fakeVerify(f)) return true;
    rejected(`Message ${frameMessageId(f)} does not carry a valid signature of its sender.`);
    return false;
  };
  switch (frame.t) {
    case 'data':
      return good(frame) ? { kind: 'frame', frame } : null;
    case 'final':
      if (fakeVerifyFinal(frame)) return { kind: 'frame', frame };
      rejected(`The FINAL of ${frame.sender}:${frame.seq} does not carry a valid signature of its sender.`);
      return null;
    case 'finals':
      if (fakeVerifyFinal(finalsOf(frame)[0] as FinalFrame)) return { kind: 'frame', frame };
      rejected(`The FINALs of ${frame.sender} do not carry a valid signature of their sender.`);
      return null;
    case 'echo':
      if (frame.finals.every((e) => fakeVerifyFinal(finalOfEcho(frame, e)))) return { kind: 'frame', frame };
      rejected('An ECHO restates a FINAL its sender did not sign.');
      return null;
    case 'flush': {
      const { report, sig, reporter = from } = frame;
      if (report === undefined || sig === undefined || !fakeVerifyFlush({ ...frame, reporter, report, sig })) {
        rejected(
          `${reporter}'s FLUSH report for view ${frame.viewId} does not carry a valid signature of its reporter.`,
        );
        return null;
      }
      const flush: FlushFrame = { ...frame, unstable: frame.unstable.filter(good) };
      return { kind: 'frame', frame: flush };
    }
    case 'flush-ok': {
      // Its sender's signature (a relayed one names its sender: checked with that one's key), then each restated one.
      const sender = frame.sender ?? from;
      if (!fakeVerifyFlushOk(flushOkStatementOf(frame, sender), frame.sig)) {
        const relayed = sender === from ? '' : ` relayed by ${from}`;
        rejected(
          `${sender}'s FLUSH-OK for view ${frame.viewId}${relayed} does not carry a valid signature of its sender.`,
        );
        return null;
      }
      const bad = (frame.held ?? []).find(
        ({ reporter, report, sig }) =>
          sig === undefined || !fakeVerifyFlush({ groupId, viewId: frame.viewId, reporter, report, sig }),
      );
      if (bad === undefined) return { kind: 'frame', frame };
      rejected(`The report of ${bad.reporter} that ${from}'s FLUSH-OK restates does not carry its signature.`);
      return null;
    }
    case 'history-res': {
      const checked = (item: HistoryItem): boolean => {
        if (item.frame.groupId !== groupId) {
          rejected(`History item ${frameMessageId(item.frame)} belongs to another group.`);
          return false;
        }
        const sender = item.frame.sender;
        if (!knows(sender) && item.senderKey !== simKey(sender)) {
          rejected(`History item ${frameMessageId(item.frame)} has no key its receiver can check.`);
          return false;
        }
        return good(item.frame);
      };
      const items = frame.items.filter(checked);
      const s = frame.state;
      const state: JoinerState | undefined =
        s === undefined ? undefined : { ...s, unstable: (s.unstable ?? []).filter((u) => good(u.frame)) };
      const heads = frame.heads?.filter(checked);
      const page = state === undefined ? frame : { ...frame, state, ...(heads === undefined ? {} : { heads }) };
      return { kind: 'page', page, items };
    }
    default:
      return { kind: 'frame', frame };
  }
};

/** The simulator tracker's check of a FLUSH proof: two statements `accused` signed for one view, two reports. */
export const flushProofHolds = (proof: FlushProof, accused: PeerId): boolean =>
  flushAccused(proof) === accused &&
  flushContradicts(proof) &&
  fakeVerifyFlush(proof.flush) &&
  fakeVerifyFlush(proof.other);
