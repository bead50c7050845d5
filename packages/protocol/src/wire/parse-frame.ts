// The one parser at the data-channel trust boundary: JSON text from a peer in,
// a typed WireFrame or a coded error out. It is stateless and never throws.
// It checks shape, caps, the group and who may send what on this link; it does
// not check signatures (crypto/signing.ts), views or replays (the engine).

import type { GroupId, PeerId, ViewId } from '../ids.ts';
import { err, ok, type Result } from '../result.ts';
import {
  MAX_BODY_CHARS,
  MAX_ECHO_ITEMS,
  MAX_FLUSH_ITEMS,
  MAX_FRAME_BYTES,
  MAX_GROUP_ID_CHARS,
  MAX_HISTORY_ITEMS,
  MAX_ORDER_KEY_CHARS,
  MAX_PARTS,
  MAX_PRIORITY,
  MAX_SENT_AT_MS,
  MAX_SENDER_NAME_UNITS,
  MAX_VIEW_MEMBERS,
  MAX_WIRE_INTEGER,
  ED25519_PUBLIC_KEY_B64_CHARS,
  ED25519_SIGNATURE_B64_CHARS,
} from './caps.ts';
import {
  field,
  FieldRejection,
  hasField,
  readArray,
  readBoolean,
  readCountMap,
  readInteger,
  readObject,
  readPeerIdText,
  readString,
  type JsonObject,
} from './field-reader.ts';
import type {
  DataFrame,
  EchoEntry,
  EchoFrame,
  FinalFrame,
  FlushFrame,
  FlushOkFrame,
  FrameKind,
  FramePart,
  HighWaterFrame,
  HistoryItem,
  HistoryRequestFrame,
  HistoryResponseFrame,
  JoinerState,
  PendingReport,
  Priority,
  ProposeFrame,
  WireFrame,
} from './frames.ts';
import { exceedsUtf8Bytes } from './utf8.ts';
import { LINK_HASH_B64_CHARS } from './chain.ts';
import { readChunk, readSignal } from './parse-signal.ts';
import { readFileChunk, readFileNone, readFileWant } from './parse-file-frames.ts';
import { readRelay } from './relay-frame.ts';

export interface ParseContext {
  /** The group whose data channel this text arrived on. */
  readonly groupId: GroupId;
  /** The peer at the other end of that channel (as bound by the tracker). */
  readonly from: PeerId;
  /** UTF-8 byte cap for `text`; MAX_FRAME_BYTES by default (CHUNK_THRESHOLD_BYTES for a raw channel message). */
  readonly maxBytes?: number;
}

export const FRAME_KINDS: readonly FrameKind[] = [
  'data',
  'propose',
  'final',
  'echo',
  'flush',
  'flush-ok',
  'hwm',
  'history-req',
  'history-res',
  'signal',
  'relay',
  'chunk',
  'file-want',
  'file-chunk',
  'file-none',
];
const isFrameKind = (s: string): s is FrameKind => (FRAME_KINDS as readonly string[]).includes(s);

/** Standard base64 of exactly 64 bytes: 86 alphabet characters and `==`. */
const SIGNATURE_PATTERN = new RegExp(`^[A-Za-z0-9+/]{${ED25519_SIGNATURE_B64_CHARS - 2}}==$`);
/** Canonical base64 of exactly 32 bytes (the last character's two unused bits zero): a chain link (`prev`). */
const LINK_PATTERN = new RegExp(`^[A-Za-z0-9+/]{${LINK_HASH_B64_CHARS - 2}}[AEIMQUYcgkosw048]=$`);
/** Standard base64 of exactly 32 bytes: 43 alphabet characters and `=`. */
const PUBLIC_KEY_PATTERN = new RegExp(`^[A-Za-z0-9+/]{${ED25519_PUBLIC_KEY_B64_CHARS - 1}}=$`);

export function parseFrame(text: string, ctx: ParseContext): Result<WireFrame> {
  const value = parseJsonText(text, ctx.maxBytes ?? MAX_FRAME_BYTES);
  return value.ok ? parseFrameValue(value.value, ctx) : value;
}

/** JSON text from a peer, size-checked, as a value; never throws. */
export function parseJsonText(text: string, maxBytes: number): Result<unknown> {
  if (typeof text !== 'string') return err('bad-type', 'A frame must be JSON text, not binary data.');
  if (exceedsUtf8Bytes(text, maxBytes)) return err('too-large', `The frame is over ${maxBytes} bytes.`);
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return err('bad-json', 'The frame is not valid JSON.');
  }
}

