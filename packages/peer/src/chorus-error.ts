// The one Error class the peer runtime throws or rejects with: a stable code
// (counted, matched by UIs) and a sentence a person can read. Shaped like the
// tracker client's TrackerRequestError so callers can read `.code` on either.

export class ChorusError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ChorusError';
    this.code = code;
  }
}

/** The code of any error a runtime call rejected with ('internal' for a plain Error). */
export const errorCode = (e: unknown): string =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : 'internal';

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
