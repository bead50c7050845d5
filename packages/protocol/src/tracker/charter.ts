// A group's charter: the record the tracker writes once when a group is
// created (name, ordering, lock, creator) and whose SHA-256 is the group id.
// Members get it when they join and keep it; after a tracker forgot the group
// (in-memory restart) a member presents it to restore the group exactly as it
// was. Nobody can restore an id without its charter (a preimage of the id),
// nor change its name, ordering or lock, nor unlock it without the password.
// Pure: no I/O; the hash comes from WebCrypto (`crypto.subtle`, Node and browsers).

import { asGroupId } from '../ids.ts';
import type { GroupId, Ordering } from '../ids.ts';
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { utf8Bytes } from '../wire/utf8.ts';
import { MAX_NAME_CHARS } from './name-caps.ts';
import { dmGroupId, type DmParties, type DmParty } from './dm.ts';

/** Domain tag: a charter's hash can never collide with the bytes of another signed or hashed thing. */
export const CHARTER_TAG = 'chorus-charter-v1';

export interface GroupCharter {
  readonly v: 1;
  readonly name: string;
  readonly ordering: Ordering;
  /** Display name of the creator's session, as bound at hello. */
  readonly createdBy: string;
  /** The creator's Ed25519 public key (padded base64), as bound at hello. */
  readonly creatorKey: string;
  readonly createdAt: number;
  /** Random; makes two groups with equal fields distinct ids. */
  readonly nonce: string;
  /**
   * Password verifier `scrypt$N$r$p$salt$hash` (see apps/tracker password.ts);
   * absent = open group. Only members (who know the password) ever hold a
   * charter, so this is no new secret, and it lets a restore prove the
   * password without trusting the restorer.
   */
  readonly lock?: string;
  /**
   * A direct message (dm.ts): the two people, sorted by key. Its id is
   * `dmGroupId` of the two keys, not the hash of the other fields: both
   * sides must find the same group. Always FIFO and open (no lock); only
   * these two keys may join or restore it, and the tracker never lists it.
   */
  readonly dm?: DmParties;
}

/** The bytes that are hashed: a fixed array, so key order in the JSON a peer kept changes nothing. */
export function charterBytes(c: GroupCharter): Uint8Array<ArrayBuffer> {
  return utf8Bytes(
    JSON.stringify([
      CHARTER_TAG,
      c.v,
      c.name,
      c.ordering,
      c.createdBy,
      c.creatorKey,
      c.createdAt,
      c.nonce,
      c.lock ?? null,
    ]),
  );
}

