// The people of one joined group as this tab knows them, and how the page
// names each: the members of the newest view, every key seen in the group
// (with the name it used last, so people who left show as offline), who
// wrote under each name, and the fingerprint that tells namesakes apart
// (lib/people.ts). GroupState extends it and tells it what it learns: the
// members of each view and the author of each message held.

import { SvelteMap } from 'svelte/reactivity';
import type { ChatMessage, MemberState, SystemLine } from '@chorus/peer';
import type { PeerId } from '@chorus/protocol/light';
import { nameSkeleton, peopleOf, personKey, withFingerprint, type Person, type PersonKey } from '../people.ts';

export class GroupPeople {
  #members = $state.raw<readonly MemberState[]>([]);
  /**
   * Name skeleton → who wrote under it ('k' + key, or 'p' + peer id for a record without a key: resolved through the
   * views).
   */
  readonly #authors = new Map<string, Set<string>>();
  #authorsVersion = $state(0);
  /**
   * Every key seen in this group during this tab's life (with the name it used last), so people who left show as
   * offline.
   */
  readonly #seen = new SvelteMap<PersonKey, string>();
  /** Which key each session of the group has, from the views: names the senders of system lines. */
  readonly #keyOfPeer = new SvelteMap<PeerId, string>();

  get members(): readonly MemberState[] {
    return this.#members;
  }

  /** The name shown for a reacting key (the fold's `key` or `peer:<id>`), as the log would name it. */
  nameOfKey(identity: string): string {
    const key = identity.startsWith('peer:') ? personKey(undefined, identity.slice(5)) : (identity as PersonKey);
    const name = this.#seen.get(key);
    return name === undefined ? 'someone not seen here' : this.labelOf(name, key);
  }

  /** Everyone known in the group, one entry per key (lib/people.ts). */
  readonly people: readonly Person[] = $derived(peopleOf(this.#members, this.#seen));

  /** Name skeleton → the keys known under it (people and message authors): who has a namesake. */
  readonly #keysByName = $derived.by(() => {
    const out = new Map<string, Set<PersonKey>>();
    const add = (name: string, key: PersonKey): void => {
      const skeleton = nameSkeleton(name);
      const set = out.get(skeleton) ?? new Set<PersonKey>();
      set.add(key);
      out.set(skeleton, set);
    };
    for (const p of this.people) add(p.name, p.key);
    void this.#authorsVersion;
    for (const [skeleton, writers] of this.#authors) {
      for (const w of writers) {
        const key =
          w[0] === 'k'
            ? personKey(w.slice(1), w.slice(1) as PeerId)
            : personKey(this.#keyOfPeer.get(w.slice(1) as PeerId), w.slice(1) as PeerId);
        const set = out.get(skeleton) ?? new Set<PersonKey>();
        set.add(key);
        out.set(skeleton, set);
      }
    }
    return out;
  });

  /** Who sent a message: its sender's key (the session's key from the views when the message has none). */
  keyOf(message: ChatMessage): PersonKey {
    return personKey(message.senderKey ?? this.#keyOfPeer.get(message.sender), message.sender);
  }

  /** A name as shown for `key`: with the key's fingerprint when another person in the group has the same name. */
  labelOf(name: string, key: PersonKey): string {
    const keys = this.#keysByName.get(nameSkeleton(name));
    return keys !== undefined && [...keys].some((k) => k !== key) ? withFingerprint(name, key) : name;
  }

  /** How the log names a message's author. */
  authorOf(message: ChatMessage): string {
    return this.labelOf(message.senderName, this.keyOf(message));
  }

  /** How the log names the member of a system line. */
  systemName(line: SystemLine): string {
    return this.labelOfPeer(line.peerId, line.name);
  }

  /**
   * How a session of the group (a typer, a system line's subject) is named: its key's fingerprint joins a namesake's
   * name.
   */
  labelOfPeer(peerId: PeerId, name: string): string {
    return this.labelOf(name, personKey(this.#keyOfPeer.get(peerId), peerId));
  }

  /** The members of a view: their keys and names are known from now on. */
  protected learnMembers(members: readonly MemberState[]): void {
    this.#members = members;
    for (const m of members) {
      if (this.#keyOfPeer.get(m.peerId) !== m.publicKey) this.#keyOfPeer.set(m.peerId, m.publicKey);
      this.#see(personKey(m.publicKey, m.peerId), m.name);
    }
  }

  /** A message held: its author is seen, and known to write under its name. */
  protected learnAuthor(message: ChatMessage): void {
    this.#see(this.keyOf(message), message.senderName);
    const skeleton = nameSkeleton(message.senderName);
    const writer = message.senderKey === undefined ? `p${message.sender}` : `k${message.senderKey}`;
    const writers = this.#authors.get(skeleton) ?? new Set<string>();
    if (!writers.has(writer)) {
      writers.add(writer);
      this.#authors.set(skeleton, writers);
      this.#authorsVersion += 1;
    }
  }

  #see(key: PersonKey, name: string): void {
    if (this.#seen.get(key) !== name) this.#seen.set(key, name);
  }
}
