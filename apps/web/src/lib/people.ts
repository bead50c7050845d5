// Who is who in a group, as a person sees it (docs/design.md §6, "People are
// keys"): a person is an Ed25519 public key, never a display name. Two keys
// with one name are two people, told apart by a short fingerprint of the
// key; the same key in two tabs is one person with two sessions; a new
// device of an existing name (a new key) is a different person. Pure
// functions, so the rule is tested without Svelte.

import type { MemberState } from '@chorus/peer';

/**
 * What a person is keyed by: the public key (base64), or for a sender whose
 * key is unknown (a record stored without one) a stand-in that names its
 * session, so it can never merge with anyone else.
 */
export type PersonKey = string & { readonly __person: unique symbol };

export function personKey(publicKey: string | undefined, peerId: string): PersonKey {
  return (publicKey ?? `unknown-key:${peerId}`) as PersonKey;
}

/** Bytes of the key the fingerprint shows: 24 bits, enough to tell honest namesakes apart at a glance. */
const FINGERPRINT_BYTES = 3;

/**
 * The short fingerprint of a public key: its first three bytes in hex,
 * grouped `3f9a·c2`. It tells two people with one name apart; it is not an
 * authentication (an impostor can grind a key with the same 24 bits in
 * minutes), which docs/design.md says.
 */
export function fingerprint(key: PersonKey): string {
  if (key.startsWith('unknown-key:')) return 'key unknown';
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
 * Cyrillic А is another name. The fingerprint in the member list is the
 * defence there.)
 */
export function nameSkeleton(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(FINGERPRINT_SUFFIX, '')
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/** `Alice (3f9a·c2)`: a name with its key's fingerprint. */
export function withFingerprint(name: string, key: PersonKey): string {
  return `${name} (${fingerprint(key)})`;
}

export interface Person {
  readonly key: PersonKey;
  readonly name: string;
  readonly fingerprint: string;
  /** True when another person known in the group has the same name (nameSkeleton). */
  readonly namesake: boolean;
  /** How the member list names them: always with the fingerprint. */
  readonly label: string;
  readonly online: boolean;
  /** Open sessions (tabs, terminals) of this person in the group: sessions with this key in the view. */
  readonly sessions: number;
  /** An always-on archivist peer (apps/cli --archive): a label only, it holds no special rights. */
  readonly archivist: boolean;
  /**
   * The name of the member this tab reaches them through, when no direct link
   * opens between the two (a relayed link, PROTOCOL.md §1.6); null when direct.
   */
  readonly via: string | null;
}

/**
 * Everyone known in a group, one entry per key: the members the runtime
 * reports (online ones count as sessions) and the people seen otherwise
 * (senders of shown messages, members who left), with the name seen last.
 * Online first, then by name, then by fingerprint.
 */
export function peopleOf(members: readonly MemberState[], seen: ReadonlyMap<PersonKey, string>): Person[] {
  const names = new Map<PersonKey, string>(seen);
  const sessions = new Map<PersonKey, number>();
  const archivists = new Set<PersonKey>();
  const relays = new Map<PersonKey, string>();
  const nameOf = new Map(members.map((m) => [m.peerId as string, m.name]));
  for (const m of members) {
    const key = personKey(m.publicKey, m.peerId);
    // An online session's name is the freshest word on what this key is called.
    if (m.online || !names.has(key)) names.set(key, m.name);
    if (m.online) sessions.set(key, (sessions.get(key) ?? 0) + 1);
    if (m.role === 'archivist') archivists.add(key);
    if (m.via !== undefined) relays.set(key, nameOf.get(m.via) ?? 'another member');
  }
  const bySkeleton = new Map<string, number>();
  for (const name of names.values()) bySkeleton.set(nameSkeleton(name), (bySkeleton.get(nameSkeleton(name)) ?? 0) + 1);
  return [...names]
    .map(([key, name]): Person => {
      const count = sessions.get(key) ?? 0;
      return {
        key,
        name,
        fingerprint: fingerprint(key),
        namesake: (bySkeleton.get(nameSkeleton(name)) ?? 0) > 1,
        label: withFingerprint(name, key),
        online: count > 0,
        sessions: count,
        archivist: archivists.has(key),
        via: relays.get(key) ?? null,
      };
    })
    .sort(
      (a, b) =>
        Number(b.online) - Number(a.online) ||
        a.name.localeCompare(b.name) ||
        a.fingerprint.localeCompare(b.fingerprint),
    );
}

/**
 * How a message names its author: the name it was sent under, with the
 * sender's fingerprint when another person known in the group has the same
 * name (otherwise the name alone, as every chat shows it).
 */
export function authorLabel(name: string, key: PersonKey, people: readonly Person[]): string {
  const skeleton = nameSkeleton(name);
  const namesake = people.some((p) => p.key !== key && nameSkeleton(p.name) === skeleton);
  return namesake ? withFingerprint(name, key) : name;
}
