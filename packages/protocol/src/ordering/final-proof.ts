// Proof that a total-order sender equivocated on a FINAL (PROTOCOL.md §3.3 "Signed FINALs"): two of
// its signed FINALs for one message of one view with another priority or version, or a signed FINAL
// for another version than a signed DATA of its with the same seq and view. An honest engine signs
// one DATA per seq and one FINAL per message, for that DATA: only a liar signs such a pair. Pure: the
// caller checks both signatures with the accused's key (the tracker, with the key the hello proved).

import type { MessageId, PeerId } from '../ids.ts';
import type { DataFrame, EchoEntry, EchoFrame, FinalFrame } from '../wire/frames.ts';
import { samePriority } from './priority.ts';
import { listHolds } from '../wire/cumulative.ts';

export interface FinalProof {
  readonly final: FinalFrame;
  /** Another FINAL of the same message, or the sender's DATA of that seq for another version. */
  readonly other: FinalFrame | DataFrame;
}

/**
 * Whether `proof` names one sender, one message of one view, and two things it cannot both have signed. A
 * FINAL signed in a cumulative list carries that list, which must hold its entry (PROTOCOL.md §1.2c).
 */
export const contradicts = (proof: FinalProof): boolean => {
  const { final: a, other: b } = proof;
  if (a.groupId !== b.groupId || a.viewId !== b.viewId || a.sender !== b.sender || a.seq !== b.seq) return false;
  if (!listHolds(a) || (b.t === 'final' && !listHolds(b))) return false;
  if (b.t === 'data') return a.version !== b.sig;
  return a.version !== b.version || !samePriority(a.priority, b.priority);
};

/** The sender accused by a proof. */
export const accusedBy = (proof: FinalProof): PeerId => proof.final.sender;

/** The signed FINAL an echo entry restates (the echo's group and view are the FINAL's). */
export const finalOfEcho = (echo: Pick<EchoFrame, 'groupId' | 'viewId'>, e: EchoEntry): FinalFrame => ({
  t: 'final',
  groupId: echo.groupId,
  viewId: echo.viewId,
  sender: e.sender,
  seq: e.seq,
  priority: e.priority,
  version: e.sig,
  sig: e.final,
  ...(e.list === undefined ? {} : { list: e.list }),
});

/** The echo entry that restates `f`, marked when this member does not apply it. */
export const echoOfFinal = (f: FinalFrame, objected: boolean): EchoEntry => ({
  sender: f.sender,
  seq: f.seq,
  priority: f.priority,
  sig: f.version,
  final: f.sig ?? '',
  ...(objected ? { objected: true as const } : {}),
  ...(f.list === undefined ? {} : { list: f.list }),
});

const sameFinal = (a: FinalFrame, b: FinalFrame): boolean =>
  a.version === b.version && samePriority(a.priority, b.priority);

/**
 * Per message of another sender in the installed view: the FINAL its sender sent this member, and the
 * first signed FINAL seen for it at all (from the sender or in an echo). Cleared at every install;
 * an entry goes when its message is delivered and stable, so it holds what the view has open.
 */
export class FinalWitness {
  readonly #got = new Map<MessageId, FinalFrame>();
  readonly #first = new Map<MessageId, FinalFrame>();
  readonly #proven = new Set<MessageId>();

  /** The FINAL the sender sent us for `id`, if any. */
  got(id: MessageId): FinalFrame | undefined {
    return this.#got.get(id);
  }

  /** The first signed FINAL seen for `id` (the sender's, or one an echo restated), if any. */
  first(id: MessageId): FinalFrame | undefined {
    return this.#first.get(id);
  }

  /** The sender's FINAL for `id` reached us: kept, and seen. */
  receive(id: MessageId, f: FinalFrame): FinalProof | null {
    if (!this.#got.has(id)) this.#got.set(id, f);
    return this.see(id, f);
  }

  /** A signed FINAL of `id`: the proof it makes with the first one seen, once per message; else null. */
  see(id: MessageId, f: FinalFrame): FinalProof | null {
    const first = this.#first.get(id);
    if (first === undefined) {
      this.#first.set(id, f);
      return null;
    }
    if (sameFinal(first, f)) return null;
    return this.prove(id) ? { final: first, other: f } : null;
  }

  /** True the first time a proof about `id` is made (one report per message). */
  prove(id: MessageId): boolean {
    if (this.#proven.has(id)) return false;
    this.#proven.add(id);
    return true;
  }

  forget(id: MessageId): void {
    this.#got.delete(id);
    this.#first.delete(id);
    this.#proven.delete(id);
  }

  clear(): void {
    this.#got.clear();
    this.#first.clear();
    this.#proven.clear();
  }

  get size(): number {
    return this.#first.size;
  }
}