/** One frame from an already-parsed JSON value (a whole message, or one member of a batch: wire/batch.ts). */
export function parseFrameValue(value: unknown, ctx: ParseContext): Result<WireFrame> {
  try {
    return ok(readFrame(value, ctx));
  } catch (e) {
    if (e instanceof FieldRejection) return err(e.code, e.message);
    // Only a bug in this file (or an engine stack limit) lands here; it must still not escape.
    return err('internal', `The frame could not be parsed: ${e instanceof Error ? e.message : 'unknown failure'}.`);
  }
}

function readFrame(value: unknown, ctx: ParseContext): WireFrame {
  const o = readObject(value, 'frame');
  const t = readString(field(o, 't', 'frame'), 'frame.t', 32);
  if (!isFrameKind(t)) throw new FieldRejection('unknown-kind', `"${t}" is not a Chorus frame kind.`);
  switch (t) {
    case 'data': {
      const frame = readData(o, ctx, 'data');
      if (frame.sender !== ctx.from) throw forged('data.sender', frame.sender, ctx.from);
      // A live DATA is always chained (PROTOCOL.md §1.5); only stored messages from before chains lack `prev`.
      if (frame.prev === undefined)
        throw new FieldRejection(
          'missing-field',
          "data.prev is required: a DATA names the hash of its sender's previous one.",
        );
      return frame;
    }
    case 'propose':
      return readPropose(o, ctx);
    case 'final':
      return readFinal(o, ctx);
    case 'echo':
      return readEcho(o, ctx);
    case 'flush':
      return readFlush(o, ctx);
    case 'flush-ok':
      return readFlushOk(o, ctx);
    case 'hwm':
      return readHighWater(o, ctx);
    case 'history-req':
      return readHistoryRequest(o, ctx);
    case 'history-res':
      return readHistoryResponse(o, ctx);
    case 'signal':
      return readSignal(o, readGroup(o, ctx, 'signal'));
    case 'relay':
      return readRelay(o, readGroup(o, ctx, 'relay'), readSignature);
    case 'chunk':
      return readChunk(o);
    case 'file-want':
      return readFileWant(o, readGroup(o, ctx, 'file-want'));
    case 'file-chunk':
      return readFileChunk(o, readGroup(o, ctx, 'file-chunk'));
    case 'file-none':
      return readFileNone(o, readGroup(o, ctx, 'file-none'));
  }
}

const forged = (path: string, claimed: string, from: PeerId): FieldRejection =>
  new FieldRejection('forged-sender', `${path} says "${claimed}" but the frame came from "${from}".`);

function readGroup(o: JsonObject, ctx: ParseContext, path: string): GroupId {
  const g = readString(field(o, 'groupId', path), `${path}.groupId`, MAX_GROUP_ID_CHARS, 1);
  if (g !== ctx.groupId)
    throw new FieldRejection(
      'not-member',
      `${path}.groupId is "${g}" but the frame arrived on a link of group "${ctx.groupId}".`,
    );
  return g as GroupId;
}

const readViewId = (o: JsonObject, path: string): ViewId =>
  readInteger(field(o, 'viewId', path), `${path}.viewId`, 0) as ViewId;
const readPeer = (o: JsonObject, key: string, path: string): PeerId =>
  readPeerIdText(field(o, key, path), `${path}.${key}`) as PeerId;
const readSeq = (o: JsonObject, path: string): number => readInteger(field(o, 'seq', path), `${path}.seq`, 1);

function readSignature(o: JsonObject, path: string, name = 'sig'): string {
  const sig = readString(field(o, name, path), `${path}.${name}`, ED25519_SIGNATURE_B64_CHARS);
  if (!SIGNATURE_PATTERN.test(sig))
    throw new FieldRejection(
      'bad-signature',
      `${path}.${name} is not a base64 Ed25519 signature (${ED25519_SIGNATURE_B64_CHARS} characters).`,
    );
  return sig;
}

const readLink = (o: JsonObject, path: string): string => readHash(o['prev'], `${path}.prev`);

function readHash(v: unknown, path: string): string {
  const hash = readString(v, path, LINK_HASH_B64_CHARS, LINK_HASH_B64_CHARS);
  if (!LINK_PATTERN.test(hash))
    throw new FieldRejection('bad-type', `${path} is not canonical base64 of a 32-byte hash.`);
  return hash;
}

