// Direct messages: a private group of exactly two public keys.
// Its id is derived from the two keys alone, sorted, so both people find the
// same group whoever opens it first, and a group id can never name a DM of
// other keys (a SHA-256 preimage). The tracker lets only those two keys join
// or restore it and never lists it (PROTOCOL.md §2 Direct messages).
// Pure: no I/O; the hash comes from WebCrypto.

import { asGroupId } from '../ids.ts';
import type { GroupId } from '../ids.ts';
import { utf8Bytes } from '../wire/utf8.ts';

/** Domain tag: a DM id can never collide with a charter's hash. */
export const DM_TAG = 'chorus-dm-v1';

/** One of the two people of a direct message: a key, and the name it was opened with (a label, not proof). */
export interface DmParty {
  /** Raw Ed25519 public key, padded base64 (44 characters). */
  readonly publicKey: string;
  readonly name: string;
}

/** The two parties, sorted by public key (so both sides build the same charter). */
export type DmParties = readonly [DmParty, DmParty];

const base64url = (bytes: Uint8Array): string => {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** The parties sorted by key; the order they were given in does not matter. */
export function sortParties(a: DmParty, b: DmParty): DmParties {
  return a.publicKey < b.publicKey ? [a, b] : [b, a];
}

/** `d` + base64url(SHA-256(UTF-8 JSON `["chorus-dm-v1", lowerKey, higherKey]`)): 44 characters, like a group id. */
export async function dmGroupId(keyA: string, keyB: string): Promise<GroupId> {
  const [lo, hi] = keyA < keyB ? [keyA, keyB] : [keyB, keyA];
  const bytes = utf8Bytes(JSON.stringify([DM_TAG, lo, hi]));
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return asGroupId(`d${base64url(digest)}`);
}

/**
 * Whether an id has the shape of a DM id. Ordinary groups' ids are charter
 * hashes starting with `g`, so an id of this shape is never a listed group:
 * the tracker uses it to keep a DM's id out of directory pushes even after
 * the DM itself is gone.
 */
export const isDmGroupId = (groupId: string): boolean => /^d[A-Za-z0-9_-]{43}$/.test(groupId);

/** The party that is not `selfKey` (the person a DM is with), or null when `selfKey` is neither. */
export function otherParty(parties: DmParties, selfKey: string): DmParty | null {
  if (parties[0].publicKey === selfKey) return parties[1];
  if (parties[1].publicKey === selfKey) return parties[0];
  return null;
}

export const isParty = (parties: DmParties, key: string): boolean =>
  parties[0].publicKey === key || parties[1].publicKey === key;
