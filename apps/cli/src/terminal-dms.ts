// Direct messages at the terminal (docs/design.md §6; PROTOCOL.md §2 Direct
// messages): `/dm <name or fingerprint>` opens the DM with a person seen in
// a joined group through the same `openDm` + `join` of the peer API the web
// app's "Message <name>" uses; a DM the other person opens (a `dm` event)
// or the tracker lists at connect is joined by itself, as the web app does,
// unless the person left it (kept across restarts, dm-memory.ts). A DM is
// a group like any other here, shown and reached as `@name` — `@name (3f9a·c2)` when another person
// known here has the same name (the key's fingerprint, as the web app shows
// namesakes) — so `/switch @name`, `/leave @name` and `/members @name` work.
// Owns who each DM is with and the people seen; joining and showing a
// group's lines stay the terminal's.

import { resolveGroup, type ChatMessage, type ChorusPeer } from '@chorus/peer';
import {
  fingerprint,
  nameSkeleton,
  otherParty,
  withFingerprint,
  type DmParty,
  type GroupId,
  type GroupSummary,
} from '@chorus/protocol';
import { MemoryLeftDms, type LeftDms } from './dm-memory.ts';

export interface DirectChatsDeps {
  readonly peer: ChorusPeer;
  /** This identity's public key (base64); without it no DM can be told apart from a group. */
  readonly selfKey: string | undefined;
  /** Joins the group (if it is not joined) and shows its latest lines; `open` makes it the current group. */
  readonly enter: (groupId: GroupId, open: boolean) => Promise<void>;
  readonly notice: (text: string) => void;
  /** DMs the person left (kept across restarts by dm-memory.ts); without it, for this run only. */
  readonly left?: LeftDms;
}

/** A fingerprint as a person types it: `3f9a·c2`, `3f9a.c2`, `3f9ac2`. */
const FINGERPRINT_TYPED = /^([0-9a-f]{4})\s*[·.:-]?\s*([0-9a-f]{2})$/i;

export class DirectChats {
  readonly #deps: DirectChatsDeps;
  /** The DMs of this session, and who each is with (kept after leaving, so lines about it still name it). */
  readonly #with = new Map<GroupId, DmParty>();
  /** DMs the person left: the tracker's listing at a connect does not bring them back (opening one again does). */
  readonly #left: LeftDms;
  /** People seen (senders of shown messages), by key: the name seen last. */
  readonly #seen = new Map<string, string>();

  constructor(deps: DirectChatsDeps) {
    this.#deps = deps;
    this.#left = deps.left ?? new MemoryLeftDms();
  }