const readFlushOk = (o: JsonObject, ctx: ParseContext): FlushOkFrame => ({
  t: 'flush-ok',
  groupId: readGroup(o, ctx, 'flush-ok'),
  viewId: readViewId(o, 'flush-ok'),
  reports: readHash(field(o, 'reports', 'flush-ok'), 'flush-ok.reports'),
});

/** A DATA frame wherever it appears; who may carry it is the caller's rule. */
function readData(o: JsonObject, ctx: ParseContext, path: string): DataFrame {
  if (field(o, 't', path) !== 'data') throw new FieldRejection('bad-type', `${path}.t must be "data".`);
  return {
    t: 'data',
    groupId: readGroup(o, ctx, path),
    viewId: readViewId(o, path),
    sender: readPeer(o, 'sender', path),
    seq: readSeq(o, path),
    lamport: readInteger(field(o, 'lamport', path), `${path}.lamport`, 0),
    sentAt: readInteger(field(o, 'sentAt', path), `${path}.sentAt`, 0, MAX_SENT_AT_MS),
    body: readString(field(o, 'body', path), `${path}.body`, MAX_BODY_CHARS),
    ...(hasField(o, 'prev') ? { prev: readLink(o, path) } : {}),
    sig: readSignature(o, path),
    // Not signed: the sender's own ISIS proposal, which survivors use if it dies (PROTOCOL.md §3.5).
    ...(hasField(o, 'proposal') ? { proposal: readPriority(o['proposal'], `${path}.proposal`) } : {}),
  };
}

function readPriority(v: unknown, path: string): Priority {
  const o = readObject(v, path);
  return {
    p: readInteger(field(o, 'p', path), `${path}.p`, 0, MAX_PRIORITY),
    by: readPeer(o, 'by', path),
  };
}

function readPropose(o: JsonObject, ctx: ParseContext): ProposeFrame {
  const frame: ProposeFrame = {
    t: 'propose',
    groupId: readGroup(o, ctx, 'propose'),
    viewId: readViewId(o, 'propose'),
    sender: readPeer(o, 'sender', 'propose'),
    seq: readSeq(o, 'propose'),
    priority: readPriority(field(o, 'priority', 'propose'), 'propose.priority'),
  };
  // `sender` names the message being ordered; the proposer is `priority.by`, and only it may send its proposal.
  if (frame.priority.by !== ctx.from) throw forged('propose.priority.by', frame.priority.by, ctx.from);
  return frame;
}

function readFinal(o: JsonObject, ctx: ParseContext): FinalFrame {
  const frame: FinalFrame = {
    t: 'final',
    groupId: readGroup(o, ctx, 'final'),
    viewId: readViewId(o, 'final'),
    sender: readPeer(o, 'sender', 'final'),
    seq: readSeq(o, 'final'),
    priority: readPriority(field(o, 'priority', 'final'), 'final.priority'),
    version: readSignature(o, 'final', 'version'),
    sig: readSignature(o, 'final'),
  };
  // Only a message's sender announces its agreed priority; view-change resolutions travel in FLUSH.
  if (frame.sender !== ctx.from) throw forged('final.sender', frame.sender, ctx.from);
  return frame;
}

function readEchoEntry(v: unknown, path: string): EchoEntry {
  const o = readObject(v, path);
  return {
    sender: readPeer(o, 'sender', path),
    seq: readSeq(o, path),
    priority: readPriority(field(o, 'priority', path), `${path}.priority`),
    sig: readSignature(o, path),
    final: readSignature(o, path, 'final'),
    ...(readObjected(o, path) ? { objected: true as const } : {}),
  };
}

/** `objected` is `true` or absent. */
function readObjected(o: JsonObject, path: string): boolean {
  if (!hasField(o, 'objected')) return false;
  if (o['objected'] !== true) throw new FieldRejection('bad-type', `${path}.objected must be true when present.`);
  return true;
}

/** Any member may echo any sender's FINAL: the entries are what the link's far end says it applied. */
function readEcho(o: JsonObject, ctx: ParseContext): EchoFrame {
  return {
    t: 'echo',
    groupId: readGroup(o, ctx, 'echo'),
    viewId: readViewId(o, 'echo'),
    finals: readArray(field(o, 'finals', 'echo'), 'echo.finals', MAX_ECHO_ITEMS).map((v, i) =>
      readEchoEntry(v, `echo.finals[${i}]`),
    ),
  };
}

