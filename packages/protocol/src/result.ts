// One result shape for every parser and every tracker ack. Errors name a code
// (stable, counted in metrics) and a sentence a person can read.

export type ErrorCode =
  | 'bad-json'
  | 'bad-type'
  | 'missing-field'
  | 'too-large'
  | 'too-long'
  | 'too-many'
  | 'unknown-kind'
  | 'bad-signature'
  /** A proof (a restore's charter) that does not prove what it claims. */
  | 'bad-proof'
  | 'replay'
  /** Two signed messages of one sender on one seq or one predecessor (PROTOCOL.md §1.5): proof it equivocated. */
  | 'equivocation'
  /** A history page whose message names a predecessor of its sender the sponsor did not hand (§1.5, §4). */
  | 'gap'
  | 'old-view'
  | 'future-view'
  | 'forged-sender'
  | 'not-member'
  | 'not-found'
  | 'name-taken'
  | 'wrong-password'
  /** Authenticated, but this key may not: a direct message of two other keys. */
  | 'not-allowed'
  | 'not-authenticated'
  | 'rate-limited'
  | 'bad-state'
  | 'internal';

export interface ProtocolError {
  readonly code: ErrorCode;
  readonly message: string;
}

export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ProtocolError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = <T = never>(code: ErrorCode, message: string): Result<T> => ({
  ok: false,
  error: { code, message },
});
