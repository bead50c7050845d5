// Which direct messages a person left (docs/design.md §6 Direct messages).
// A DM this key is one of the two people of is joined by every tab of the
// profile on its own — when the other person opens it, and when the tracker
// lists it at connect — except one the person left: that stays left until
// the other person opens it again (clicks "Message <name>"), as a closed
// Slack DM comes back with the next message. Kept in the profile's storage
// (localStorage), per display name, so every tab of that person agrees.

import type { GroupId } from '@chorus/protocol';

const LEFT_PREFIX = 'chorus:profile:dms-left:';
/** Ids kept at most: the oldest left DMs are forgotten first (each costs 45 bytes). */
const MAX_LEFT = 500;

export class DmMemory {
  readonly #storage: Storage | null;

  constructor(storage: Storage | null) {
    this.#storage = storage;
  }

  /** Whether `name`'s person left this DM (and nobody opened it again since). */
  isLeft(name: string, groupId: GroupId): boolean {
    return this.#read(name).includes(groupId);
  }

  /** The person left it: tabs stop joining it by themselves. */
  leave(name: string, groupId: GroupId): void {
    const left = this.#read(name).filter((id) => id !== groupId);
    this.#write(name, [...left, groupId].slice(-MAX_LEFT));
  }

  /** Opened again (by either person): it is joined by itself again. */
  reopen(name: string, groupId: GroupId): void {
    const left = this.#read(name);
    if (left.includes(groupId))
      this.#write(
        name,
        left.filter((id) => id !== groupId),
      );
  }

  #read(name: string): GroupId[] {
    try {
      const parsed: unknown = JSON.parse(this.#storage?.getItem(LEFT_PREFIX + name) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((x): x is GroupId => typeof x === 'string') : [];
    } catch {
      return []; // storage disabled or a hand-edited value: nothing is left
    }
  }

  #write(name: string, ids: readonly GroupId[]): void {
    try {
      this.#storage?.setItem(LEFT_PREFIX + name, JSON.stringify(ids));
    } catch {
      // storage full or disabled: a left DM may be joined again after a reload
    }
  }
}
