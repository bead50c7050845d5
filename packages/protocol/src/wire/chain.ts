// Per-sender hash chains (PROTOCOL.md §1.5): every DATA names, in its signed
// `prev`, the hash of the same sender's previous DATA in the group, so one
// verified signature vouches for every earlier message it reaches by hashes,
// a message left out of a chain shows, and two messages on one predecessor
// are a signed proof that their sender equivocated.

import { canonicalSignedText } from './canonical.ts';
import type { SignedFields } from './frames.ts';
import { sha256TextBase64 } from './sha256.ts';

/** base64 of 32 bytes: the spelling of a link hash and of `prev`. */
export const LINK_HASH_B64_CHARS = 44;
/** The `prev` of a sender's first message in a group (or of a chain it restarts): 32 zero bytes. */
export const GENESIS_PREV = `${'A'.repeat(LINK_HASH_B64_CHARS - 1)}=`;

/** A DATA whose link hash can be computed: its signed fields and its signature. */
export type Linkable = SignedFields & { readonly sig: string };

/**
 * The hash a successor names as its `prev`: SHA-256 of the UTF-8 of the
 * frame's canonical signed text (v1 or v2, wire/canonical.ts) followed
 * directly by its `sig` (the JSON text ends itself, so the pair reads back one
 * way), as padded base64. The signature is inside, so a message reached by
 * hashes carries the very signature its sender made.
 */
export function linkHash(f: Linkable): string {
  let h = hashes.get(f);
  if (h === undefined) hashes.set(f, (h = sha256TextBase64(canonicalSignedText(f) + f.sig)));
  return h;
}

/** Frames are immutable once parsed: a page's verifier and the session's checks hash each once. */
const hashes = new WeakMap<Linkable, string>();

/** Whether a DATA says it starts its sender's chain (its first message, or a restart). */
export const startsChain = (f: SignedFields): boolean => f.prev === GENESIS_PREV;

/**
 * How a page of one group's messages is verified with one signature per
 * chain segment instead of one per message (PROTOCOL.md §1.5, §4): per
 * sender, in seq order, a message is vouched for by the next one when that
 * one has the next seq, names this one's link hash and travels with the same
 * key; a vouching message's signature then covers it. For each index, the
 * index whose signature decides it: itself for the newest message of each
 * segment (the sender's newest in the page, and every message whose
 * successor is missing or names another hash).
 */
export function chainAnchors<T>(
  items: readonly T[],
  frameOf: (t: T) => Linkable,
  keyOf: (t: T) => string | undefined = () => undefined,
): number[] {
  const order = items.map((_, i) => i);
  order.sort((a, b) => {
    const fa = frameOf(items[a]!),
      fb = frameOf(items[b]!);
    return fa.sender < fb.sender ? -1 : fa.sender > fb.sender ? 1 : fb.seq - fa.seq;
  });
  const anchor = items.map((_, i) => i);
  // Newest first per sender: each message takes the anchor of the one after it when that one names it.
  for (let k = 1; k < order.length; k++) {
    const i = order[k]!,
      next = order[k - 1]!;
    const f = frameOf(items[i]!),
      succ = frameOf(items[next]!);
    if (
      succ.sender === f.sender &&
      succ.seq === f.seq + 1 &&
      succ.prev === linkHash(f) &&
      keyOf(items[next]!) === keyOf(items[i]!)
    )
      anchor[i] = anchor[next]!;
  }
  return anchor;
}
