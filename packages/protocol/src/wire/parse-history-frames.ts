// The readers of parse-frame.ts for history sync (PROTOCOL.md §4): a joiner's
// `history-req` (a page after a key, or before one) and a sponsor's
// `history-res` (stored DATA with their order keys, and on the page that
// carries it the joiner's state, in parts when it passes a frame). Same
// rules as parse-frame.ts: never trust, throw FieldRejection.

import type { ViewId } from '../ids.ts';
import {
  ED25519_PUBLIC_KEY_B64_CHARS,
  MAX_FLUSH_ITEMS,
  MAX_HISTORY_ITEMS,
  MAX_ORDER_KEY_CHARS,
  MAX_PRIORITY,
  MAX_SENDER_ENTRIES,
  MAX_SENDER_NAME_UNITS,
  MAX_WIRE_INTEGER,
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
  readString,
  type JsonObject,
} from './field-reader.ts';
import {
  isPublicKeyShape,
  readData,
  readGroup,
  readPart,
  readPriority,
  readViewId,
  type ParseContext,
} from './frame-fields.ts';
import type { HistoryItem, HistoryRequestFrame, HistoryResponseFrame, JoinerState } from './frames.ts';

/**
 * The UTF-8 size of the text each parsed page arrived as (parseFrame): a joiner's byte budget per
 * sponsor counts it (join-sync.ts `vetPage`) instead of writing the page's items out again as JSON.
 */
const receivedBytes = new WeakMap<HistoryResponseFrame, number>();

export const noteReceivedBytes = (page: HistoryResponseFrame, bytes: number): void => {
  receivedBytes.set(page, bytes);
};

/** The UTF-8 bytes `page` arrived as, when it was parsed from its own text (not a batch member, not built here). */
export const pageWireBytes = (page: HistoryResponseFrame): number | undefined => receivedBytes.get(page);

export function readHistoryRequest(o: JsonObject, ctx: ParseContext): HistoryRequestFrame {
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
  const frame = readData(readObject(field(o, 'frame', path), `${path}.frame`), ctx, `${path}.frame`);
  const order = readString(field(o, 'order', path), `${path}.order`, MAX_ORDER_KEY_CHARS, 1);
  const senderName = hasField(o, 'senderName')
    ? readString(o['senderName'], `${path}.senderName`, MAX_SENDER_NAME_UNITS)
    : undefined;
  let senderKey: string | undefined;
  if (hasField(o, 'senderKey')) {
    senderKey = readString(o['senderKey'], `${path}.senderKey`, ED25519_PUBLIC_KEY_B64_CHARS);
    if (!isPublicKeyShape(senderKey))
      throw new FieldRejection(
        'bad-type',
        `${path}.senderKey is not a base64 Ed25519 public key (${ED25519_PUBLIC_KEY_B64_CHARS} characters).`,
      );
  }
  // One object literal per shape (a page carries up to MAX_HISTORY_ITEMS of them): no spread of optional parts.
  if (senderKey === undefined) return senderName === undefined ? { frame, order } : { frame, order, senderName };
  return senderName === undefined ? { frame, order, senderKey } : { frame, order, senderName, senderKey };
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

export function readHistoryResponse(o: JsonObject, ctx: ParseContext): HistoryResponseFrame {
  const groupId = readGroup(o, ctx, 'history-res');
  const req = readInteger(field(o, 'req', 'history-res'), 'history-res.req', 0, MAX_WIRE_INTEGER);
  const items = readArray(field(o, 'items', 'history-res'), 'history-res.items', MAX_HISTORY_ITEMS).map((v, i) =>
    readHistoryItem(v, ctx, `history-res.items[${i}]`),
  );
  const done = readBoolean(field(o, 'done', 'history-res'), 'history-res.done');
  const frame: HistoryResponseFrame = { t: 'history-res', groupId, req, items, done };
  if (!hasField(o, 'state')) {
    if (hasField(o, 'statePart') || hasField(o, 'heads'))
      throw new FieldRejection('bad-type', 'history-res.statePart and history-res.heads come only with a state.');
    return frame;
  }
  const state = readJoinerState(o['state'], ctx, 'history-res.state');
  const heads = hasField(o, 'heads')
    ? readArray(o['heads'], 'history-res.heads', MAX_SENDER_ENTRIES).map((v, i) =>
        readHistoryItem(v, ctx, `history-res.heads[${i}]`),
      )
    : undefined;
  const withHeads = heads === undefined ? { ...frame, state } : { ...frame, state, heads };
  if (!hasField(o, 'statePart')) return withHeads;
  return { ...withHeads, statePart: readPart(o['statePart'], 'history-res.statePart') };
}
