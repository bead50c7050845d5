// Parsers for every client->server tracker event payload. The tracker calls
// exactly one of these per inbound event before it looks at anything else.
// They never throw: untrusted input becomes a typed value or a Result error
// with a stable code and a sentence. Caps live here, next to the grammar
// (the name and password caps in name-caps.ts, which UIs import).

import { asGroupId, asPeerId } from '../ids.ts';
import type { GroupId, LinkReportState, Ordering, PeerId } from '../ids.ts';
import { err, ok } from '../result.ts';
import type { ErrorCode, Result } from '../result.ts';
import { parseCharter } from './charter.ts';
import { MAX_NAME_CHARS, MAX_PASSWORD_CHARS } from './name-caps.ts';
import type { GroupCharter } from './charter.ts';
import { PEER_ROLES, type PeerRole } from './events.ts';
import { contradicts, type FinalProof } from '../ordering/final-proof.ts';
import type { AccusationProof } from '../ordering/flush-proof.ts';
import { parseFrameValue } from '../wire/parse-frame.ts';
import { parseFlushProof } from '../wire/parse-flush-proof.ts';

/** Peer and group ids are tokens we can put in keys and rooms: short, no separators that need escaping. */
export const MAX_ID_CHARS = 64;
const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
export { MAX_NAME_CHARS, MAX_PASSWORD_CHARS } from './name-caps.ts';
/** An SDP offer with many candidates stays well under this; the socket cap is 64 KiB anyway. */
export const MAX_SIGNAL_DATA_BYTES = 32 * 1024;
/** Raw Ed25519 public key (32 bytes) and signature (64 bytes) in padded standard base64. */
export const PUBLIC_KEY_B64_CHARS = 44;
export const SIGNATURE_B64_CHARS = 88;
/**
 * Highest view id a restore may carry. Views change once per join, leave or
 * failure: 2^40 changes are 35 years of 1 000 view changes a second, and above
 * it 2^53 - 2^40 more views stay safe integers, so nobody can push a group's
 * next view past Number.MAX_SAFE_INTEGER (where every engine refuses it).
 */
export const MAX_VIEW_ID = 2 ** 40;
/** Groups in one directory page (the hello carries the first): a side bar's worth. */
export const DIRECTORY_PAGE_GROUPS = 50;
/** JSON bytes of one directory page, whatever the names: keeps a hello under 20 kB. */
export const DIRECTORY_PAGE_BYTES = 16 * 1024;
/** A directory offset past this is paging through a directory no tracker holds. */
export const MAX_DIRECTORY_OFFSET = 10_000_000;
/** Metrics counters beyond this are nonsense from a broken or hostile peer. */
export const MAX_METRIC_VALUE = 1e12;

const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;
// Control characters (C0, DEL, C1) and bidi overrides make names that spoof others in a list.
// eslint-disable-next-line no-control-regex
const BAD_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export interface ParsedHello {
  readonly peerId: PeerId;
  readonly name: string;
  readonly publicKey: string;
  readonly signature: string;
  readonly role?: PeerRole;
}
export interface ParsedCreateGroup {
  readonly name: string;
  readonly ordering: Ordering;
  readonly password?: string;
}
export interface ParsedJoinGroup {
  readonly groupId: GroupId;
  readonly password?: string;
}
export interface ParsedOpenDm {
  readonly publicKey: string;
  readonly name: string;
}
export interface ParsedGroupRef {
  readonly groupId: GroupId;
}
export interface ParsedSignal {
  readonly groupId: GroupId;
  readonly to: PeerId;
  readonly data: unknown;
}
export interface ParsedLinkReport {
  readonly groupId: GroupId;
  readonly peer: PeerId;
  readonly state: LinkReportState;
  /** With `relayed` only: the member that carries the pair's frames. */
  readonly via?: PeerId;
}
export interface ParsedMetricsReport {
  readonly groupId: GroupId;
  readonly sent: number;
  readonly received: number;
  readonly total: number;
  readonly throughputPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly rejectedFrames: number;
}

type Fields = Readonly<Record<string, unknown>>;

const fail = <T>(code: ErrorCode, message: string): Result<T> => err<T>(code, message);

function object(x: unknown, what: string): Result<Fields> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) {
    return fail('bad-type', `The ${what} must be an object.`);
  }
  return ok(x as Fields);
}

function requiredString(o: Fields, key: string, what: string): Result<string> {
  if (!Object.prototype.hasOwnProperty.call(o, key) || o[key] === undefined) {
    return fail('missing-field', `The ${what} needs a "${key}".`);
  }
  const v = o[key];
  if (typeof v !== 'string') return fail('bad-type', `"${key}" in the ${what} must be a string.`);
  return ok(v);
}

