// The terminal client's locked groups: which group a `/join` names when it is
// locked (the peer's /join knows no passwords), joining it with the password
// from --password or the password file, and the hint shown when none is
// given. Reading and keeping passwords is group-passwords.ts's.

import { resolveGroup, type ChorusPeer, type CommandResult } from '@chorus/peer';
import type { GroupSummary } from '@chorus/protocol';
import type { GroupPasswords } from './group-passwords.ts';

export class LockedGroups {
  readonly #peer: ChorusPeer;
  readonly #passwords: GroupPasswords | undefined;
  /** Says that the password file could not be read again (the passwords read before are used). */
  readonly #warn: (message: string) => void;

  constructor(peer: ChorusPeer, passwords: GroupPasswords | undefined, warn: (message: string) => void) {
    this.#peer = peer;
    this.#passwords = passwords;
    this.#warn = warn;
  }

  /** A locked group `/join <ref>` names, else null. */
  named(ref: string): GroupSummary | null {
    const directory = this.#peer.directory();
    const id = ref === '' ? null : resolveGroup(ref, directory);
    const g = directory.find((d) => d.groupId === id);
    return g?.locked === true ? g : null;
  }

  async join(g: GroupSummary): Promise<CommandResult> {
    const password = this.passwordFor(g);
    if (password === undefined) return { kind: 'error', message: `${g.name} is locked: ${this.hint(g.name)}.` };
    try {
      await this.#peer.join(g.groupId, password);
      return { kind: 'joined', groupId: g.groupId };
    } catch (e) {
      return { kind: 'error', message: (e as Error).message };
    }
  }

  /** The password file is read again first: one written while the client runs counts. */
  passwordFor(g: GroupSummary): string | undefined {
    try {
      this.#passwords?.reload();
    } catch (e) {
      this.#warn(`${(e as Error).message} (using the passwords read before)`);
    }
    return this.#passwords?.for(g);
  }

  hint(name: string): string {
    return this.#passwords?.hint(name) ?? `start chorus with --password '${name}=…'`;
  }
}
