// Small typed readers for untrusted JSON values, shared by the frame parser.
// Each one either returns a clean value or throws a FieldRejection that only
// parse-frame.ts catches; nothing here escapes the parser. Readers look only at
// own properties, so keys such as `__proto__` or `constructor` in the input
// can never reach a prototype, and maps are rebuilt with a null prototype.

import type { ErrorCode } from '../result.ts';
import { MAX_PEER_ID_CHARS, MAX_SENDER_ENTRIES, MAX_WIRE_INTEGER, PEER_ID_PATTERN, RESERVED_KEYS } from './caps.ts';

export class FieldRejection {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
  ) {}
}

const reject = (code: ErrorCode, message: string): never => {
  throw new FieldRejection(code, message);
};

export type JsonObject = Readonly<Record<string, unknown>>;

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

export function readObject(v: unknown, path: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    reject('bad-type', `${path} must be an object, got ${describe(v)}.`);
  return v as JsonObject;
}

export function field(o: JsonObject, key: string, path: string): unknown {
  if (!Object.hasOwn(o, key)) reject('missing-field', `${path}.${key} is missing.`);
  return o[key];
}

export const hasField = (o: JsonObject, key: string): boolean => Object.hasOwn(o, key) && o[key] !== undefined;

export function readString(v: unknown, path: string, maxChars: number, minChars = 0): string {
  if (typeof v !== 'string') return reject('bad-type', `${path} must be a string, got ${describe(v)}.`);
  if (v.length > maxChars) reject('too-long', `${path} is ${v.length} characters; the limit is ${maxChars}.`);
  if (v.length < minChars) reject('bad-type', `${path} must not be empty.`);
  return v;
}

export function readInteger(v: unknown, path: string, min: number, max = MAX_WIRE_INTEGER): number {
  if (typeof v !== 'number') return reject('bad-type', `${path} must be a number, got ${describe(v)}.`);
  if (!Number.isSafeInteger(v) || v < min || v > max)
    reject('bad-type', `${path} must be an integer from ${min} to ${max}, got ${String(v).slice(0, 32)}.`);
  return v;
}

export function readBoolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') return reject('bad-type', `${path} must be true or false, got ${describe(v)}.`);
  return v;
}

export function readArray(v: unknown, path: string, maxItems: number): readonly unknown[] {
  if (!Array.isArray(v)) return reject('bad-type', `${path} must be an array, got ${describe(v)}.`);
  if (v.length > maxItems) reject('too-many', `${path} has ${v.length} items; the limit is ${maxItems}.`);
  return v;
}

/** True for a string that may be used as a peer id (and therefore as an object key). */
export const isPeerIdText = (s: string): boolean =>
  s.length > 0 && s.length <= MAX_PEER_ID_CHARS && PEER_ID_PATTERN.test(s) && !RESERVED_KEYS.has(s);

export function readPeerIdText(v: unknown, path: string): string {
  const s = readString(v, path, MAX_PEER_ID_CHARS, 1);
  if (!PEER_ID_PATTERN.test(s)) reject('bad-type', `${path} may only contain letters, digits, "_" and "-".`);
  if (RESERVED_KEYS.has(s)) reject('bad-type', `${path} is a reserved name.`);
  return s;
}

/** A `{ peerId: integer }` map, rebuilt with a null prototype so no key can touch Object.prototype. */
export function readCountMap(v: unknown, path: string, minValue: number): Readonly<Record<string, number>> {
  const o = readObject(v, path);
  const keys = Object.keys(o);
  if (keys.length > MAX_SENDER_ENTRIES)
    reject('too-many', `${path} has ${keys.length} entries; the limit is ${MAX_SENDER_ENTRIES}.`);
  const out = Object.create(null) as Record<string, number>;
  for (const key of keys) {
    const shown = key.slice(0, MAX_PEER_ID_CHARS);
    readPeerIdText(key, `${path} key "${shown}"`);
    out[key] = readInteger(o[key], `${path}["${shown}"]`, minValue);
  }
  return out;
}
