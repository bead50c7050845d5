// The one parser at the data-channel trust boundary: JSON text from a peer in,
// a typed WireFrame or a coded error out. It is stateless and never throws.
// It checks shape, caps, the group and who may send what on this link; it does
// not check signatures (crypto/signing.ts), views or replays (the engine).

import type { PeerId, ViewId } from '../ids.ts';
import { err, ok, type Result } from '../result.ts';
import {
  MAX_ECHO_ITEMS,
  MAX_ECHO_LISTS,
  MAX_FLUSH_ITEMS,
  MAX_FRAME_BYTES,
  MAX_PRIORITY,
  MAX_VIEW_MEMBERS,
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
  EchoEntry,
  EchoFrame,
  FinalFrame,
  FlushFrame,
  FlushAskFrame,
  FlushOkFrame,
  HeldReport,
  FrameKind,
  HighWaterFrame,
  PendingReport,
  ProposeFrame,
  WireFrame,
} from './frames.ts';
import { exceedsUtf8Bytes, utf8ByteLength } from './utf8.ts';
import { readChunk, readSignal } from './parse-signal.ts';
import { readFileChunk, readFileNone, readFileWant } from './parse-file-frames.ts';
import { readRelay } from './relay-frame.ts';
import {
  forged,
  readData,
  readGroup,
  readHash,
  readPart,
  readPeer,
  readPriority,
  readSeq,
  readSignature,
  readViewId,
  type ParseContext,
} from './frame-fields.ts';
import { noteReceivedBytes, readHistoryRequest, readHistoryResponse } from './parse-history-frames.ts';
import { listHolds, readFinalList, readFinals, readOwnList, readProposes, type FinalItem } from './cumulative.ts';

export type { ParseContext } from './frame-fields.ts';

