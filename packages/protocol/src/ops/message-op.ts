// Message operations (PROTOCOL.md §8): a reply, edit, delete or reaction is
// a DATA frame like any other — signed by its sender, ordered and stored with
// the group's log, handed to joiners as history — whose body is a typed
// operation instead of plain text. The body of an operation is the marker
// character U+0000 followed by JSON; any other body is a plain text message,
// exactly as before operations existed, so every stored record stays readable
// and a text never needs escaping (a composer cannot type U+0000, and the peer
// refuses to send a plain text that starts with it).
//
// This file only reads and writes bodies; what an operation does to the log
// (who may edit what, in which order) is op-fold.ts.

import type { GroupId, MessageId } from '../ids.ts';
import { MAX_BODY_CHARS } from '../wire/caps.ts';
import { isPeerIdText } from '../wire/field-reader.ts';
import { fileFields, readFileFields, type FileMeta } from '../files/file-meta.ts';

/** The first character of every operation body; never the first of a plain text. */
export const OP_MARKER = '\u0000';
/** A reaction is a short token (an emoji with its modifiers): at most this many UTF-16 code units. */
export const MAX_REACTION_CHARS = 32;

export type MessageOp =
  /** A new message that quotes `target`: shown in the log like a text, with the quote above it. */
  | { readonly op: 'reply'; readonly target: MessageId; readonly text: string }
  /** Replaces the text of `target`; only its author's key may. */
  | { readonly op: 'edit'; readonly target: MessageId; readonly text: string }
  /** `target` shows "Message deleted" from now on; only its author's key may. */
  | { readonly op: 'delete'; readonly target: MessageId }
  /** The sender's key adds (`on: true`) or takes back (`on: false`) `emoji` on `target`. */
  | { readonly op: 'react'; readonly target: MessageId; readonly emoji: string; readonly on: boolean };

export type OpKind = MessageOp['op'];

/** What a body says: a plain text, an operation, or an operation this peer cannot read (refused, never shown). */
export type ParsedBody =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'op'; readonly op: MessageOp }
  /** A file (PROTOCOL.md §10): its signed description; the bytes travel apart. */
  | { readonly kind: 'file'; readonly file: FileMeta }
  | { readonly kind: 'bad-op'; readonly reason: string };

export const isOpBody = (body: string): boolean => body.startsWith(OP_MARKER);

/**
 * The body of an operation. Throws a RangeError for one no peer would accept
 * (a caller bug or a text too long once wrapped: check `opFits` first).
 */
export function encodeOp(op: MessageOp): string {
  const body = bodyOf(op);
  const back = parseBody(body, groupOfMessageId(op.target) ?? ('' as GroupId));
  if (back.kind !== 'op')
    throw new RangeError(`Not a valid ${op.op} operation: ${back.kind === 'bad-op' ? back.reason : 'plain text'}`);
  return body;
}

/**
 * The most characters the text of this reply or edit may have, wrapped as it
 * is now: the body cap less what the wrapper (marker, target, JSON escapes of
 * this text) takes. A counter beside the text box shows the text against it.
 */
export function opTextLimit(op: Extract<MessageOp, { readonly text: string }>): number {
  return MAX_BODY_CHARS - (bodyOf(op).length - op.text.length);
}

function bodyOf(op: MessageOp): string {
  return (
    OP_MARKER +
    JSON.stringify(
      op.op === 'delete'
        ? { op: op.op, target: op.target }
        : op.op === 'react'
          ? { op: op.op, target: op.target, emoji: op.emoji, on: op.on }
          : { op: op.op, target: op.target, text: op.text },
    )
  );
}

/**
 * The body of a file message. Throws a RangeError when the description is out
 * of shape or does not fit a message (a long name or caption).
 */
export function encodeFileBody(file: FileMeta): string {
  const body = OP_MARKER + JSON.stringify(fileFields(file));
  if (body.length > MAX_BODY_CHARS) throw new RangeError(`The file message is over ${MAX_BODY_CHARS} characters.`);
  const back = parseBody(body, '' as GroupId);
  if (back.kind !== 'file')
    throw new RangeError(`Not a valid file: ${back.kind === 'bad-op' ? back.reason : back.kind}`);
  return body;
}

/** Whether `op` encodes within the body cap (a long reply or edit text may not, once wrapped). */
export function opFits(op: MessageOp): boolean {
  try {
    encodeOp(op);
    return true;
  } catch {
    return false;
  }
}

/** The group part of a message id (`group/sender:seq`, §5), or null when the id is not of that shape. */
export function groupOfMessageId(id: string): GroupId | null {
  const slash = id.lastIndexOf('/');
  const colon = id.lastIndexOf(':');
  if (slash <= 0 || colon < slash + 2) return null;
  const sender = id.slice(slash + 1, colon);
  const seq = id.slice(colon + 1);
  if (!isPeerIdText(sender) || !/^[1-9][0-9]{0,15}$/.test(seq) || !Number.isSafeInteger(Number(seq))) return null;
  return id.slice(0, slash) as GroupId;
}

/**
 * Reads a delivered body of `group`. Never throws. A body without the
 * marker is text; one with it must be a JSON object with a known `op`, a
 * `target` that is a message id of this group, and that kind's fields (a
 * non-empty `text` for reply and edit; a reaction of 1–MAX_REACTION_CHARS
 * characters without spaces or control characters, and `on`). Extra fields
 * are ignored. Anything else is a `bad-op`.
 */
export function parseBody(body: string, group: GroupId): ParsedBody {
  if (!isOpBody(body)) return { kind: 'text', text: body };
  if (body.length > MAX_BODY_CHARS) return bad(`is ${body.length} characters; the limit is ${MAX_BODY_CHARS}`);
  let v: unknown;
  try {
    v = JSON.parse(body.slice(OP_MARKER.length));
  } catch {
    return bad('is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('is not an object');
  const o = v as Record<string, unknown>;
  const own = (k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);
  const kind = own('op');
  if (kind === 'file') {
    const file = readFileFields(o);
    return typeof file === 'string' ? bad(file) : { kind: 'file', file };
  }
  if (kind !== 'reply' && kind !== 'edit' && kind !== 'delete' && kind !== 'react')
    return bad(`has an unknown kind ${JSON.stringify(kind)?.slice(0, 32) ?? 'undefined'}`);
  const target = own('target');
  if (typeof target !== 'string' || groupOfMessageId(target) !== group)
    return bad(`${kind}: target is not a message of this group`);
  const id = target as MessageId;
  if (kind === 'delete') return { kind: 'op', op: { op: kind, target: id } };
  if (kind === 'react') {
    const emoji = own('emoji');
    const on = own('on');
    if (
      typeof emoji !== 'string' ||
      emoji.length === 0 ||
      emoji.length > MAX_REACTION_CHARS ||
      /[\s\p{Cc}]/u.test(emoji)
    )
      return bad('react: emoji must be 1–32 characters without spaces');
    if (typeof on !== 'boolean') return bad('react: on must be true or false');
    return { kind: 'op', op: { op: kind, target: id, emoji, on } };
  }
  const text = own('text');
  if (typeof text !== 'string' || text.trim().length === 0) return bad(`${kind}: text must be a non-empty string`);
  return { kind: 'op', op: { op: kind, target: id, text } };
}

const bad = (reason: string): ParsedBody => ({ kind: 'bad-op', reason: `The operation ${reason}.` });
