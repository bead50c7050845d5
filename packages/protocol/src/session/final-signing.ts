// Our own FINALs, FLUSH reports and FLUSH-OKs leave signed (PROTOCOL.md §3.3 "Signed FINALs", §3.4
// "Signed reports", "Relay"), and a proof that another member signed two goes to the tracker. The
// engine signs nothing: its FINALs and FLUSH frames come out without `sig`. PROPOSEs, FINALs and ECHOs
// wait for the end of the turn (`endTurn`), and every send after the first of them with them, so the
// turn's are packed per link (turn-pack.ts, §1.2c): the FINALs made in one turn are signed once, as
// one list. The first send of an unsigned word asks the runtime to sign it (`sign-final`,
// `sign-flush`, `sign-flush-ok`), and every send after it, to any peer, waits until the signature is
// back, so each link carries its frames in the engine's order. A frame sent again (a repair, every
// part of a report) takes the signature made before (a FINAL signed in a list: the whole list again).

import type { GroupId, PeerId } from '../ids.ts';
import type { ProtocolError } from '../result.ts';
import type { EngineEvent } from '../ordering/engine.ts';
import {
  canonicalFinalText,
  canonicalFlushOkText,
  canonicalFlushText,
  finalFieldsOf,
  flushOkStatementOf,
} from '../wire/canonical.ts';
import { finalItemOf, type FinalItem } from '../wire/cumulative.ts';
import type {
  FinalFields,
  FinalFrame,
  FlushOkStatementFields,
  FlushStatementFields,
  GroupFrame,
} from '../wire/frames.ts';
import type { SessionCommand, SignWord } from './session-types.ts';
import { listsOf, packable, packTurn, type Send } from './turn-pack.ts';
import { problemOf } from './session-records.ts';

export type { SignWord };

/** Signatures of our own FINALs and reports kept for resends (a repair sends a FINAL again). */
const KEPT_SIGNATURES = 1024;

/** The signed fields of a `finals` frame of ours: its first entry, with the list. */
const listFields = (f: Extract<GroupFrame, { t: 'finals' }>): FinalFields => {
  const [seq, p, by, version] = f.items[0] as FinalItem;
  return { groupId: f.groupId, viewId: f.viewId, sender: f.sender, seq, priority: { p, by }, version, list: f.items };
};

export class FinalSigning {
  /** This turn's sends from the first PROPOSE, FINAL or ECHO on, packed at its end. */
  #turn: Send[] = [];
  /** Sends waiting, in order, behind a frame out for signing. */
  #held: Send[] = [];
  /** Frames out for signing, by signed text. */
  readonly #signing = new Set<string>();
  readonly #sigs = new Map<string, string>();
  /** The list each FINAL of ours signed in one was put in, by the FINAL's own signed text. */
  readonly #lists = new Map<string, readonly FinalItem[]>();
  /**
   * Signed texts by frame object: a FINAL to every member is one object handed to each link, and its
   * canonical text (a JSON.stringify) is made once, not once per link and step.
   */
  readonly #texts = new WeakMap<GroupFrame, string | null>();
  /** The signed copy of an unsigned frame, by the unsigned one: every link gets the same object (encoded once). */
  readonly #copies = new WeakMap<GroupFrame, { readonly sig: string; readonly frame: GroupFrame }>();

  constructor(private readonly self: PeerId) {}

