// Our own FINALs leave signed (PROTOCOL.md §3.3 "Signed FINALs"), and a proof that another sender
// signed two goes to the tracker. The engine signs nothing: its FINALs come out without `sig`. The
// first send of one asks the runtime to sign it (`sign-final`), and every send after it, to any peer,
// waits until the signature is back, so each link carries its frames in the engine's order. A FINAL
// sent again (a repair) takes the signature made before.

import type { PeerId } from '../ids.ts';
import type { ProtocolError } from '../result.ts';
import type { EngineEvent } from '../ordering/engine.ts';
import { canonicalFinalText, finalFieldsOf } from '../wire/canonical.ts';
import type { FinalFields } from '../wire/frames.ts';
import type { SessionCommand } from './session-types.ts';

/** Signatures of our own FINALs kept for resends (a repair sends a FINAL again). */
const KEPT_SIGNATURES = 1024;

type Send = Extract<SessionCommand, { type: 'send' }>;

const unsigned = (c: SessionCommand): c is Send =>
  c.type === 'send' && c.frame.t === 'final' && c.frame.sig === undefined;

export class FinalSigning {
  /** Sends waiting, in order, behind a FINAL out for signing. */
  #held: Send[] = [];
  /** FINALs out for signing, by signed text. */
  readonly #signing = new Set<string>();
  readonly #sigs = new Map<string, string>();

  /** What to emit now for `c`: itself (signed, if a FINAL we signed before), a `sign-final`, or nothing yet. */
  pass(c: SessionCommand): SessionCommand[] {
    if (c.type !== 'send') return [c];
    const signed = this.#signed(c);
    if (signed !== null && this.#held.length === 0) return [signed];
    this.#held.push(c);
    if (signed !== null || !unsigned(c) || c.frame.t !== 'final') return [];
    const text = canonicalFinalText(c.frame);
    if (this.#signing.has(text)) return [];
    this.#signing.add(text);
    return [{ type: 'sign-final', final: finalFieldsOf(c.frame) }];
  }

  /** The runtime's answer to `sign-final`: the sends it held that can go now, in order. */
  signed(fields: FinalFields, sig: string): SessionCommand[] {
    const text = canonicalFinalText(fields);
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

  /** A send with its FINAL signed, or null while the signature is not known. */
  #signed(c: Send): SessionCommand | null {
    if (!unsigned(c) || c.frame.t !== 'final') return c;
    const sig = this.#sigs.get(canonicalFinalText(c.frame));
    return sig === undefined ? null : { ...c, frame: { ...c.frame, sig } };
  }
}

/** A proof from the engine: the sender's rejection (counted like any) and the accusation for the tracker. */
export const accusation = (
  ev: Extract<EngineEvent, { type: 'final-equivocation' }>,
  rejected: (from: PeerId, error: ProtocolError) => void,
): SessionCommand => {
  rejected(ev.by, {
    code: 'equivocation',
    message: `${ev.by} signed two different finals for message ${ev.id}: it is reported to the tracker.`,
  });
  return { type: 'accuse', accused: ev.by, proof: ev.proof };
};
