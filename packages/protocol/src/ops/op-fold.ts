// Folds a group's delivered log into what people see (PROTOCOL.md §8): each
// message's text with its author's latest edit applied, deleted or not, the
// message it replies to, and its reactions (per emoji, the set of keys).
// Pure: no I/O, no clock; the same code runs in the peer runtime (which
// counts refusals), the web app and the terminal client.
//
// The state depends only on the set of entries added, never on the order
// they were added in: a later edit is the one with the larger order key (the
// group's log order, the same on every member), a reaction per (message,
// emoji, key) is the one with the larger order key, and a delete wins over
// any edit. So every member ends in the same state whatever order FIFO
// delivered the senders in, and an operation that arrives before its target
// (another sender's message, in a FIFO group) is held and applied when the
// target arrives.

import type { GroupId, MessageId, PeerId } from '../ids.ts';
import { parseBody, type OpKind } from './message-op.ts';

/** One delivered message of the group, as a store or a delivery has it. */
export interface LogEntry {
  readonly id: MessageId;
  readonly sender: PeerId;
  /** The key that signed it, when known (a record stored without one has none). */
  readonly senderKey?: string;
  /** Its place in the group's log (the order key, identical on every member). */
  readonly order: string;
  readonly body: string;
}

export interface Reaction {
  readonly emoji: string;
  /** Who reacted so: keys (or `peer:<id>` for a sender without a known key), sorted. */
  readonly keys: readonly string[];
}

/** What a message (a text or a reply) shows. Operations themselves are not shown. */
export interface MessageView {
  readonly id: MessageId;
  /** Its author: the key that signed it (or `peer:<id>`). */
  readonly author: string;
  /** The text with the latest edit applied; '' when deleted. */
  readonly text: string;
  readonly replyTo: MessageId | null;
  readonly edited: boolean;
  readonly deleted: boolean;
  /** Emojis with at least one key, sorted by emoji. Empty when deleted. */
  readonly reactions: readonly Reaction[];
}

export type RefusalReason = 'not-author' | 'bad-target' | 'bad-op' | 'too-many';

export interface OpRefusal {
  /** The operation refused (it stays in the log: it was signed and delivered; it only changes nothing). */
  readonly id: MessageId;
  readonly op: OpKind | null;
  readonly reason: RefusalReason;
  readonly message: string;
}

/** The sentence a person reads for a refused operation of `who`. */
export const refusedOpText = (r: OpRefusal, who: string): string => {
  const what =
    r.op === null
      ? 'an operation'
      : { reply: 'a reply', edit: 'an edit', delete: 'a delete', react: 'a reaction' }[r.op];
  return `Refused ${what} from ${who}: ${r.message}`;
};

export interface FoldResult {
  /** Messages whose view changed (the entry itself when it is a message, and the target of an operation applied). */
  readonly changed: readonly MessageId[];
  readonly refused: readonly OpRefusal[];
}

export interface FoldSnapshot {
  readonly views: readonly MessageView[];
  readonly refused: number;
  readonly pending: number;
}

/** Operations held for a target not seen yet, at most (more are refused as `too-many`: only abuse gets there). */
export const MAX_PENDING_OPS = 10_000;

interface Author {
  readonly sender: PeerId;
  readonly key: string | undefined;
}

interface HeldMessage extends Author {
  readonly kind: 'message';
  readonly text: string;
  readonly replyTo: MessageId | null;
  edit: { order: string; text: string } | null;
  deleted: boolean;
  /** emoji → reactor → the reactor's latest say; null until the first reaction (most messages get none). */
  reactions: Map<string, Map<string, { order: string; on: boolean }>> | null;
}

interface PendingOp extends Author {
  readonly id: MessageId;
  readonly order: string;
  readonly op: Extract<ReturnType<typeof parseBody>, { kind: 'op' }>['op'];
}

type Held = HeldMessage | { readonly kind: 'op' };

const identityOf = (a: Author): string => a.key ?? `peer:${a.sender}`;
/** Same author: the same key when both are known, else the same sender (one peer id is one key for its life). */
const sameAuthor = (a: Author, b: Author): boolean =>
  a.key !== undefined && b.key !== undefined ? a.key === b.key : a.sender === b.sender;

export class OpFold {
  readonly group: GroupId;
  readonly #maxPending: number;
  readonly #held = new Map<MessageId, Held>();
  /** Operations waiting for their target, by target. */
  readonly #waiting = new Map<MessageId, PendingOp[]>();
  #pending = 0;
  #refused = 0;

  constructor(group: GroupId, opts: { readonly maxPending?: number } = {}) {
    this.group = group;
    this.#maxPending = opts.maxPending ?? MAX_PENDING_OPS;
  }

  /** Operations refused so far (each counted once, when it could be judged). */
  get refused(): number {
    return this.#refused;
  }

  /** Operations still waiting for a target not seen. */
  get pending(): number {
    return this.#pending;
  }

  /** Whether `id` was added and is a message (shown), not an operation. */
  isMessage(id: MessageId): boolean {
    return this.#held.get(id)?.kind === 'message';
  }

  /** Whether `id` was added (as a message or an operation). */
  has(id: MessageId): boolean {
    return this.#held.has(id);
  }

