// The `relay` envelope (PROTOCOL.md §1.6): one channel message of an origin
// to a destination whose direct link cannot open, carried through a third
// member. The origin signs the envelope, so the relay can drop it but not
// forge or alter it; what it carries is read at the destination by the same
// FrameReader as a channel message, with the origin as its sender.
// Same rules as parse-frame.ts: never trust, throw FieldRejection.

import type { GroupId, PeerId } from '../ids.ts';
import { CHUNK_THRESHOLD_BYTES } from './caps.ts';
import { field, FieldRejection, readInteger, readPeerIdText, readString, type JsonObject } from './field-reader.ts';
import type { RelayFrame, RelayKind } from './frames.ts';

/** The tag of the signed text: a relay signature can never pass for a DATA one or the tracker's challenge. */
export const SIGNED_RELAY_TAG = 'chorus-relay-v1';
/** `body` is one channel message (a frame, a batch or a chunk), so at most one chunk's worth. */
export const MAX_RELAY_BODY_CHARS = CHUNK_THRESHOLD_BYTES;
export const RELAY_KINDS: readonly RelayKind[] = ['msg', 'probe', 'reset'];

/**
 * A probe's body: `seq` (this probe's number, growing by one per probe of the origin to the destination)
 * and, once the origin has heard a probe of the destination through the same relay, `.echo`: the `seq`
 * of the latest one. Decimal, no leading zero, at most 15 digits each.
 */
const PROBE_BODY = /^([1-9][0-9]{0,14})(?:\.([1-9][0-9]{0,14}))?$/;

export interface ProbeBody {
  readonly seq: number;
  readonly echo: number | null;
}

export const probeBodyText = (p: ProbeBody): string => (p.echo === null ? `${p.seq}` : `${p.seq}.${p.echo}`);

/** The probe body `text` says, or null when it is not one. */
export function readProbeBody(text: string): ProbeBody | null {
  const m = PROBE_BODY.exec(text);
  if (m === null) return null;
  return { seq: Number(m[1]), echo: m[2] === undefined ? null : Number(m[2]) };
}

/** The text the origin signs: every field but `sig`, in a fixed order. */
export const canonicalRelayText = (f: Omit<RelayFrame, 't' | 'sig'>): string =>
  JSON.stringify([SIGNED_RELAY_TAG, f.groupId, f.from, f.to, f.n, f.kind, f.body]);

export function readRelay(
  o: JsonObject,
  groupId: GroupId,
  readSignature: (o: JsonObject, path: string) => string,
): RelayFrame {
  const from = readPeerIdText(field(o, 'from', 'relay'), 'relay.from') as PeerId;
  const to = readPeerIdText(field(o, 'to', 'relay'), 'relay.to') as PeerId;
  if (from === to) throw new FieldRejection('bad-type', 'relay.from and relay.to must be different peers.');
  const n = readInteger(field(o, 'n', 'relay'), 'relay.n', 1);
  const kind = readString(field(o, 'kind', 'relay'), 'relay.kind', 8);
  if (!(RELAY_KINDS as readonly string[]).includes(kind))
    throw new FieldRejection('bad-type', `relay.kind is "${kind}"; it must be one of ${RELAY_KINDS.join(', ')}.`);
  const body = readString(field(o, 'body', 'relay'), 'relay.body', MAX_RELAY_BODY_CHARS);
  if (kind === 'reset' && body !== '') throw new FieldRejection('bad-type', 'A relay reset carries no body.');
  if (kind === 'msg' && body === '') throw new FieldRejection('bad-type', 'A relay msg carries a channel message.');
  if (kind === 'probe' && readProbeBody(body) === null)
    throw new FieldRejection('bad-type', 'A relay probe carries "seq" or "seq.echo" (decimal numbers).');
  const sig = readSignature(o, 'relay');
  return { t: 'relay', groupId, from, to, n, kind: kind as RelayKind, body, sig };
}