const base64url = (bytes: Uint8Array): string => {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** `g` + base64url(SHA-256(charterBytes)): 44 characters, a valid id token. */
export async function charterGroupId(c: GroupCharter): Promise<GroupId> {
  if (c.dm !== undefined) return dmGroupId(c.dm[0].publicKey, c.dm[1].publicKey);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', charterBytes(c)));
  return asGroupId(`g${base64url(digest)}`);
}

// ---- parsing (a restore carries a charter from a peer: untrusted) ----

/** Largest N·r·p a lock may ask the tracker to compute: OWASP's scrypt guidance (2^17·8·1) with room for p=2. */
export const MAX_SCRYPT_WORK = 2 ** 17 * 8 * 2;
/** Largest memory a lock may ask for, 128·N·r bytes: 128 MiB. */
export const MAX_SCRYPT_MEMORY_BYTES = 128 * 1024 * 1024;
/** The weakest lock still verified: N=2^14 (hashes written before the parameters were raised). */
export const MIN_SCRYPT_N = 2 ** 14;
const LOCK_PATTERN =
  /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$[A-Za-z0-9+/]{16,88}={0,2}\$[A-Za-z0-9+/]{16,88}={0,2}$/;
const KEY_PATTERN = /^[A-Za-z0-9+/]{43}=$/;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
/** Date's range: anything beyond cannot be shown as a date. */
const MAX_TIME_MS = 8.64e15;

/** Whether the tracker may run this verifier: bounded CPU and memory, whatever the charter's author asked for. */
export function lockCostAcceptable(lock: string): boolean {
  const m = LOCK_PATTERN.exec(lock);
  if (m === null) return false;
  const n = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  const powerOfTwo = n >= 2 && (n & (n - 1)) === 0;
  return (
    powerOfTwo &&
    n >= MIN_SCRYPT_N &&
    r >= 1 &&
    p >= 1 &&
    n * r * p <= MAX_SCRYPT_WORK &&
    128 * n * r <= MAX_SCRYPT_MEMORY_BYTES
  );
}

export function parseCharter(x: unknown): Result<GroupCharter> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return err('bad-type', 'The charter must be an object.');
  const o = x as Record<string, unknown>;
  const str = (k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null);
  if (o['v'] !== 1) return err('bad-type', 'The charter must have "v": 1.');
  const name = str('name');
  const createdBy = str('createdBy');
  if (name === null || name.length === 0 || [...name].length > MAX_NAME_CHARS)
    return err('bad-type', 'The charter needs a "name" of 1 to 64 characters.');
  if (createdBy === null || createdBy.length === 0 || [...createdBy].length > MAX_NAME_CHARS)
    return err('bad-type', 'The charter needs a "createdBy" of 1 to 64 characters.');
  const ordering = o['ordering'];
  if (ordering !== 'fifo' && ordering !== 'total')
    return err('bad-type', 'The charter\'s "ordering" must be "fifo" or "total".');
  const creatorKey = str('creatorKey');
  if (creatorKey === null || !KEY_PATTERN.test(creatorKey))
    return err('bad-type', 'The charter\'s "creatorKey" must be 44 characters of padded base64.');
  const createdAt = o['createdAt'];
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || createdAt < 0 || createdAt > MAX_TIME_MS) {
    return err('bad-type', 'The charter\'s "createdAt" must be a time in milliseconds.');
  }
  const nonce = str('nonce');
  if (nonce === null || !NONCE_PATTERN.test(nonce))
    return err('bad-type', 'The charter\'s "nonce" must be 16 to 64 base64url characters.');
  const lock = o['lock'];
  if (lock !== undefined && (typeof lock !== 'string' || !lockCostAcceptable(lock))) {
    return err('bad-type', `The charter's "lock" must be a scrypt verifier with N ≥ ${MIN_SCRYPT_N} and bounded cost.`);
  }
  const base: GroupCharter = { v: 1, name, ordering, createdBy, creatorKey, createdAt, nonce };
  if (o['dm'] !== undefined) {
    const dm = parseParties(o['dm']);
    if (!dm.ok) return dm;
    if (lock !== undefined || ordering !== 'fifo')
      return err('bad-type', 'A direct message\'s charter is FIFO and has no "lock".');
    if (creatorKey !== dm.value[0].publicKey && creatorKey !== dm.value[1].publicKey)
      return err('bad-type', 'A direct message is created by one of its two people.');
    return ok({ ...base, dm: dm.value });
  }
  return ok(lock === undefined ? base : { ...base, lock });
}

function parseParty(x: unknown): DmParty | null {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return null;
  const o = x as Record<string, unknown>;
  const publicKey = o['publicKey'];
  const name = o['name'];
  if (typeof publicKey !== 'string' || !KEY_PATTERN.test(publicKey)) return null;
  if (typeof name !== 'string' || name.length === 0 || [...name].length > MAX_NAME_CHARS) return null;
  return { publicKey, name };
}

/** Two parties with two different keys, in key order (as `sortParties` makes them). */
export function parseParties(x: unknown): Result<DmParties> {
  if (!Array.isArray(x) || x.length !== 2) return err('bad-type', 'A direct message\'s "dm" must list its two people.');
  const a = parseParty(x[0]);
  const b = parseParty(x[1]);
  if (a === null || b === null)
    return err(
      'bad-type',
      'Each person of a direct message needs a "publicKey" (44 characters of padded base64) and a "name" of 1 to 64 characters.',
    );
  if (!(a.publicKey < b.publicKey))
    return err('bad-type', 'The two people of a direct message have different keys, listed in key order.');
  return ok([a, b]);
}
