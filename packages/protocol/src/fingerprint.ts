// How a person is told apart from a namesake (docs/design.md §6, "People
// are keys"): a person is an Ed25519 public key, never a display name; two
// keys with one name are two people, shown with a short fingerprint of the
// key. Shared by the web app (apps/web/src/lib/people.ts) and the terminal
// client (apps/cli), so both write the same fingerprint for the same key.
// Pure: no I/O.

/** Bytes of the key the fingerprint shows: 24 bits, enough to tell honest namesakes apart at a glance. */
const FINGERPRINT_BYTES = 3;

/**
 * The short fingerprint of a public key (base64): its first three bytes in
 * hex, grouped `3f9a·c2`; `key unknown` for anything that is not base64 of
 * a key (a stand-in for a sender whose key is unknown). It tells two people
 * with one name apart; it is not an authentication (an impostor can grind a
 * key with the same 24 bits in minutes), which docs/design.md says.
 */
export function fingerprint(key: string): string {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
  } catch {
    return 'key unknown';
  }
  if (bytes.length < FINGERPRINT_BYTES) return 'key unknown';
  const hex = Array.from(bytes.subarray(0, FINGERPRINT_BYTES), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 4)}·${hex.slice(4)}`;
}

/** A fingerprint pasted into a display name ("Alice (3f9a·c2)") does not make it another name. */
const FINGERPRINT_SUFFIX = /\(\s*[0-9a-f]{4}\s*[·.:-]?\s*[0-9a-f]{2}\s*\)/gu;

/**
 * What "the same name" means for telling people apart: case, width,
 * spacing, punctuation, invisible characters and a copied fingerprint do not
 * count. (Look-alike letters of other scripts still do: "Аlice" with a
 * Cyrillic А is another name. The fingerprint is the defence there.)
 */
export function nameSkeleton(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(FINGERPRINT_SUFFIX, '')
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/** `Alice (3f9a·c2)`: a name with its key's fingerprint. */
export function withFingerprint(name: string, key: string): string {
  return `${name} (${fingerprint(key)})`;
}