export const FRAME_KINDS: readonly FrameKind[] = [
  'data',
  'propose',
  'final',
  'proposes',
  'finals',
  'echo',
  'flush',
  'flush-ok',
  'flush-ask',
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

export function parseFrame(text: string, ctx: ParseContext): Result<WireFrame> {
  const value = parseJsonText(text, ctx.maxBytes ?? MAX_FRAME_BYTES);
  const frame = value.ok ? parseFrameValue(value.value, ctx) : value;
  // A joiner's byte budget per sponsor counts a page by the text it arrived as (join-sync.ts `vetPage`).
  if (frame.ok && frame.value.t === 'history-res') noteReceivedBytes(frame.value, utf8ByteLength(text));
  return frame;
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
    case 'proposes':
      return readProposes(o, ctx);
    case 'finals':
      return readFinals(o, ctx);
    case 'echo':
      return readEcho(o, ctx);
    case 'flush':
      return readFlush(o, ctx);
    case 'flush-ok':
      return readFlushOk(o, ctx);
    case 'flush-ask':
      return readFlushAsk(o, ctx);
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

/** A FLUSH-OK, its own or (with `sender`) relayed: `held` never restates its sender's own report. */
function readFlushOk(o: JsonObject, ctx: ParseContext): FlushOkFrame {
  const relayed = readRelayedSender(o, ctx);
  return {
    t: 'flush-ok',
    groupId: readGroup(o, ctx, 'flush-ok'),
    viewId: readViewId(o, 'flush-ok'),
    reports: readHash(field(o, 'reports', 'flush-ok'), 'flush-ok.reports'),
    held: readHeld(field(o, 'held', 'flush-ok'), relayed.sender ?? ctx.from),
    sig: readSignature(o, 'flush-ok'),
    ...relayed,
  };
}

/** The sender of a relayed FLUSH-OK (absent: the link's peer); a relay that names itself is refused. */
const readRelayedSender = (o: JsonObject, ctx: ParseContext): { sender?: PeerId } => {
  const sender = readRelayedAuthor(o, ctx, 'flush-ok', 'sender');
  return sender === undefined ? {} : { sender };
};

/**
 * A request for another participant's report or (`kind: 'flush-ok'`, no `report`) FLUSH-OK: never the
 * asked peer's own (it would just have sent it).
 */
function readFlushAsk(o: JsonObject, ctx: ParseContext): FlushAskFrame {
  const reporter = readPeer(o, 'reporter', 'flush-ask');
  if (reporter === ctx.from)
    throw new FieldRejection('bad-state', `flush-ask.reporter ${reporter} is the sender: it asks for its own word.`);
  const base = {
    t: 'flush-ask' as const,
    groupId: readGroup(o, ctx, 'flush-ask'),
    viewId: readViewId(o, 'flush-ask'),
    reporter,
  };
  if (!hasField(o, 'kind')) return { ...base, report: readHash(field(o, 'report', 'flush-ask'), 'flush-ask.report') };
  if (o['kind'] !== 'flush-ok')
    throw new FieldRejection('bad-type', "flush-ask.kind must be 'flush-ok' (absent: a report is asked for).");
  if (hasField(o, 'report'))
    throw new FieldRejection('bad-state', 'flush-ask.report names a report hash on an ask for a FLUSH-OK.');
  return { ...base, kind: 'flush-ok' };
}

/** The reporter of a relayed report (absent: the link's peer); a relay that names itself is refused. */
const readReporter = (o: JsonObject, ctx: ParseContext): { reporter?: PeerId } => {
  const reporter = readRelayedAuthor(o, ctx, 'flush', 'reporter');
  return reporter === undefined ? {} : { reporter };
};

/** Whose word a relayed frame carries (`name`; absent: the link's peer's own). The link's peer is refused there. */
function readRelayedAuthor(o: JsonObject, ctx: ParseContext, kind: string, name: string): PeerId | undefined {
  if (!hasField(o, name)) return undefined;
  const author = readPeer(o, name, kind);
  if (author === ctx.from)
    throw new FieldRejection(
      'bad-state',
      `${kind}.${name} ${author} is the link's peer: only a relayed frame names one.`,
    );
  return author;
}

/** The other participants' signed words a FLUSH-OK of `sender` restates: one per reporter, never its sender's own. */
function readHeld(v: unknown, sender: PeerId): HeldReport[] {
  const seen = new Set<string>();
  return readArray(v, 'flush-ok.held', MAX_VIEW_MEMBERS).map((x, i) => {
    const path = `flush-ok.held[${i}]`;
    const o = readObject(x, path);
    const reporter = readPeer(o, 'reporter', path);
    if (reporter === sender || seen.has(reporter))
      throw new FieldRejection('bad-state', `${path}.reporter ${reporter} is the sender or named twice.`);
    seen.add(reporter);
    return { reporter, report: readHash(field(o, 'report', path), `${path}.report`), sig: readSignature(o, path) };
  });
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
  // `sender` names the message being ordered; the proposer is `priority.by`, and only it may send its proposal,
  // except as a copy another member forwards to the message's sender (`forwarded`, PROTOCOL.md §3.3 "Forwarded").
  if (!readForwarded(o)) {
    if (frame.priority.by !== ctx.from) throw forged('propose.priority.by', frame.priority.by, ctx.from);
    return frame;
  }
  if (frame.priority.by === ctx.from)
    throw new FieldRejection('bad-state', 'propose.forwarded: a member forwards the proposals of others, not its own.');
  return { ...frame, forwarded: true };
}

/** `forwarded` is `true` or absent. */
function readForwarded(o: JsonObject): boolean {
  if (!hasField(o, 'forwarded')) return false;
  if (o['forwarded'] !== true) throw new FieldRejection('bad-type', 'propose.forwarded must be true when present.');
  return true;
}

function readFinal(o: JsonObject, ctx: ParseContext): FinalFrame {
  const fields: FinalFrame = {
    t: 'final',
    groupId: readGroup(o, ctx, 'final'),
    viewId: readViewId(o, 'final'),
    sender: readPeer(o, 'sender', 'final'),
    seq: readSeq(o, 'final'),
    priority: readPriority(field(o, 'priority', 'final'), 'final.priority'),
    version: readSignature(o, 'final', 'version'),
    sig: readSignature(o, 'final'),
  };
  const list = readOwnList(o, fields, 'final');
  const frame = list === undefined ? fields : { ...fields, list };
  // Only a message's sender announces its agreed priority; view-change resolutions travel in FLUSH.
  if (frame.sender !== ctx.from) throw forged('final.sender', frame.sender, ctx.from);
  return frame;
}

function readEchoEntry(v: unknown, path: string, lists: readonly (readonly FinalItem[])[]): EchoEntry {
  const o = readObject(v, path);
  const entry: EchoEntry = {
    sender: readPeer(o, 'sender', path),
    seq: readSeq(o, path),
    priority: readPriority(field(o, 'priority', path), `${path}.priority`),
    sig: readSignature(o, path),
    final: readSignature(o, path, 'final'),
    ...(readObjected(o, path) ? { objected: true as const } : {}),
  };
  if (!hasField(o, 'list')) return entry;
  // The FINAL was signed in a list: the entry names it in `echo.lists`, and the list must hold the entry.
  const list = lists[readInteger(o['list'], `${path}.list`, 0, lists.length - 1)];
  if (list === undefined) throw new FieldRejection('bad-type', `${path}.list names no list of the echo.`);
  if (!listHolds({ ...entry, version: entry.sig, list }))
    throw new FieldRejection('bad-state', `${path}.list does not hold the entry of message ${entry.seq}.`);
  return { ...entry, list };
}

/** `objected` is `true` or absent. */
function readObjected(o: JsonObject, path: string): boolean {
  if (!hasField(o, 'objected')) return false;
  if (o['objected'] !== true) throw new FieldRejection('bad-type', `${path}.objected must be true when present.`);
  return true;
}

/** Any member may echo any sender's FINAL: the entries are what the link's far end says it applied. */
function readEcho(o: JsonObject, ctx: ParseContext): EchoFrame {
  const groupId = readGroup(o, ctx, 'echo');
  const viewId = readViewId(o, 'echo');
  const lists = hasField(o, 'lists')
    ? readArray(o['lists'], 'echo.lists', MAX_ECHO_LISTS).map((v, i) => readFinalList(v, `echo.lists[${i}]`))
    : [];
  return {
    t: 'echo',
    groupId,
    viewId,
    finals: readArray(field(o, 'finals', 'echo'), 'echo.finals', MAX_ECHO_ITEMS).map((v, i) =>
      readEchoEntry(v, `echo.finals[${i}]`, lists),
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
    report: readHash(field(o, 'report', 'flush'), 'flush.report'),
    sig: readSignature(o, 'flush'),
    ...readReporter(o, ctx),
  };
}

/** `{index, count}` of a split report: 1 ≤ count ≤ MAX_PARTS, 0 ≤ index < count. */
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

export type ViewRelation = 'current' | 'old' | 'future';

/** Where a frame's view stands against the installed one; the engine drops `old` and buffers `future`. */
export const classifyView = (frameViewId: ViewId, installedViewId: ViewId): ViewRelation =>
  frameViewId === installedViewId ? 'current' : frameViewId < installedViewId ? 'old' : 'future';
