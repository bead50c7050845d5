// Echoes of FINALs in total-order groups (PROTOCOL.md §3.3 "Echo"): pure
// bookkeeping, no I/O, no clock. A hostile sender can tell two members two
// different priorities (or hand them two versions of the DATA): each would
// order the message at its own place (S4). So a member that gets a FINAL tells
// every other member the sender's signed FINAL it got (and whether it objects
// to it), and delivers another sender's message only once every other member
// of the view (but the sender) echoed exactly what it holds itself. Two honest
// members that hold different FINALs or versions then both wait, and the two
// signed FINALs are the proof that evicts the sender (final-proof.ts).

import type { GroupId, MessageId, PeerId, ViewId } from '../ids.ts';
import type { EchoEntry, EchoFrame, Priority } from '../wire/frames.ts';
import type { Outbound } from './engine.ts';
import { samePriority } from './priority.ts';

/**
 * What a member says of one message: the sender's FINAL it got (priority and version, the DATA
 * signature it is for) and whether it objects to it instead of applying it.
 */
export interface Echoed {
  readonly priority: Priority;
  readonly sig: string;
  readonly objected?: true;
}

export const sameEcho = (a: Echoed, b: Echoed): boolean =>
  a.sig === b.sig && samePriority(a.priority, b.priority) && (a.objected === true) === (b.objected === true);

/** The part of an echo entry the book compares (its FINAL signature was checked before the engine). */
export const echoedOf = (e: EchoEntry): Echoed => ({
  priority: e.priority,
  sig: e.sig,
  ...(e.objected === true ? { objected: true as const } : {}),
});

/**
 * Echoes one peer may have us keep for messages not delivered yet: an honest
 * member echoes only messages it admitted, which are at most the hold-back
 * window ahead per sender; a hostile one must not grow this without bound.
 */
export const MAX_ECHOES_PER_PEER = 10_000;

/**
 * What hearing an echo did: `new` (kept), `same` (a resend), `changed` (the peer said another thing before: refused).
 */
export type Heard = 'new' | 'same' | 'changed';

export class EchoBook {
  /** Per message: each other member's echo, the first word kept. */
  readonly #heard = new Map<MessageId, Map<PeerId, Echoed>>();
  readonly #perPeer = new Map<PeerId, number>();

  /** What `from` echoed for `id` before, if anything. */
  of(id: MessageId, from: PeerId): Echoed | undefined {
    return this.#heard.get(id)?.get(from);
  }

  /** How `hear` would answer, without keeping anything (the engine checks a whole frame first). */
  check(from: PeerId, id: MessageId, e: Echoed): Heard | 'too-many' {
    const had = this.of(id, from);
    if (had !== undefined) return sameEcho(had, e) ? 'same' : 'changed';
    return (this.#perPeer.get(from) ?? 0) >= MAX_ECHOES_PER_PEER ? 'too-many' : 'new';
  }

  hear(from: PeerId, id: MessageId, e: Echoed): Heard | 'too-many' {
    const verdict = this.check(from, id, e);
    if (verdict !== 'new') return verdict;
    const m = this.#heard.get(id) ?? new Map<PeerId, Echoed>();
    m.set(from, e);
    this.#heard.set(id, m);
    this.#perPeer.set(from, (this.#perPeer.get(from) ?? 0) + 1);
    return 'new';
  }

  /** Every peer in `needed` echoed exactly `mine`. */
  confirmed(id: MessageId, mine: Echoed, needed: Iterable<PeerId>): boolean {
    const m = this.#heard.get(id);
    for (const p of needed) {
      const e = m?.get(p);
      if (e === undefined || !sameEcho(e, mine)) return false;
    }
    return true;
  }

  /** Peers whose echo for `id` is not `mine`: one of them, or the sender, lied. */
  contradicting(id: MessageId, mine: Echoed): PeerId[] {
    return [...(this.#heard.get(id) ?? [])].filter(([, e]) => !sameEcho(e, mine)).map(([p]) => p);
  }

  /** The message was delivered (or dropped): its echoes are no longer needed. */
  forget(id: MessageId): void {
    const m = this.#heard.get(id);
    if (m === undefined) return;
    this.#heard.delete(id);
    for (const p of m.keys()) this.#perPeer.set(p, (this.#perPeer.get(p) ?? 1) - 1);
  }

  /** A view change resolved every message of the old view: echoes are per view. */
  clear(): void {
    this.#heard.clear();
    this.#perPeer.clear();
  }

  get size(): number {
    let n = 0;
    for (const m of this.#heard.values()) n += m.size;
    return n;
  }
}

/**
 * The ECHO frames for what one step applied: to every member but us, each
 * without the entries of its own messages (a sender knows what it said).
 * Nothing for a member that would get no entry.
 */
export const echoFrames = (
  groupId: GroupId,
  viewId: ViewId,
  self: PeerId,
  members: Iterable<PeerId>,
  entries: readonly EchoEntry[],
): Outbound[] => {
  const out: Outbound[] = [];
  if (entries.length === 0) return out;
  for (const to of members) {
    if (to === self) continue;
    const finals = entries.filter((e) => e.sender !== to);
    if (finals.length === 0) continue;
    const frame: EchoFrame = { t: 'echo', groupId, viewId, finals };
    out.push({ to, frame });
  }
  return out;
};

/** The members whose echo a member needs before it delivers `sender`'s message: all but itself and the sender. */
export const echoesNeeded = (members: Iterable<PeerId>, self: PeerId, sender: PeerId): PeerId[] =>
  [...members].filter((m) => m !== self && m !== sender);
