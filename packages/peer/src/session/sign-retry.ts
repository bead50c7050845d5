// Signing our own DATA, FINALs, FLUSH reports and FLUSH-OKs, and again when it fails. A frame we cannot
// sign holds up every send of ours behind it (each link carries the engine's order), and in a
// total-order group a FINAL that never leaves holds the whole group's delivery. So a failed signature
// is tried again after each of SIGN_RETRY_MS; when the last try fails too, `failed` is told, and the
// session gives the group up (PROTOCOL.md §3.3 "Signed FINALs": the others' view change then settles
// our messages without us).

import type { FinalFields, FlushOkStatementFields, FlushStatementFields, SignedFields } from '@chorus/protocol';
import { errorMessage } from '../chorus-error.ts';
import { signDraft, signOwnFinal, signOwnFlushOk, signOwnReport } from './node-ed25519.ts';

/** Pauses before each new try of a signature that failed; after the last, the failure is final. */
export const SIGN_RETRY_MS: readonly number[] = [100, 500, 2_000];

export type SignCommand =
  | { readonly type: 'sign'; readonly draft: SignedFields }
  | { readonly type: 'sign-final'; readonly final: FinalFields }
  | { readonly type: 'sign-flush'; readonly statement: FlushStatementFields }
  | { readonly type: 'sign-flush-ok'; readonly statement: FlushOkStatementFields };

/**
 * Carries out a session's `sign`, `sign-final`, `sign-flush` or `sign-flush-ok`: `answer` gets the signature
 * (in this turn in Node, else once WebCrypto settles), or `failed` a sentence for the person once every try
 * failed. Nothing is called
 * once `closed()` says the session ended.
 */
export function signRetrying(
  privateKey: CryptoKey,
  c: SignCommand,
  answer: (sig: string) => void,
  failed: (message: string) => void,
  closed: () => boolean,
  pauses: readonly number[] = SIGN_RETRY_MS,
): void {
  const attempt = (tries: number): void => {
    let sig: string | Promise<string>;
    try {
      sig =
        c.type === 'sign'
          ? signDraft(privateKey, c.draft)
          : c.type === 'sign-final'
            ? signOwnFinal(privateKey, c.final)
            : c.type === 'sign-flush'
              ? signOwnReport(privateKey, c.statement)
              : signOwnFlushOk(privateKey, c.statement);
    } catch (e) {
      return again(tries + 1, e);
    }
    if (typeof sig === 'string') answer(sig);
    else
      void sig.then(
        (s) => closed() || answer(s),
        (e: unknown) => again(tries + 1, e),
      );
  };
  const again = (tries: number, e: unknown): void => {
    if (closed()) return;
    const pause = pauses[tries - 1];
    if (pause === undefined)
      return failed(
        `Signing with this device's key failed ${tries} times (${errorMessage(e)}): ` +
          'leaving the group so the others are not held up; join it again to retry.',
      );
    setTimeout(() => closed() || attempt(tries), pause);
  };
  attempt(0);
}