function id(o: Fields, key: string, what: string): Result<string> {
  const s = requiredString(o, key, what);
  if (!s.ok) return s;
  if (s.value.length === 0 || s.value.length > MAX_ID_CHARS) {
    return fail('too-long', `"${key}" must be 1 to ${MAX_ID_CHARS} characters.`);
  }
  if (!ID_PATTERN.test(s.value)) {
    return fail('bad-type', `"${key}" may only contain letters, digits, "_" and "-".`);
  }
  return s;
}

function displayName(o: Fields, key: string, what: string): Result<string> {
  const s = requiredString(o, key, what);
  if (!s.ok) return s;
  const name = s.value.trim();
  if (name.length === 0) return fail('missing-field', `"${key}" must not be empty.`);
  if (name !== s.value) return fail('bad-type', `"${key}" must not start or end with spaces.`);
  if ([...name].length > MAX_NAME_CHARS)
    return fail('too-long', `"${key}" must be at most ${MAX_NAME_CHARS} characters.`);
  if (BAD_NAME_CHARS.test(name)) return fail('bad-type', `"${key}" must not contain control characters.`);
  return ok(name);
}

function base64(o: Fields, key: string, chars: number, what: string): Result<string> {
  const s = requiredString(o, key, what);
  if (!s.ok) return s;
  if (s.value.length !== chars || !BASE64_PATTERN.test(s.value)) {
    return fail('bad-type', `"${key}" must be ${chars} characters of padded base64.`);
  }
  return s;
}

function optionalPassword(o: Fields, what: string): Result<string | undefined> {
  const v = o['password'];
  if (v === undefined || v === null || v === '') return ok(undefined);
  if (typeof v !== 'string') return fail('bad-type', `"password" in the ${what} must be a string.`);
  if (v.length > MAX_PASSWORD_CHARS)
    return fail('too-long', `"password" must be at most ${MAX_PASSWORD_CHARS} characters.`);
  return ok(v);
}

function metric(o: Fields, key: string): Result<number> {
  const v = o[key];
  if (v === undefined) return fail('missing-field', `The metrics report needs "${key}".`);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_METRIC_VALUE) {
    return fail('bad-type', `"${key}" must be a finite number between 0 and ${MAX_METRIC_VALUE}.`);
  }
  return ok(v);
}

export function parseHello(x: unknown): Result<ParsedHello> {
  const what = 'hello';
  const o = object(x, what);
  if (!o.ok) return o;
  const peerId = id(o.value, 'peerId', what);
  if (!peerId.ok) return peerId;
  const name = displayName(o.value, 'name', what);
  if (!name.ok) return name;
  const publicKey = base64(o.value, 'publicKey', PUBLIC_KEY_B64_CHARS, what);
  if (!publicKey.ok) return publicKey;
  const signature = base64(o.value, 'signature', SIGNATURE_B64_CHARS, what);
  if (!signature.ok) return signature;
  const role = o.value['role'];
  if (role !== undefined && !PEER_ROLES.includes(role as PeerRole)) {
    return fail('bad-type', `"role" in the ${what} must be one of: ${PEER_ROLES.join(', ')} (or absent).`);
  }
  return ok({
    peerId: asPeerId(peerId.value),
    name: name.value,
    publicKey: publicKey.value,
    signature: signature.value,
    ...(role === undefined ? {} : { role: role as PeerRole }),
  });
}

export function parseCreateGroup(x: unknown): Result<ParsedCreateGroup> {
  const what = 'group to create';
  const o = object(x, what);
  if (!o.ok) return o;
  const name = displayName(o.value, 'name', what);
  if (!name.ok) return name;
  const ordering = requiredString(o.value, 'ordering', what);
  if (!ordering.ok) return ordering;
  if (ordering.value !== 'fifo' && ordering.value !== 'total') {
    return fail('bad-type', `"ordering" must be "fifo" or "total", not "${ordering.value.slice(0, 20)}".`);
  }
  const password = optionalPassword(o.value, what);
  if (!password.ok) return password;
  const base = { name: name.value, ordering: ordering.value as Ordering };
  return ok(password.value === undefined ? base : { ...base, password: password.value });
}

export interface ParsedRestoreGroup {
  readonly groupId: GroupId;
  /** Parsed, not yet proven: the tracker checks that it hashes to groupId. */
  readonly charter: GroupCharter;
  readonly viewId: number;
  readonly password?: string;
}