function readPending(v: unknown, path: string): PendingReport {
  const o = readObject(v, path);
  const base = { sender: readPeer(o, 'sender', path), seq: readSeq(o, path) };
  const proposed = hasField(o, 'proposed') ? readPriority(o['proposed'], `${path}.proposed`) : undefined;
  const final = hasField(o, 'final') ? readPriority(o['final'], `${path}.final`) : undefined;
  return {
    ...base,
    ...(proposed === undefined ? {} : { proposed }),
    ...(final === undefined ? {} : { final }),
  };
}

function readFlush(o: JsonObject, ctx: ParseContext): FlushFrame {
  const groupId = readGroup(o, ctx, 'flush');
  const viewId = readViewId(o, 'flush');
  const unstable = readArray(field(o, 'unstable', 'flush'), 'flush.unstable', MAX_FLUSH_ITEMS).map((v, i) =>
    readData(readObject(v, `flush.unstable[${i}]`), ctx, `flush.unstable[${i}]`),
  );
  const pending = readArray(field(o, 'pending', 'flush'), 'flush.pending', MAX_FLUSH_ITEMS).map((v, i) =>
    readPending(v, `flush.pending[${i}]`),
  );
  return {
    t: 'flush',
    groupId,
    viewId,
    unstable,
    pending,
    agreed: readInteger(field(o, 'agreed', 'flush'), 'flush.agreed', 0, MAX_PRIORITY),
    delivered: readCountMap(field(o, 'delivered', 'flush'), 'flush.delivered', 0),
    ...(hasField(o, 'joining') ? { joining: readBoolean(o['joining'], 'flush.joining') } : {}),
    ...(hasField(o, 'installed') ? { installed: readInstalled(o['installed'], 'flush.installed') } : {}),
    ...(hasField(o, 'part') ? { part: readPart(o['part'], 'flush.part') } : {}),
    ...(hasField(o, 'incarnation')
      ? { incarnation: readInteger(o['incarnation'], 'flush.incarnation', 0) as ViewId }
      : {}),
  };
}

/** `{index, count}` of a split report: 1 ≤ count ≤ MAX_PARTS, 0 ≤ index < count. */
function readPart(v: unknown, path: string): FramePart {
  const o = readObject(v, path);
  const count = readInteger(field(o, 'count', path), `${path}.count`, 1);
  if (count > MAX_PARTS)
    throw new FieldRejection('too-many', `${path}.count is ${count}; a report has at most ${MAX_PARTS} parts.`);
  const index = readInteger(field(o, 'index', path), `${path}.index`, 0);
  if (index >= count) throw new FieldRejection('bad-type', `${path}.index ${index} is outside 0..${count - 1}.`);
  return { index, count };
}

function readInstalled(v: unknown, path: string): { viewId: ViewId; members: PeerId[] } {
  const o = readObject(v, path);
  return {
    viewId: readViewId(o, path),
    members: readArray(field(o, 'members', path), `${path}.members`, MAX_VIEW_MEMBERS).map(
      (m, i) => readPeerIdText(m, `${path}.members[${i}]`) as PeerId,
    ),
  };
}

function readHighWater(o: JsonObject, ctx: ParseContext): HighWaterFrame {
  return {
    t: 'hwm',
    groupId: readGroup(o, ctx, 'hwm'),
    viewId: readViewId(o, 'hwm'),
    delivered: readCountMap(field(o, 'delivered', 'hwm'), 'hwm.delivered', 0),
    ...(hasField(o, 'floor') ? { floor: readInteger(o['floor'], 'hwm.floor', 1) } : {}),
  };
}

function readHistoryRequest(o: JsonObject, ctx: ParseContext): HistoryRequestFrame {
  const groupId = readGroup(o, ctx, 'history-req');
  const req = readInteger(field(o, 'req', 'history-req'), 'history-req.req', 0, MAX_WIRE_INTEGER);
  const have = readCountMap(field(o, 'have', 'history-req'), 'history-req.have', 1);
  const rawAfter = field(o, 'after', 'history-req');
  const after = rawAfter === null ? null : readString(rawAfter, 'history-req.after', MAX_ORDER_KEY_CHARS, 1);
  const limit = readInteger(field(o, 'limit', 'history-req'), 'history-req.limit', 1, MAX_WIRE_INTEGER);
  if (limit > MAX_HISTORY_ITEMS)
    throw new FieldRejection(
      'too-many',
      `history-req.limit is ${limit}; a page holds at most ${MAX_HISTORY_ITEMS} items.`,
    );
  if (!hasField(o, 'before')) return { t: 'history-req', groupId, req, have, after, limit };
  const before = o['before'] === null ? null : readString(o['before'], 'history-req.before', MAX_ORDER_KEY_CHARS, 1);
  if (after !== null) throw new FieldRejection('bad-type', 'history-req pages after a key or before one, not both.');
  return { t: 'history-req', groupId, req, have, after, limit, before };
}

