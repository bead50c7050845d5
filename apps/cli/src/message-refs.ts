// The numbers a person types to name a message (/reply 12 …, /react 12 👍).
// The terminal is an append-only log, so it cannot put a cursor on a line the
// way the web app's hover menu does; instead every message line it writes
// starts with a number, `[12]`, counted from 1 for the whole session and
// across groups (so `/reply 12` never depends on which group is current, and
// the operation goes to the group of message 12). A message shown again
// (/since, a re-join's catch-up) keeps its number. Numbers are this
// session's only: a restarted client counts from 1 again.

import type { ChatMessage } from '@chorus/peer';
import type { GroupId, MessageId, PeerId } from '@chorus/protocol';

/** Numbers kept; past this the oldest are forgotten (a reference to one then says it is unknown). */
const KEPT_REFS = 100_000;

export interface RefTarget {
  readonly ref: number;
  readonly id: MessageId;
  readonly groupId: GroupId;
  readonly sender: PeerId;
  readonly senderKey: string | undefined;
  readonly senderName: string;
}

export class MessageRefs {
  #next = 1;
  readonly #byId = new Map<MessageId, RefTarget>();
  readonly #byRef = new Map<number, RefTarget>();

  /** The message's number: the one it already has, else the next. */
  number(m: ChatMessage): number {
    const known = this.#byId.get(m.id);
    if (known !== undefined) return known.ref;
    const target: RefTarget = {
      ref: this.#next,
      id: m.id,
      groupId: m.groupId,
      sender: m.sender,
      senderKey: m.senderKey,
      senderName: m.senderName,
    };
    this.#next += 1;
    this.#byId.set(m.id, target);
    this.#byRef.set(target.ref, target);
    if (this.#byRef.size > KEPT_REFS) {
      const [ref, oldest] = this.#byRef.entries().next().value as [number, RefTarget];
      this.#byRef.delete(ref);
      this.#byId.delete(oldest.id);
    }
    return target.ref;
  }

  refOf(id: MessageId): number | undefined {
    return this.#byId.get(id)?.ref;
  }

  get(ref: number): RefTarget | undefined {
    return this.#byRef.get(ref);
  }
}

/** A reference as typed: `12`, `[12]` or `#12`; null for anything else. */
export function parseRef(text: string): number | null {
  const m = /^(?:\[(\d{1,9})\]|#?(\d{1,9}))$/.exec(text.trim());
  if (m === null) return null;
  const n = Number(m[1] ?? m[2]);
  return n >= 1 ? n : null;
}