export function parseRestoreGroup(x: unknown): Result<ParsedRestoreGroup> {
  const what = 'group to restore';
  const o = object(x, what);
  if (!o.ok) return o;
  const groupId = id(o.value, 'groupId', what);
  if (!groupId.ok) return groupId;
  if (o.value['charter'] === undefined)
    return fail('missing-field', 'A restore needs the group\'s "charter" (members get it when they join).');
  const charter = parseCharter(o.value['charter']);
  if (!charter.ok) return charter;
  const password = optionalPassword(o.value, what);
  if (!password.ok) return password;
  const viewId = o.value['viewId'];
  if (viewId === undefined) return fail('missing-field', `The ${what} needs "viewId".`);
  if (typeof viewId !== 'number' || !Number.isSafeInteger(viewId) || viewId < 0) {
    return fail('bad-type', '"viewId" must be a non-negative integer.');
  }
  if (viewId > MAX_VIEW_ID) return fail('too-large', `"viewId" must be at most ${MAX_VIEW_ID} (2^40).`);
  const base = { groupId: asGroupId(groupId.value), charter: charter.value, viewId };
  return ok(password.value === undefined ? base : { ...base, password: password.value });
}

export interface ParsedDirectoryQuery {
  /** Lower-cased; empty = every group. */
  readonly query: string;
  readonly offset: number;
}

/** `directory:list` takes an optional query; none (or `{}`) is the first page of everything. */
export function parseDirectoryQuery(x: unknown): Result<ParsedDirectoryQuery> {
  if (x === undefined || x === null) return ok({ query: '', offset: 0 });
  const what = 'directory query';
  const o = object(x, what);
  if (!o.ok) return o;
  const q = o.value['query'];
  if (q !== undefined && typeof q !== 'string') return fail('bad-type', '"query" must be a string.');
  if (typeof q === 'string' && [...q].length > MAX_NAME_CHARS)
    return fail('too-long', `"query" must be at most ${MAX_NAME_CHARS} characters.`);
  const offset = o.value['offset'] ?? 0;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset > MAX_DIRECTORY_OFFSET) {
    return fail('bad-type', `"offset" must be an integer from 0 to ${MAX_DIRECTORY_OFFSET}.`);
  }
  return ok({ query: (q ?? '').trim().toLowerCase(), offset });
}

export function parseOpenDm(x: unknown): Result<ParsedOpenDm> {
  const what = 'direct message to open';
  const o = object(x, what);
  if (!o.ok) return o;
  const publicKey = base64(o.value, 'publicKey', PUBLIC_KEY_B64_CHARS, what);
  if (!publicKey.ok) return publicKey;
  const name = displayName(o.value, 'name', what);
  if (!name.ok) return name;
  return ok({ publicKey: publicKey.value, name: name.value });
}

export function parseJoinGroup(x: unknown): Result<ParsedJoinGroup> {
  const what = 'join request';
  const o = object(x, what);
  if (!o.ok) return o;
  const groupId = id(o.value, 'groupId', what);
  if (!groupId.ok) return groupId;
  const password = optionalPassword(o.value, what);
  if (!password.ok) return password;
  const base = { groupId: asGroupId(groupId.value) };
  return ok(password.value === undefined ? base : { ...base, password: password.value });
}

export function parseGroupRef(x: unknown): Result<ParsedGroupRef> {
  const what = 'group reference';
  const o = object(x, what);
  if (!o.ok) return o;
  const groupId = id(o.value, 'groupId', what);
  if (!groupId.ok) return groupId;
  return ok({ groupId: asGroupId(groupId.value) });
}

/** UTF-8 size of the JSON form, or null when the value has no JSON form. */
export function jsonByteLength(x: unknown): number | null {
  try {
    const s = JSON.stringify(x);
    return s === undefined ? null : new TextEncoder().encode(s).length;
  } catch {
    return null;
  }
}

export function parseSignal(x: unknown): Result<ParsedSignal> {
  const what = 'signal';
  const o = object(x, what);
  if (!o.ok) return o;
  const groupId = id(o.value, 'groupId', what);
  if (!groupId.ok) return groupId;
  const to = id(o.value, 'to', what);
  if (!to.ok) return to;
  if ('from' in o.value) {
    // The tracker sets `from`; a client that sends one is trying to speak for someone else.
    return fail('forged-sender', 'A signal must not carry "from"; the tracker sets the sender.');
  }
  const data = o.value['data'];
  if (data === undefined || data === null) return fail('missing-field', 'The signal needs "data".');
  const size = jsonByteLength(data);
  if (size === null) return fail('bad-type', '"data" in the signal must be JSON.');
  if (size > MAX_SIGNAL_DATA_BYTES)
    return fail('too-large', `Signal data must be at most ${MAX_SIGNAL_DATA_BYTES} bytes.`);
  return ok({ groupId: asGroupId(groupId.value), to: asPeerId(to.value), data });
}

