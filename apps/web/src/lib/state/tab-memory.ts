// What one tab remembers across a reload (sessionStorage is per tab, which is
// what docs/design.md §6 asks: the display name is remembered per tab, so two tabs can
// be two different users). The joined groups are remembered so a reload can
// show their cached history at once and join them again; a group's password
// is kept for that re-join only, in this tab's session storage, never in
// IndexedDB.

import type { GroupId, Ordering } from '@chorus/protocol';

export interface RememberedGroup {
  readonly groupId: GroupId;
  readonly name: string;
  readonly ordering: Ordering;
  readonly password?: string;
}

const NAME_KEY = 'chorus:name';
const GROUPS_KEY = 'chorus:groups';
const CURRENT_KEY = 'chorus:current';

export class TabMemory {
  readonly #storage: Storage | null;

  constructor(storage: Storage | null) {
    this.#storage = storage;
  }

  get name(): string | null {
    return this.#read(NAME_KEY);
  }
  set name(value: string | null) {
    this.#write(NAME_KEY, value);
  }

  get current(): GroupId | null {
    return this.#read(CURRENT_KEY) as GroupId | null;
  }
  set current(value: GroupId | null) {
    this.#write(CURRENT_KEY, value);
  }

  get groups(): readonly RememberedGroup[] {
    const raw = this.#read(GROUPS_KEY);
    if (raw === null) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.filter(isRememberedGroup) : [];
    } catch {
      return []; // a hand-edited or truncated value: start with no groups rather than fail to load
    }
  }
  set groups(value: readonly RememberedGroup[]) {
    this.#write(GROUPS_KEY, JSON.stringify(value));
  }

  clear(): void {
    for (const key of [NAME_KEY, GROUPS_KEY, CURRENT_KEY]) this.#write(key, null);
  }

  #read(key: string): string | null {
    try {
      return this.#storage?.getItem(key) ?? null;
    } catch {
      return null; // storage disabled by the browser: behave as a fresh tab
    }
  }

  #write(key: string, value: string | null): void {
    try {
      if (value === null) this.#storage?.removeItem(key);
      else this.#storage?.setItem(key, value);
    } catch {
      // storage full or disabled: the tab still works, it just forgets on reload
    }
  }
}

function isRememberedGroup(v: unknown): v is RememberedGroup {
  if (typeof v !== 'object' || v === null) return false;
  const g = v as Record<string, unknown>;
  return typeof g.groupId === 'string' && typeof g.name === 'string' && (g.ordering === 'fifo' || g.ordering === 'total')
    && (g.password === undefined || typeof g.password === 'string');
}
