// What one tab remembers across a reload (sessionStorage is per tab, which is
// what docs/design.md §6 asks: the display name is remembered per tab, so two tabs can
// be two different users). The joined groups are remembered so a reload can
// show their cached history at once and join them again; a group's password
// is kept for that re-join only, in this tab's session storage, never in
// IndexedDB.
//
// A new tab of the same browser profile starts where the others are (issue
// 14): the profile's storage (localStorage) keeps the name last picked and,
// per name, the groups its tabs are in. A fresh tab (nothing in its session
// storage) takes both; joins and leaves in any tab update the profile's list
// by adding or removing that one group, so tabs in different groups do not
// overwrite each other. Passwords never go there: a new tab asks for the
// password of a locked group again. Quitting forgets the profile's name, so
// the next new tab asks for one.

import type { GroupId, Ordering } from '@chorus/protocol';

export interface RememberedGroup {
  readonly groupId: GroupId;
  readonly name: string;
  readonly ordering: Ordering;
  readonly password?: string;
  /** A direct message: the other person (to open it again should the tracker have forgotten it). */
  readonly dm?: { readonly publicKey: string; readonly name: string };
}

const NAME_KEY = 'chorus:name';
const GROUPS_KEY = 'chorus:groups';
const CURRENT_KEY = 'chorus:current';
const PROFILE_NAME_KEY = 'chorus:profile:name';
const PROFILE_GROUPS_PREFIX = 'chorus:profile:groups:';

export class TabMemory {
  readonly #storage: Storage | null;
  readonly #profile: Storage | null;

  /** `storage`: this tab's (sessionStorage); `profile`: shared by the browser profile's tabs (localStorage). */
  constructor(storage: Storage | null, profile: Storage | null = null) {
    this.#storage = storage;
    this.#profile = profile;
    const shared = read(profile, PROFILE_NAME_KEY);
    if (read(storage, NAME_KEY) === null && shared !== null) {
      write(storage, NAME_KEY, shared);
      write(storage, GROUPS_KEY, JSON.stringify(parseGroups(read(profile, PROFILE_GROUPS_PREFIX + shared))));
    }
  }

  get name(): string | null {
    return read(this.#storage, NAME_KEY);
  }
  set name(value: string | null) {
    write(this.#storage, NAME_KEY, value);
    if (value !== null) {
      write(this.#profile, PROFILE_NAME_KEY, value);
      // Picking a name in a tab that had none: this tab's groups (none yet) join the profile's as it joins.
    }
  }

  get current(): GroupId | null {
    return read(this.#storage, CURRENT_KEY) as GroupId | null;
  }
  set current(value: GroupId | null) {
    write(this.#storage, CURRENT_KEY, value);
  }

  get groups(): readonly RememberedGroup[] {
    return parseGroups(read(this.#storage, GROUPS_KEY));
  }
  set groups(value: readonly RememberedGroup[]) {
    const before = this.groups;
    write(this.#storage, GROUPS_KEY, JSON.stringify(value));
    const name = this.name;
    if (name === null || this.#profile === null) return;
    // Apply this tab's change (joined, left) to the profile's list, not this tab's whole list.
    const added = value.filter((g) => !before.some((b) => b.groupId === g.groupId));
    const removed = before.filter((b) => !value.some((g) => g.groupId === b.groupId));
    if (added.length === 0 && removed.length === 0) return;
    const key = PROFILE_GROUPS_PREFIX + name;
    const shared = parseGroups(read(this.#profile, key)).filter(
      (g) => !removed.some((r) => r.groupId === g.groupId) && !added.some((a) => a.groupId === g.groupId),
    );
    const plain = added.map(({ groupId, name: groupName, ordering, dm }) => ({
      groupId,
      name: groupName,
      ordering,
      ...(dm ? { dm } : {}),
    }));
    write(this.#profile, key, JSON.stringify([...shared, ...plain]));
  }

  /** Forget this tab (back to the name picker) and the profile's name, so a new tab asks for one too. */
  clear(): void {
    const name = this.name;
    for (const key of [NAME_KEY, GROUPS_KEY, CURRENT_KEY]) write(this.#storage, key, null);
    if (name !== null && read(this.#profile, PROFILE_NAME_KEY) === name) write(this.#profile, PROFILE_NAME_KEY, null);
  }
}

function parseGroups(raw: string | null): RememberedGroup[] {
  if (raw === null) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter(isRememberedGroup) : [];
  } catch {
    return []; // a hand-edited or truncated value: start with no groups rather than fail to load
  }
}

function read(storage: Storage | null, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null; // storage disabled by the browser: behave as a fresh tab
  }
}

function write(storage: Storage | null, key: string, value: string | null): void {
  try {
    if (value === null) storage?.removeItem(key);
    else storage?.setItem(key, value);
  } catch {
    // storage full or disabled: the tab still works, it just forgets on reload
  }
}

function isRememberedGroup(v: unknown): v is RememberedGroup {
  if (typeof v !== 'object' || v === null) return false;
  const g = v as Record<string, unknown>;
  return (
    typeof g.groupId === 'string' &&
    typeof g.name === 'string' &&
    (g.ordering === 'fifo' || g.ordering === 'total') &&
    (g.password === undefined || typeof g.password === 'string') &&
    (g.dm === undefined ||
      (typeof g.dm === 'object' &&
        g.dm !== null &&
        typeof (g.dm as Record<string, unknown>).publicKey === 'string' &&
        typeof (g.dm as Record<string, unknown>).name === 'string'))
  );
}
