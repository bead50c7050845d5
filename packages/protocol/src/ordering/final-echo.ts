// Echoes of FINALs in total-order groups (PROTOCOL.md §3.3 "Echo"): pure
// bookkeeping, no I/O, no clock. A hostile sender can tell two members two
// different priorities (or hand them two versions of the DATA): each would
// order the message at its own place (S4). So a member that gets a FINAL tells
// every other member the sender's signed FINAL it got (and whether it objects
// to it), and delivers another sender's message only once every other member
// of the view (but the sender) echoed exactly what it holds itself. Two honest
// members that hold different FINALs or versions then both wait, and the two
// signed FINALs are the proof that evicts the sender (final-proof.ts).

import { messageId } from '../ids.ts';
import type { GroupId, MessageId, PeerId, ViewId } from '../ids.ts';
import type { DataFrame, EchoEntry, EchoFrame, FinalFrame, Priority } from '../wire/frames.ts';
import type { EngineEvent, Outbound, Rejection } from './engine.ts';
import { p2s } from './engine-debug.ts';
import { isSeq } from './engine-state.ts';
import { isValidPriority, samePriority } from './priority.ts';
import { reject } from './rejection.ts';

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

export const isEchoEntry = (e: EchoEntry): boolean =>
  typeof e === 'object' &&
  e !== null &&
  typeof e.sender === 'string' &&
  isSeq(e.seq) &&
  isValidPriority(e.priority) &&
  typeof e.sig === 'string' &&
  typeof e.final === 'string';

/**
 * Why an ECHO from `from` is refused whole (remote; nothing of it kept), or null: an entry for the link's far end's
 * own message or for ours, naming a non-member, or restating another word than that member echoed before.
 */
export function echoRefusal(
  f: EchoFrame,
  from: PeerId,
  self: PeerId,
  members: ReadonlySet<PeerId>,
  echoes: EchoBook,
): Rejection | null {
  for (const e of f.finals) {
    if (e.sender === from || e.sender === self)
      return reject(
        'remote',
        'bad-state',
        `${from} echoed a final of ${e.sender}'s message to ${self}: only others' finals are echoed, never to their sender.`,
      );
    if (!members.has(e.sender) || !members.has(e.priority.by))
      return reject(
        'remote',
        'not-member',
        `${from} echoed a final of ${e.sender} naming ${e.priority.by}: not both members.`,
      );
    const verdict = echoes.check(from, messageId(f.groupId, e.sender, e.seq), echoedOf(e));
    if (verdict === 'changed')
      return reject('remote', 'bad-state', `${from} echoed message ${e.seq} of ${e.sender} twice, differently.`);
    if (verdict === 'too-many') return reject('remote', 'too-many', `${from} has too many echoes waiting here.`);
  }
  return null;
}

export const disputedEvent = (id: MessageId, by: PeerId, theirs: Echoed, mine: Echoed): EngineEvent => ({
  type: 'final-disputed',
  id,
  by,
  reason:
    `${by} echoed (${p2s(theirs.priority)})${theirs.sig === mine.sig ? '' : ' and another version'}${theirs.objected === true ? ' and objects to it' : ''}, this member holds (${p2s(mine.priority)}): ` +
    'its sender told members different things, or that member lies',
});

/**
 * Why a FINAL cannot be the largest of the proposals for a message we proposed `proposed` for, or
 * null: an honest FINAL is for the version we hold, at least our proposal, our proposal if it names
 * us, and the sender's own (on its DATA) if it names the sender. A lower one could place the message
 * before what we delivered meanwhile; a made-up pair could be another message's. (Such a FINAL is objected to.)
 */
export function finalBelow(
  signed: FinalFrame,
  proposed: Priority,
  f: DataFrame,
  self: PeerId,
  compare: (a: Priority, b: Priority) => number,
): string | null {
  const final = signed.priority;
  if (signed.version !== f.sig) return `(${p2s(final)}) is for another version of the message than the one held here`;
  if (compare(final, proposed) < 0) return `(${p2s(final)}) is below this member's proposal (${p2s(proposed)})`;
  if (final.by === self && !samePriority(final, proposed))
    return `(${p2s(final)}) names this member, which proposed (${p2s(proposed)})`;
  if (final.by === f.sender && f.proposal !== undefined && !samePriority(final, f.proposal))
    return `(${p2s(final)}) names its sender, whose own proposal was (${p2s(f.proposal)})`;
  return null;
}