  /** A shown message: its sender is someone /dm can name. */
  saw(m: ChatMessage): void {
    if (m.senderKey !== undefined && m.senderKey !== this.#deps.selfKey) this.#seen.set(m.senderKey, m.senderName);
  }

  /** `@Bob`, or `@Bob (3f9a·c2)` when another person known here is called Bob too; undefined for a group. */
  label(groupId: GroupId): string | undefined {
    const party = this.#with.get(groupId);
    if (party === undefined) return undefined;
    const skeleton = nameSkeleton(party.name);
    const namesake = [...this.#people()].some(
      ([key, name]) => key !== party.publicKey && nameSkeleton(name) === skeleton,
    );
    return `@${namesake ? withFingerprint(party.name, party.publicKey) : party.name}`;
  }

  /** `/dm <who>`: the DM with that person, made if needed, joined and made the current group. */
  async open(who: string): Promise<string | null> {
    const found = this.#find(who, this.#people());
    if (typeof found === 'string') return found;
    try {
      const summary = await this.#deps.peer.openDm({ publicKey: found.publicKey, name: found.name });
      this.#left.reopen(summary.groupId);
      return await this.#enter(summary, true);
    } catch (e) {
      return `Could not open a direct message with ${found.name}: ${(e as Error).message}`;
    }
  }

  /** A DM of this key: `opened` by the other person just now, or listed by the tracker at connect. */
  async heard(summary: GroupSummary, opened: boolean): Promise<string | null> {
    if (opened) this.#left.reopen(summary.groupId);
    else if (this.#left.isLeft(summary.groupId)) return null;
    if (this.#deps.peer.groups().some((g) => g.groupId === summary.groupId && g.status !== 'left')) return null;
    const error = await this.#enter(summary, false);
    const label = this.label(summary.groupId);
    if (error === null && label !== undefined)
      this.#deps.notice(`Direct message ${label}: /switch ${label} to write there.`);
    return error;
  }

  left(groupId: GroupId): void {
    if (this.#with.has(groupId)) this.#left.leave(groupId);
  }

  /**
   * The joined DM a command names (`@Bob`, `Bob`, `Bob (3f9a·c2)`, `3f9a·c2`): its id, a sentence when the
   * name fits several, or null when it names no DM (then it is a group's name).
   */
  resolve(ref: string): GroupId | string | null {
    const joined = new Set(
      this.#deps.peer
        .groups()
        .filter((g) => g.status !== 'left')
        .map((g) => g.groupId),
    );
    // A group (not a DM) of that name comes first when the name has no `@`.
    const groups = this.#deps.peer.groups().filter((g) => !this.#with.has(g.groupId));
    if (!ref.startsWith('@') && resolveGroup(ref, groups) !== null) return null;
    const parties = new Map<string, string>();
    const byKey = new Map<string, GroupId>();
    for (const [groupId, party] of this.#with)
      if (joined.has(groupId)) {
        parties.set(party.publicKey, party.name);
        byKey.set(party.publicKey, groupId);
      }
    const found = this.#find(ref, parties);
    if (typeof found !== 'string') return byKey.get(found.publicKey) ?? null;
    return ref.startsWith('@') || found.startsWith('Several') ? found : null;
  }

  async #enter(summary: GroupSummary, open: boolean): Promise<string | null> {
    const selfKey = this.#deps.selfKey;
    const party = summary.dm !== undefined && selfKey !== undefined ? otherParty(summary.dm, selfKey) : null;
    if (party === null) return 'That is not a direct message of yours.';
    this.#with.set(summary.groupId, party);
    try {
      await this.#deps.enter(summary.groupId, open);
      return null;
    } catch (e) {
      return `Could not open the direct message with ${party.name}: ${(e as Error).message}`;
    }
  }

  /** Everyone known here but you, by key: members of joined groups, senders seen, the other side of each DM. */
  #people(): Map<string, string> {
    const people = new Map(this.#seen);
    for (const party of this.#with.values()) if (!people.has(party.publicKey)) people.set(party.publicKey, party.name);
    for (const g of this.#deps.peer.groups()) for (const m of g.members) people.set(m.publicKey, m.name);
    if (this.#deps.selfKey !== undefined) people.delete(this.#deps.selfKey);
    return people;
  }

  /** The one person `who` names among `people` (by name, fingerprint, or both), or a sentence why there is none. */
  #find(who: string, people: ReadonlyMap<string, string>): DmParty | string {
    const typed = who.trim().replace(/^@/, '');
    const suffixed = /^(.*?)\s*\(([^)]*)\)$/.exec(typed);
    const both = suffixed !== null && FINGERPRINT_TYPED.test(suffixed[2] ?? '');
    const fp = FINGERPRINT_TYPED.exec(both ? (suffixed?.[2] ?? '') : typed);
    const want = fp === null ? null : `${fp[1]?.toLowerCase()}·${fp[2]?.toLowerCase()}`;
    const skeleton = nameSkeleton(both ? (suffixed?.[1] ?? '') : typed);
    const matches = [...people].filter(([key, name]) => {
      const byFingerprint = want !== null && fingerprint(key) === want;
      const byName = skeleton !== '' && nameSkeleton(name) === skeleton;
      return both ? byFingerprint && byName : byFingerprint || byName;
    });
    if (matches.length === 1) {
      const [publicKey, name] = matches[0] as [string, string];
      return { publicKey, name };
    }
    if (matches.length === 0)
      return `Nobody called "${typed}" is in a group you joined: /members lists who is online in one.`;
    const labels = matches.map(([key, name]) => withFingerprint(name, key)).join(', ');
    return `Several people are called "${typed}": ${labels}. Name one by its fingerprint, like ${fingerprint(matches[0]?.[0] ?? '')}.`;
  }
}
