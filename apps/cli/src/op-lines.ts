// What the terminal writes for a message operation (PROTOCOL.md §8). The
// terminal is an append-only log, so an edit, delete or reaction cannot
// change a line already written: it gets a line of its own that says what
// happened to which message (its author and time, never its old text, so a
// delete does not quote what was deleted). A reply is a message, written
// with the author and time of what it answers. The same OpFold as the web
// app's decides what counts: an edit or delete by another key, or a
// malformed operation, writes nothing here (the runtime reports a refusal
// it sees live as an error line).

import { groupOfMessageId, OpFold, parseBody, type GroupId, type MessageId, type MessageView } from '@chorus/protocol';
import type { ChatMessage } from '@chorus/peer';
import { clock } from './format.ts';

/** Messages whose author and time are kept to name them in later lines; older ones are named "an earlier message". */
const KEPT_CAP = 20_000;

export type OpLine =
  /** A line like a message's, with this text in place of the body. */
  | { readonly kind: 'message'; readonly text: string }
  /** A line about an operation. */
  | { readonly kind: 'op'; readonly text: string }
  /** Nothing to write. */
  | null;

export class OpLines {
  readonly #folds = new Map<GroupId, OpFold>();
  readonly #kept = new Map<
    MessageId,
    { readonly name: string; readonly sentAt: number; readonly key: string | undefined }
  >();
  readonly #now: () => number;
  readonly #refOf: (id: MessageId) => number | undefined;
  /** Operations refused (a message shown again by /since must stay unwritten). */
  readonly #refused = new Set<MessageId>();

  /** `refOf` gives a message's number on screen (message-refs.ts), written with the lines that name it. */
  constructor(now: () => number = Date.now, refOf: (id: MessageId) => number | undefined = () => undefined) {
    this.#now = now;
    this.#refOf = refOf;
  }

  /** What a message shown here looks like now (edits, delete, reactions folded in), if it was shown. */
  view(id: MessageId): MessageView | undefined {
    const group = groupOfMessageId(id);
    return group === null ? undefined : this.#folds.get(group)?.view(id);
  }

  /** What to write for a delivered message (call once per message, in the order written). */
  line(m: ChatMessage): OpLine {
    let fold = this.#folds.get(m.groupId);
    if (fold === undefined) {
      fold = new OpFold(m.groupId);
      this.#folds.set(m.groupId, fold);
    }
    const parsed = parseBody(m.body, m.groupId);
    for (const r of fold.add(m).refused) this.#refused.add(r.id);
    if (parsed.kind === 'bad-op' || this.#refused.has(m.id)) return null;
    if (parsed.kind === 'text') {
      this.#keep(m);
      return { kind: 'message', text: m.body };
    }
    if (parsed.kind === 'file') {
      this.#keep(m);
      const f = parsed.file;
      return { kind: 'message', text: `[file] ${f.name} (${f.size} bytes)${f.caption === '' ? '' : ` ${f.caption}`}` };
    }
    const op = parsed.op;
    const target = this.#name(op.target, m);
    switch (op.op) {
      case 'reply':
        this.#keep(m);
        return { kind: 'message', text: `(reply to ${target}) ${op.text}` };
      case 'edit':
        return { kind: 'op', text: `${m.senderName} edited ${target}: ${op.text}` };
      case 'delete':
        return { kind: 'op', text: `${m.senderName} deleted ${target}` };
      case 'react':
        return {
          kind: 'op',
          text: op.on
            ? `${m.senderName} reacted ${op.emoji} to ${target}`
            : `${m.senderName} took back ${op.emoji} on ${target}`,
        };
    }
  }

  #keep(m: ChatMessage): void {
    this.#kept.set(m.id, { name: m.senderName, sentAt: m.sentAt, key: m.senderKey });
    if (this.#kept.size > KEPT_CAP) this.#kept.delete(this.#kept.keys().next().value as MessageId);
  }

  /** "their message [3] from 12:00:01", "Ann's message from 12:00:01" or "an earlier message". */
  #name(id: MessageId, by: ChatMessage): string {
    const t = this.#kept.get(id);
    if (t === undefined) return 'an earlier message';
    const theirs = t.key !== undefined && t.key === by.senderKey;
    const ref = this.#refOf(id);
    return `${theirs ? 'their' : `${t.name}'s`} message ${ref === undefined ? '' : `[${ref}] `}from ${clock(t.sentAt, this.#now())}`;
  }
}
