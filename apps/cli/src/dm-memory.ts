// Which direct messages a person left, kept across restarts as the web app
// keeps them in the profile (apps/web dm-memory.ts): the tracker lists a
// key's DMs at every connect, and one the person left must not come back by
// itself — only when either of them opens it again. One JSON file in the
// config directory, `{ "<display name>": ["d…", …] }` (one identity per
// name), owner-only like the identities, written to a temporary file that is
// renamed over the old one. A file that cannot be read counts as empty (it
// only decides which DMs are joined by themselves).

import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GroupId } from '@chorus/protocol';

/** The file's name in the config directory (next to identities.json). */
export const LEFT_DMS_FILE = 'left-dms.json';

/** At most this many left DMs are kept per name (the tracker lists at most 20 at a connect). */
const KEPT = 500;

export interface LeftDms {
  isLeft(groupId: GroupId): boolean;
  leave(groupId: GroupId): void;
  reopen(groupId: GroupId): void;
}

/** Left DMs of this run only. */
export class MemoryLeftDms implements LeftDms {
  readonly #left = new Set<GroupId>();
  isLeft(groupId: GroupId): boolean {
    return this.#left.has(groupId);
  }
  leave(groupId: GroupId): void {
    this.#left.add(groupId);
  }
  reopen(groupId: GroupId): void {
    this.#left.delete(groupId);
  }
}

export class FileLeftDms implements LeftDms {
  readonly #file: string;
  readonly #name: string;

  constructor(file: string, name: string) {
    this.#file = file;
    this.#name = name;
  }

  isLeft(groupId: GroupId): boolean {
    return this.#read()[this.#name]?.includes(groupId) === true;
  }

  leave(groupId: GroupId): void {
    this.#update((ids) => [...ids.filter((id) => id !== groupId), groupId].slice(-KEPT));
  }

  reopen(groupId: GroupId): void {
    if (this.isLeft(groupId)) this.#update((ids) => ids.filter((id) => id !== groupId));
  }

  #read(): Record<string, string[]> {
    try {
      const data: unknown = JSON.parse(readFileSync(this.#file, 'utf8'));
      if (typeof data !== 'object' || data === null || Array.isArray(data)) return {};
      const out: Record<string, string[]> = {};
      for (const [name, ids] of Object.entries(data))
        if (Array.isArray(ids)) out[name] = ids.filter((id): id is string => typeof id === 'string');
      return out;
    } catch {
      return {};
    }
  }

  #update(change: (ids: readonly string[]) => string[]): void {
    const all = this.#read();
    all[this.#name] = change(all[this.#name] ?? []);
    mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.#file);
  }
}