function readHistoryItem(v: unknown, ctx: ParseContext, path: string): HistoryItem {
  const o = readObject(v, path);
  const item: HistoryItem = {
    frame: readData(readObject(field(o, 'frame', path), `${path}.frame`), ctx, `${path}.frame`),
    order: readString(field(o, 'order', path), `${path}.order`, MAX_ORDER_KEY_CHARS, 1),
  };
  const senderName = hasField(o, 'senderName')
    ? readString(o['senderName'], `${path}.senderName`, MAX_SENDER_NAME_UNITS)
    : undefined;
  let senderKey: string | undefined;
  if (hasField(o, 'senderKey')) {
    senderKey = readString(o['senderKey'], `${path}.senderKey`, ED25519_PUBLIC_KEY_B64_CHARS);
    if (!PUBLIC_KEY_PATTERN.test(senderKey))
      throw new FieldRejection(
        'bad-type',
        `${path}.senderKey is not a base64 Ed25519 public key (${ED25519_PUBLIC_KEY_B64_CHARS} characters).`,
      );
  }
  return {
    ...item,
    ...(senderName === undefined ? {} : { senderName }),
    ...(senderKey === undefined ? {} : { senderKey }),
  };
}

function readJoinerState(v: unknown, ctx: ParseContext, path: string): JoinerState {
  const o = readObject(v, path);
  const state: JoinerState = {
    viewId: readViewId(o, path),
    incarnation: readInteger(field(o, 'incarnation', path), `${path}.incarnation`, 0) as ViewId,
    agreed: readInteger(field(o, 'agreed', path), `${path}.agreed`, 0, MAX_PRIORITY),
    nextSeq: readCountMap(field(o, 'nextSeq', path), `${path}.nextSeq`, 1),
  };
  if (!hasField(o, 'unstable')) return state;
  const unstable = readArray(o['unstable'], `${path}.unstable`, MAX_FLUSH_ITEMS).map((u, i) => {
    const item = readObject(u, `${path}.unstable[${i}]`);
    const frame = readData(
      readObject(field(item, 'frame', `${path}.unstable[${i}]`), `${path}.unstable[${i}].frame`),
      ctx,
      `${path}.unstable[${i}].frame`,
    );
    return hasField(item, 'agreed')
      ? { frame, agreed: readPriority(item['agreed'], `${path}.unstable[${i}].agreed`) }
      : { frame };
  });
  return { ...state, unstable };
}

function readHistoryResponse(o: JsonObject, ctx: ParseContext): HistoryResponseFrame {
  const groupId = readGroup(o, ctx, 'history-res');
  const req = readInteger(field(o, 'req', 'history-res'), 'history-res.req', 0, MAX_WIRE_INTEGER);
  const items = readArray(field(o, 'items', 'history-res'), 'history-res.items', MAX_HISTORY_ITEMS).map((v, i) =>
    readHistoryItem(v, ctx, `history-res.items[${i}]`),
  );
  const done = readBoolean(field(o, 'done', 'history-res'), 'history-res.done');
  const frame: HistoryResponseFrame = { t: 'history-res', groupId, req, items, done };
  if (!hasField(o, 'state')) {
    if (hasField(o, 'statePart'))
      throw new FieldRejection('bad-type', 'history-res.statePart comes only with a state.');
    return frame;
  }
  const state = readJoinerState(o['state'], ctx, 'history-res.state');
  if (!hasField(o, 'statePart')) return { ...frame, state };
  return { ...frame, state, statePart: readPart(o['statePart'], 'history-res.statePart') };
}

export type ViewRelation = 'current' | 'old' | 'future';

/** Where a frame's view stands against the installed one; the engine drops `old` and buffers `future`. */
export const classifyView = (frameViewId: ViewId, installedViewId: ViewId): ViewRelation =>
  frameViewId === installedViewId ? 'current' : frameViewId < installedViewId ? 'old' : 'future';
