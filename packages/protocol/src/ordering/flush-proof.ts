// Proof that a participant equivocated on its FLUSH report (PROTOCOL.md §3.4 "Signed reports"): two
// statements it signed for one view of one group naming two different report hashes. An honest
// engine sends one report per view (a resend is the same report), so only a liar signs such a pair.
// Pure: the caller checks both signatures with the reporter's key (the tracker, with the key the
// hello proved).

import type { PeerId } from '../ids.ts';
import type { FlushStatement } from '../wire/frames.ts';
import { contradicts, type FinalProof } from './final-proof.ts';

export interface FlushProof {
  readonly flush: FlushStatement;
  /** Another statement of the same reporter for the same view, with another report hash. */
  readonly other: FlushStatement;
}

/** Whether `proof` names one reporter, one view of one group, and two different reports. */
export const flushContradicts = ({ flush: a, other: b }: FlushProof): boolean =>
  a.groupId === b.groupId && a.viewId === b.viewId && a.reporter === b.reporter && a.report !== b.report;

/** The reporter accused by a proof. */
export const flushAccused = (proof: FlushProof): PeerId => proof.flush.reporter;

/** What a member hands the tracker with `group:accuse`: two FINALs, or two FLUSH reports, of the accused. */
export type AccusationProof = FinalProof | FlushProof;

export const isFlushProof = (p: AccusationProof): p is FlushProof => 'flush' in p;

/** Whether either kind of proof names two things its signer cannot both have signed (signatures aside). */
export const proofContradicts = (p: AccusationProof): boolean =>
  isFlushProof(p) ? flushContradicts(p) : contradicts(p);
