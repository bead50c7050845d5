// Passwords of locked groups, for the archivist (and the terminal client's
// /join and /since): from `--password <group>=<secret>` (repeatable) and from
// a JSON file `{ "<group name or id>": "<secret>" }` under the config
// directory. The file must be the owner's only (mode 0600, as ssh insists
// for its keys): a password readable by others is refused with a sentence
// saying how to fix it. Secrets are never printed: nothing here puts one in
// an error message, and the options print only how many there are.

import { readFileSync, statSync } from 'node:fs';

/** The file's name in the config directory (`--passwords <file>` picks another). */
export const PASSWORD_FILE_NAME = 'group-passwords.json';

export class PasswordFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'PasswordFileError';
  }
}

/**
 * `lobby=secret` → ['lobby', 'secret']: the group ends at the first '=', so a password may hold '=' (a group name may
 * not).
 */
export function parsePasswordArg(arg: string): { readonly group: string; readonly password: string } | null {
  const eq = arg.indexOf('=');
  if (eq <= 0) return null;
  const group = arg.slice(0, eq).trim();
  const password = arg.slice(eq + 1);
  return group === '' || password === '' ? null : { group, password };
}

export class GroupPasswords {
  readonly #fromArgs: ReadonlyMap<string, string>;
  readonly #file: string | null;
  /** The file must exist (named with --passwords) or may be missing (the default place). */
  readonly #fileRequired: boolean;
  #fromFile: ReadonlyMap<string, string> = new Map();
  #fileStamp = '';

  constructor(
    args: readonly { readonly group: string; readonly password: string }[],
    file: string | null,
    fileRequired = false,
  ) {
    this.#fromArgs = new Map(args.map((a) => [a.group, a.password]));
    this.#file = file;
    this.#fileRequired = fileRequired;
    this.reload();
  }

  /** How many groups have a password (never which passwords). */
  get size(): number {
    return new Set([...this.#fromFile.keys(), ...this.#fromArgs.keys()]).size;
  }

  /**
   * Reads the file again when it changed since the last read (an operator
   * adds a group without a restart). Throws PasswordFileError when it is
   * unreadable, not owner-only or not a JSON object of strings; the
   * passwords read before stay in force then.
   */
  reload(): void {
    const file = this.#file;
    if (file === null) return;
    let stamp: string;
    let mode: number;
    try {
      const st = statSync(file);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      mode = st.mode;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !this.#fileRequired) {
        this.#fromFile = new Map();
        this.#fileStamp = '';
        return;
      }
      throw new PasswordFileError(file, `Cannot read the group password file ${file}: ${(e as Error).message}`);
    }
    if (stamp === this.#fileStamp) return;
    if ((mode & 0o077) !== 0) {
      throw new PasswordFileError(
        file,
        `The group password file ${file} can be read by others (mode ${(mode & 0o777).toString(8)}); make it yours only: chmod 600 "${file}"`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new PasswordFileError(
        file,
        `The group password file ${file} is not valid JSON (${(e as Error).message}); it should read { "<group name or id>": "<password>" }.`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new PasswordFileError(
        file,
        `The group password file ${file} should be a JSON object: { "<group name or id>": "<password>" }.`,
      );
    }
    const map = new Map<string, string>();
    for (const [group, password] of Object.entries(parsed)) {
      if (typeof password !== 'string' || password === '') {
        throw new PasswordFileError(
          file,
          `In the group password file ${file}, the entry for ${JSON.stringify(group)} is not a non-empty string.`,
        );
      }
      map.set(group, password);
    }
    this.#fromFile = map;
    this.#fileStamp = stamp;
  }

  /** The password for a group, by id, then exact name, then name in any case; a --password beats the file. */
  for(group: { readonly groupId: string; readonly name: string }): string | undefined {
    for (const source of [this.#fromArgs, this.#fromFile]) {
      const hit =
        source.get(group.groupId) ??
        source.get(group.name) ??
        [...source.entries()].find(([k]) => k.toLowerCase() === group.name.toLowerCase())?.[1];
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** Where a person can put a password, for messages. */
  hint(groupName: string): string {
    const file = this.#file === null ? '' : `, or add it to ${this.#file} (mode 0600)`;
    return `give it with --password '${groupName}=…'${file}`;
  }
}
