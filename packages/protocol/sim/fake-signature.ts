// Deterministic stand-in for Ed25519 in the simulator. The runtime signs
// outside the engine (draft -> sign -> send); the sim does the same with a
// hash over the signed fields, so the checker can prove S2 (no creation):
// every delivered frame carries the signature its sender made over exactly
// those fields.

import { canonicalFinalText, canonicalFlushOkText, canonicalFlushText } from '../src/wire/canonical.ts';
import { listHolds } from '../src/wire/cumulative.ts';
import type {
  FinalFields,
  FinalFrame,
  FlushOkStatementFields,
  FlushStatement,
  FlushStatementFields,
  SignedFields,
} from '../src/wire/frames.ts';

/** FNV-1a, 32 bit: cheap and good enough to notice any altered field. */
const fnv1a = (text: string): string => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
};

/** Field order is fixed so the same fields always give the same text. */
export const canonicalFields = (f: SignedFields): string =>
  JSON.stringify([
    f.groupId,
    f.viewId,
    f.sender,
    f.seq,
    f.lamport,
    f.sentAt,
    f.body,
    ...(f.prev === undefined ? [] : [f.prev]),
  ]);

export const fakeSign = (f: SignedFields): string => `sim:${f.sender}:${fnv1a(canonicalFields(f))}`;

export const fakeVerify = (f: SignedFields & { readonly sig: string }): boolean => f.sig === fakeSign(f);

/** A FINAL's stand-in signature (its text starts with its own tag, so it never passes for a DATA's). */
export const fakeSignFinal = (f: FinalFields): string => `sim:${f.sender}:${fnv1a(canonicalFinalText(f))}`;

export const fakeVerifyFinal = (f: FinalFrame): boolean => listHolds(f) && f.sig === fakeSignFinal(f);

/** A FLUSH report's stand-in signature over its statement (PROTOCOL.md §3.4 "Signed reports"). */
export const fakeSignFlush = (s: FlushStatementFields): string => `sim:${s.reporter}:${fnv1a(canonicalFlushText(s))}`;

export const fakeVerifyFlush = (s: FlushStatement): boolean => s.sig === fakeSignFlush(s);

/** A FLUSH-OK's stand-in signature over its statement (PROTOCOL.md §3.4 "Relay"). */
export const fakeSignFlushOk = (s: FlushOkStatementFields): string =>
  `sim:${s.sender}:${fnv1a(canonicalFlushOkText(s))}`;

export const fakeVerifyFlushOk = (s: FlushOkStatementFields, sig: string | undefined): boolean =>
  sig === fakeSignFlushOk(s);
