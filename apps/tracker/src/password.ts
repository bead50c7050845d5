// Group passwords are stored only as scrypt hashes: a leaked store (Redis
// dump) does not reveal them. Format: scrypt$N$r$p$saltB64$hashB64.

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { MAX_SCRYPT_MEMORY_BYTES, lockCostAcceptable } from '@chorus/protocol';

/**
 * OWASP Password Storage Cheat Sheet (2023+): scrypt N=2^17, r=8, p=1, or an
 * equal-cost trade of memory for time; N=2^15, r=8, p=3 is one of its listed
 * equivalents, at 32 MiB per check instead of 128 (several checks run at
 * once on a node). ~0.2 s of an idle laptop core per check (4.5× the old N=2^14, p=1). Hashes written with older
 * parameters (N=2^14, p=1) carry them and still verify.
 */
const SCRYPT_N = 2 ** 15;
const SCRYPT_R = 8;
const SCRYPT_P = 3;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, { N: n, r, p, maxmem: 2 * MAX_SCRYPT_MEMORY_BYTES }, (e, key) =>
      e ? reject(e) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P);
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  // Never run a verifier with unbounded cost (a charter's lock comes from a peer at a restore).
  if (!lockCostAcceptable(stored)) return false;
  const [tag, n, r, p, salt, hash] = stored.split('$');
  if (
    tag !== 'scrypt' ||
    n === undefined ||
    r === undefined ||
    p === undefined ||
    salt === undefined ||
    hash === undefined
  )
    return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}
