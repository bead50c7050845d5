// The field readers every frame parser shares (parse-frame.ts, and the
// history readers in parse-history-frames.ts): the link's context, the
// group, view, peer and seq fields, signatures and hashes, a DATA frame
// wherever it appears, a priority and a part. Same rules as parse-frame.ts:
// never trust, throw FieldRejection with a code and a path.

import type { GroupId, PeerId, ViewId } from '../ids.ts';
import {
  ED25519_PUBLIC_KEY_B64_CHARS,
  ED25519_SIGNATURE_B64_CHARS,
  MAX_BODY_CHARS,
  MAX_GROUP_ID_CHARS,
  MAX_PARTS,
  MAX_PRIORITY,
  MAX_SENT_AT_MS,
} from './caps.ts';
import { isCanonicalSinglePadded, isDoublePadded, isSinglePadded } from './base64-shape.ts';
import { LINK_HASH_B64_CHARS } from './chain.ts';
import {
  field,
  FieldRejection,
  hasField,
  readInteger,
  readObject,
  readPeerIdText,
  readString,
  type JsonObject,
} from './field-reader.ts';
import type { DataFrame, FramePart, Priority } from './frames.ts';

export interface ParseContext {
  /** The group whose data channel this text arrived on. */
  readonly groupId: GroupId;
  /** The peer at the other end of that channel (as bound by the tracker). */
  readonly from: PeerId;
  /** UTF-8 byte cap for `text`; MAX_FRAME_BYTES by default (CHUNK_THRESHOLD_BYTES for a raw channel message). */
  readonly maxBytes?: number;
}

/** Standard base64 of exactly 64 bytes: 86 alphabet characters and `==`. */
const isSignatureShape = (text: string): boolean => isDoublePadded(text, ED25519_SIGNATURE_B64_CHARS);
/** Canonical base64 of exactly 32 bytes (the last character's two unused bits zero): a chain link (`prev`). */
const isLinkShape = (text: string): boolean => isCanonicalSinglePadded(text, LINK_HASH_B64_CHARS);
/** Standard base64 of exactly 32 bytes: 43 alphabet characters and `=`. */
export const isPublicKeyShape = (text: string): boolean => isSinglePadded(text, ED25519_PUBLIC_KEY_B64_CHARS);

export const forged = (path: string, claimed: string, from: PeerId): FieldRejection =>
  new FieldRejection('forged-sender', `${path} says "${claimed}" but the frame came from "${from}".`);

export function readGroup(o: JsonObject, ctx: ParseContext, path: string): GroupId {
  const g = readString(field(o, 'groupId', path), `${path}.groupId`, MAX_GROUP_ID_CHARS, 1);
  if (g !== ctx.groupId)
    throw new FieldRejection(
      'not-member',
      `${path}.groupId is "${g}" but the frame arrived on a link of group "${ctx.groupId}".`,
    );
  return g as GroupId;
}

export const readViewId = (o: JsonObject, path: string): ViewId =>
  readInteger(field(o, 'viewId', path), `${path}.viewId`, 0) as ViewId;
export const readPeer = (o: JsonObject, key: string, path: string): PeerId =>
  readPeerIdText(field(o, key, path), `${path}.${key}`) as PeerId;
export const readSeq = (o: JsonObject, path: string): number => readInteger(field(o, 'seq', path), `${path}.seq`, 1);

export const readSignature = (o: JsonObject, path: string, name = 'sig'): string =>
  readSignatureText(field(o, name, path), `${path}.${name}`);

/** A base64 Ed25519 signature wherever it appears (a field, or an item of a cumulative FINAL's list). */
export function readSignatureText(v: unknown, path: string): string {
  const sig = readString(v, path, ED25519_SIGNATURE_B64_CHARS);
  if (!isSignatureShape(sig))
    throw new FieldRejection(
      'bad-signature',
      `${path} is not a base64 Ed25519 signature (${ED25519_SIGNATURE_B64_CHARS} characters).`,
    );
  return sig;
}

export const readLink = (o: JsonObject, path: string): string => readHash(o['prev'], `${path}.prev`);

export function readHash(v: unknown, path: string): string {
  const hash = readString(v, path, LINK_HASH_B64_CHARS, LINK_HASH_B64_CHARS);
  if (!isLinkShape(hash)) throw new FieldRejection('bad-type', `${path} is not canonical base64 of a 32-byte hash.`);
  return hash;
}

/**
 * A DATA frame wherever it appears; who may carry it is the caller's rule. Built as one object literal per
 * shape (no spread of optional parts): a joiner parses one per history item, 100 000 in a long join.
 */
export function readData(o: JsonObject, ctx: ParseContext, path: string): DataFrame {
  if (field(o, 't', path) !== 'data') throw new FieldRejection('bad-type', `${path}.t must be "data".`);
  const groupId = readGroup(o, ctx, path);
  const viewId = readViewId(o, path);
  const sender = readPeer(o, 'sender', path);
  const seq = readSeq(o, path);
  const lamport = readInteger(field(o, 'lamport', path), `${path}.lamport`, 0);
  const sentAt = readInteger(field(o, 'sentAt', path), `${path}.sentAt`, 0, MAX_SENT_AT_MS);
  const body = readString(field(o, 'body', path), `${path}.body`, MAX_BODY_CHARS);
  const prev = hasField(o, 'prev') ? readLink(o, path) : undefined;
  const sig = readSignature(o, path);
  const frame: DataFrame =
    prev === undefined
      ? { t: 'data', groupId, viewId, sender, seq, lamport, sentAt, body, sig }
      : { t: 'data', groupId, viewId, sender, seq, lamport, sentAt, body, prev, sig };
  // Not signed: the sender's own ISIS proposal, which survivors use if it dies (PROTOCOL.md §3.5).
  return hasField(o, 'proposal') ? { ...frame, proposal: readPriority(o['proposal'], `${path}.proposal`) } : frame;
}

export function readPriority(v: unknown, path: string): Priority {
  const o = readObject(v, path);
  return {
    p: readInteger(field(o, 'p', path), `${path}.p`, 0, MAX_PRIORITY),
    by: readPeer(o, 'by', path),
  };
}

export function readPart(v: unknown, path: string): FramePart {
  const o = readObject(v, path);
  const count = readInteger(field(o, 'count', path), `${path}.count`, 1);
  if (count > MAX_PARTS)
    throw new FieldRejection('too-many', `${path}.count is ${count}; a report has at most ${MAX_PARTS} parts.`);
  const index = readInteger(field(o, 'index', path), `${path}.index`, 0);
  if (index >= count) throw new FieldRejection('bad-type', `${path}.index ${index} is outside 0..${count - 1}.`);
  return { index, count };
}