export function parseLinkReport(x: unknown): Result<ParsedLinkReport> {
  const what = 'link report';
  const o = object(x, what);
  if (!o.ok) return o;
  const groupId = id(o.value, 'groupId', what);
  if (!groupId.ok) return groupId;
  const peer = id(o.value, 'peer', what);
  if (!peer.ok) return peer;
  const state = requiredString(o.value, 'state', what);
  if (!state.ok) return state;
  const base = { groupId: asGroupId(groupId.value), peer: asPeerId(peer.value) };
  if (state.value === 'relayed') {
    const via = id(o.value, 'via', what);
    if (!via.ok) return via;
    return ok({ ...base, state: 'relayed', via: asPeerId(via.value) });
  }
  if (state.value !== 'up' && state.value !== 'down' && state.value !== 'stalled')
    return fail('bad-type', '"state" must be "up", "down", "stalled" or "relayed".');
  if (o.value['via'] !== undefined) return fail('bad-type', '"via" comes only with state "relayed".');
  return ok({ ...base, state: state.value });
}

export interface ParsedAccusation {
  readonly groupId: GroupId;
  readonly accused: PeerId;
  readonly proof: AccusationProof;
}

/**
 * `group:accuse`: the two frames are read by the wire's own parser as if the accused had sent them on
 * the group's link (every cap, its signatures' shape), and must contradict each other; whether they
 * carry the accused's signatures is the caller's check (`verifyProof`, with the key it knows). A
 * proof with `flush` is two signed FLUSH statements of the accused for one view (parse-flush-proof.ts).
 */
export function parseAccusation(x: unknown): Result<ParsedAccusation> {
  const what = 'accusation';
  const o = object(x, what);
  if (!o.ok) return o;
  const groupId = id(o.value, 'groupId', what);
  if (!groupId.ok) return groupId;
  const accused = id(o.value, 'accused', what);
  if (!accused.ok) return accused;
  const p = object(o.value['proof'], 'proof');
  if (!p.ok) return p;
  const ctx = { groupId: asGroupId(groupId.value), from: asPeerId(accused.value) };
  if (p.value['flush'] !== undefined) {
    const proof = parseFlushProof(p.value, ctx);
    return proof.ok ? ok({ groupId: ctx.groupId, accused: ctx.from, proof: proof.value }) : proof;
  }
  const final = parseFrameValue(p.value['final'], ctx);
  if (!final.ok) return fail(final.error.code, `proof.final: ${final.error.message}`);
  const other = parseFrameValue(p.value['other'], ctx);
  if (!other.ok) return fail(other.error.code, `proof.other: ${other.error.message}`);
  if (final.value.t !== 'final' || (other.value.t !== 'final' && other.value.t !== 'data'))
    return fail('bad-type', 'A proof is a FINAL and another FINAL or a DATA.');
  const proof: FinalProof = { final: final.value, other: other.value };
  if (!contradicts(proof))
    return fail('bad-state', 'The two frames of the proof do not contradict each other: nothing is proven.');
  return ok({ groupId: ctx.groupId, accused: ctx.from, proof });
}

export function parseMetricsReport(x: unknown): Result<ParsedMetricsReport> {
  const what = 'metrics report';
  const o = object(x, what);
  if (!o.ok) return o;
  const groupId = id(o.value, 'groupId', what);
  if (!groupId.ok) return groupId;
  const keys = [
    'sent',
    'received',
    'total',
    'throughputPerSec',
    'latencyP50Ms',
    'latencyP99Ms',
    'rejectedFrames',
  ] as const;
  const values: Record<string, number> = {};
  for (const k of keys) {
    const v = metric(o.value, k);
    if (!v.ok) return v;
    values[k] = v.value;
  }
  return ok({
    groupId: asGroupId(groupId.value),
    sent: values['sent'] ?? 0,
    received: values['received'] ?? 0,
    total: values['total'] ?? 0,
    throughputPerSec: values['throughputPerSec'] ?? 0,
    latencyP50Ms: values['latencyP50Ms'] ?? 0,
    latencyP99Ms: values['latencyP99Ms'] ?? 0,
    rejectedFrames: values['rejectedFrames'] ?? 0,
  });
}

/** The text a hello signature covers (see HelloPayload). */
export const helloSigningText = (nonce: string, peerId: string, name: string): string =>
  `chorus-hello:${nonce}:${peerId}:${name}`;