  /** Adds one delivered entry. A second add of the same id changes nothing. */
  add(entry: LogEntry): FoldResult {
    if (this.#held.has(entry.id)) return { changed: [], refused: [] };
    const author: Author = { sender: entry.sender, key: entry.senderKey };
    const parsed = parseBody(entry.body, this.group);
    const changed: MessageId[] = [];
    const refused: OpRefusal[] = [];
    if (parsed.kind === 'bad-op') {
      this.#held.set(entry.id, { kind: 'op' });
      this.#refuse(refused, { id: entry.id, op: null, reason: 'bad-op', message: parsed.reason });
      return { changed, refused };
    }
    if (parsed.kind === 'text' || parsed.kind === 'file' || parsed.op.op === 'reply') {
      // A file is a message like a text (its caption is its text): it may be reacted to, deleted by its author.
      const text =
        parsed.kind === 'text'
          ? parsed.text
          : parsed.kind === 'file'
            ? parsed.file.caption
            : parsed.op.op === 'reply'
              ? parsed.op.text
              : '';
      const replyTo = parsed.kind === 'op' ? parsed.op.target : null;
      this.#held.set(entry.id, {
        kind: 'message',
        ...author,
        text,
        replyTo,
        edit: null,
        deleted: false,
        reactions: null,
      });
      changed.push(entry.id);
    } else {
      this.#held.set(entry.id, { kind: 'op' });
      const op: PendingOp = { ...author, id: entry.id, order: entry.order, op: parsed.op };
      if (this.#held.has(op.op.target)) this.#apply(op, changed, refused);
      else if (this.#pending >= this.#maxPending) {
        this.#refuse(refused, {
          id: op.id,
          op: op.op.op,
          reason: 'too-many',
          message: `More than ${this.#maxPending} operations wait for messages not seen.`,
        });
      } else {
        const list = this.#waiting.get(op.op.target) ?? [];
        list.push(op);
        this.#waiting.set(op.op.target, list);
        this.#pending += 1;
      }
    }
    const waiting = this.#waiting.get(entry.id);
    if (waiting !== undefined) {
      this.#waiting.delete(entry.id);
      this.#pending -= waiting.length;
      for (const op of waiting) this.#apply(op, changed, refused);
    }
    return { changed: changed.length > 1 ? [...new Set(changed)] : changed, refused };
  }

  /** What message `id` shows, or undefined when it is not a message added here. */
  view(id: MessageId): MessageView | undefined {
    const m = this.#held.get(id);
    if (m === undefined || m.kind !== 'message') return undefined;
    const reactions: Reaction[] = [];
    if (!m.deleted) {
      for (const [emoji, by] of m.reactions ?? []) {
        const keys = [...by]
          .filter(([, say]) => say.on)
          .map(([k]) => k)
          .sort();
        if (keys.length > 0) reactions.push({ emoji, keys });
      }
      reactions.sort((a, b) => (a.emoji < b.emoji ? -1 : a.emoji > b.emoji ? 1 : 0));
    }
    return {
      id,
      author: identityOf(m),
      text: m.deleted ? '' : (m.edit?.text ?? m.text),
      replyTo: m.replyTo,
      edited: !m.deleted && m.edit !== null,
      deleted: m.deleted,
      reactions,
    };
  }

  /** Every message's view, sorted by id, and the counts: equal for equal sets of entries. */
  snapshot(): FoldSnapshot {
    const ids = [...this.#held]
      .filter(([, h]) => h.kind === 'message')
      .map(([id]) => id)
      .sort();
    return { views: ids.map((id) => this.view(id)!), refused: this.#refused, pending: this.#pending };
  }

  #apply(op: PendingOp, changed: MessageId[], refused: OpRefusal[]): void {
    const kind = op.op.op;
    const target = this.#held.get(op.op.target);
    if (target === undefined || target.kind !== 'message') {
      this.#refuse(refused, {
        id: op.id,
        op: kind,
        reason: 'bad-target',
        message: `A ${kind} must name a message, and ${op.op.target} is an operation.`,
      });
      return;
    }
    if (op.op.op === 'react') {
      target.reactions ??= new Map();
      const by = target.reactions.get(op.op.emoji) ?? new Map<string, { order: string; on: boolean }>();
      const who = identityOf(op);
      const prev = by.get(who);
      if (prev === undefined || prev.order < op.order) by.set(who, { order: op.order, on: op.op.on });
      target.reactions.set(op.op.emoji, by);
      changed.push(op.op.target);
      return;
    }
    if (!sameAuthor(target, op)) {
      this.#refuse(refused, {
        id: op.id,
        op: kind,
        reason: 'not-author',
        message: `Only the author of ${op.op.target} may ${kind} it.`,
      });
      return;
    }
    if (op.op.op === 'delete') target.deleted = true;
    else if (op.op.op === 'edit' && (target.edit === null || target.edit.order < op.order))
      target.edit = { order: op.order, text: op.op.text };
    changed.push(op.op.target);
  }

  #refuse(into: OpRefusal[], r: OpRefusal): void {
    this.#refused += 1;
    into.push(r);
  }
}

/** The view of a whole delivered log (any order of the same entries gives the same snapshot). */
export function foldLog(group: GroupId, entries: Iterable<LogEntry>): FoldSnapshot {
  const fold = new OpFold(group);
  for (const e of entries) fold.add(e);
  return fold.snapshot();
}