  /** The statement our report `f` signs, when it is ours and unsigned. */
  #statement(f: GroupFrame): FlushStatementFields | null {
    // A report we relay (`reporter` set) is another's, signed by it (PROTOCOL.md §3.4 "Relay").
    if (f.t !== 'flush' || f.sig !== undefined || f.report === undefined || f.reporter !== undefined) return null;
    return { groupId: f.groupId, viewId: f.viewId, reporter: this.self, report: f.report };
  }

  /** The statement our FLUSH-OK `f` signs, when it is ours and unsigned (a relayed one names its sender). */
  #okStatement(f: GroupFrame): FlushOkStatementFields | null {
    if (f.t !== 'flush-ok' || f.sig !== undefined || f.sender !== undefined) return null;
    return flushOkStatementOf(f, this.self);
  }

  /** The signed text of an unsigned FINAL, list of FINALs, report or FLUSH-OK of ours, or null for any other frame. */
  #text(f: GroupFrame): string | null {
    const known = this.#texts.get(f);
    if (known !== undefined) return known;
    const text = this.#textOf(f);
    this.#texts.set(f, text);
    return text;
  }

  #textOf(f: GroupFrame): string | null {
    if (f.t === 'final') return f.sig === undefined ? canonicalFinalText(f) : null;
    if (f.t === 'finals') return f.sig === undefined ? canonicalFinalText(listFields(f)) : null;
    const ok = this.#okStatement(f);
    if (ok !== null) return canonicalFlushOkText(ok);
    const s = this.#statement(f);
    return s === null ? null : canonicalFlushText(s);
  }

  /** Whether the turn holds sends that `endTurn` packs. */
  get turnOpen(): boolean {
    return this.#turn.length > 0;
  }

  /** What to emit now for `c`: itself (signed, if signed before), a `sign-…` for its word, or nothing yet. */
  pass(c: SessionCommand): SessionCommand[] {
    if (c.type !== 'send') return [c];
    if (this.#turn.length > 0 || packable(c.frame)) {
      this.#turn.push(c);
      return [];
    }
    return this.#pass(c);
  }

  /** The end of the turn: its sends packed per link (turn-pack.ts), its new FINALs signed as lists. */
  endTurn(): SessionCommand[] {
    const sends = this.#turn;
    this.#turn = [];
    const fresh = (f: FinalFrame): boolean => {
      const text = this.#text(f) as string; // unsigned: listsOf asks only about those
      return !this.#sigs.has(text) && !this.#signing.has(text) && !this.#lists.has(text);
    };
    for (const list of listsOf(sends, fresh)) {
      const items = list.map(finalItemOf);
      for (const f of list) this.#lists.set(this.#text(f) as string, items);
    }
    while (this.#lists.size > KEPT_SIGNATURES * 4) this.#lists.delete(this.#lists.keys().next().value as string);
    const packed = packTurn(sends, (f) => (f.sig === undefined ? this.#lists.get(this.#text(f) as string) : undefined));
    return packed.flatMap((c) => this.#pass(c));
  }

  #pass(c: Send): SessionCommand[] {
    const signed = this.#signed(c);
    if (signed !== null && this.#held.length === 0) return [signed];
    this.#held.push(c);
    const text = this.#text(c.frame);
    if (signed !== null || text === null || this.#signing.has(text)) return [];
    this.#signing.add(text);
    const statement = this.#statement(c.frame);
    if (statement !== null) return [{ type: 'sign-flush', statement }];
    const ok = this.#okStatement(c.frame);
    if (ok !== null) return [{ type: 'sign-flush-ok', statement: ok }];
    if (c.frame.t === 'finals') return [{ type: 'sign-final', final: listFields(c.frame) }];
    return c.frame.t === 'final' ? [{ type: 'sign-final', final: finalFieldsOf(c.frame) }] : [];
  }

  /** The runtime's answer to `sign-final`, `sign-flush` or `sign-flush-ok`: the sends it held that go now, in order. */
  signed(c: SignWord, sig: string): SessionCommand[] {
    const text =
      c.type === 'sign-final'
        ? canonicalFinalText(c.final)
        : c.type === 'sign-flush'
          ? canonicalFlushText(c.statement)
          : canonicalFlushOkText(c.statement);
    if (!this.#signing.delete(text)) return [];
    this.#sigs.set(text, sig);
    if (this.#sigs.size > KEPT_SIGNATURES) this.#sigs.delete(this.#sigs.keys().next().value as string);
    const out: SessionCommand[] = [];
    for (let c = this.#held[0]; c !== undefined; c = this.#held[0]) {
      const ready = this.#signed(c);
      if (ready === null) break;
      out.push(ready);
      this.#held.shift();
    }
    return out;
  }

  /** A send with its FINAL, list or report signed, or null while the signature is not known. */
  #signed(c: Send): SessionCommand | null {
    const text = this.#text(c.frame);
    if (text === null) return c;
    const sig = this.#sigs.get(text);
    if (sig === undefined) return null;
    let copy = this.#copies.get(c.frame);
    if (copy?.sig !== sig) {
      copy = { sig, frame: { ...c.frame, sig } as GroupFrame };
      this.#copies.set(c.frame, copy);
    }
    return { ...c, frame: copy.frame };
  }
}

type Equivocation = Extract<EngineEvent, { type: 'final-equivocation' | 'flush-equivocation' }>;

/** An engine event that carries a proof for the tracker. */
export const isEquivocation = (ev: EngineEvent): ev is Equivocation =>
  ev.type === 'final-equivocation' || ev.type === 'flush-equivocation';

/** A proof from the engine: the liar's rejection (counted like any) and the accusation for the tracker. */
export const accusation = (
  ev: Equivocation,
  rejected: (from: PeerId, error: ProtocolError) => void,
): SessionCommand => {
  rejected(ev.by, {
    code: 'equivocation',
    message:
      ev.type === 'final-equivocation'
        ? `${ev.by} signed two different finals for message ${ev.id}: it is reported to the tracker.`
        : `${ev.by} signed two different FLUSH reports for view ${ev.viewId}: it is reported to the tracker.`,
  });
  return { type: 'accuse', accused: ev.by, proof: ev.proof };
};

/** The commands an engine event other than an install makes: a problem to report, an accusation, or none. */
export function eventCommands(
  groupId: GroupId,
  ev: EngineEvent,
  rejected: (from: PeerId, error: ProtocolError) => void,
): SessionCommand[] {
  if (ev.type === 'message-dropped')
    return [problemOf(groupId, 'message-dropped', `Message ${ev.id} was dropped: ${ev.reason}`, undefined, false)];
  if (ev.type === 'final-disputed')
    return [problemOf(groupId, 'bad-state', `Message ${ev.id} waits for a view change: ${ev.reason}`, ev.by, false)];
  if (ev.type === 'flush-disputed') return [problemOf(groupId, 'bad-state', ev.reason, ev.by, false)];
  return isEquivocation(ev) ? [accusation(ev, rejected)] : [];
}
