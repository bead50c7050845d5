// What notifies, per group (docs/design.md §6 "Notifications"): every message
// from someone else ('all', the default, as in a direct message or a small
// group), only those that mention you ('mentions', for a busy group), or
// nothing ('none'). Unread counts and the title badge do not change with it:
// it only decides whether a hidden tab raises a desktop notification. Kept in
// the browser profile's storage (localStorage), so every tab of the profile
// and a reload agree; a value there that is not one of the three reads as the
// default.

import type { GroupId } from '@chorus/protocol/light';

export type NotifyLevel = 'all' | 'mentions' | 'none';
export const NOTIFY_LEVELS: readonly NotifyLevel[] = ['all', 'mentions', 'none'];
export const DEFAULT_NOTIFY: NotifyLevel = 'all';

const KEY_PREFIX = 'chorus:notify:';

const isLevel = (v: unknown): v is NotifyLevel => NOTIFY_LEVELS.includes(v as NotifyLevel);

export class NotifyPrefs {
  readonly #storage: Storage | null;
  /** What this tab has read or set: reactive, so the select shows a change at once. */
  #levels = $state<Record<string, NotifyLevel>>({});

  constructor(storage: Storage | null) {
    this.#storage = storage;
  }

  level(groupId: GroupId): NotifyLevel {
    const known = this.#levels[groupId];
    if (known !== undefined) return known;
    let stored: string | null = null;
    try {
      stored = this.#storage?.getItem(KEY_PREFIX + groupId) ?? null;
    } catch {
      // Storage can be unavailable (privacy modes): the default holds.
    }
    return isLevel(stored) ? stored : DEFAULT_NOTIFY;
  }

  set(groupId: GroupId, level: NotifyLevel): void {
    this.#levels = { ...this.#levels, [groupId]: level };
    try {
      if (level === DEFAULT_NOTIFY) this.#storage?.removeItem(KEY_PREFIX + groupId);
      else this.#storage?.setItem(KEY_PREFIX + groupId, level);
    } catch {
      // Kept for this page only.
    }
  }

  /** Whether a message from someone else in `groupId` notifies (`mentioned`: it names you). */
  notifies(groupId: GroupId, mentioned: boolean): boolean {
    const level = this.level(groupId);
    return level === 'all' || (level === 'mentions' && mentioned);
  }
}
