// Who is who in a group, as a person sees it (docs/design.md §6, "People are
// keys"): a person is an Ed25519 public key, never a display name. Two keys
// with one name are two people, told apart by a short fingerprint of the
// key; the same key in two tabs is one person with two sessions; a new
// device of an existing name (a new key) is a different person. Pure
// functions, so the rule is tested without Svelte.

import type { MemberState } from '@chorus/peer';
import { fingerprint, nameSkeleton, withFingerprint } from '@chorus/protocol/light';

/**
 * What a person is keyed by: the public key (base64), or for a sender whose
 * key is unknown (a record stored without one) a stand-in that names its
 * session, so it can never merge with anyone else.
 */
export type PersonKey = string & { readonly __person: unique symbol };

export function personKey(publicKey: string | undefined, peerId: string): PersonKey {
  return (publicKey ?? `unknown-key:${peerId}`) as PersonKey;
}

/**
 * The fingerprint, the name skeleton and `Alice (3f9a·c2)` come from the
 * protocol package, so the terminal client writes the same ones.
 */
export { fingerprint, nameSkeleton, withFingerprint } from '@chorus/protocol/light';

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
