// The command line and environment of `chorus`, parsed once into a typed
// Options value or a sentence saying what is wrong. Pure apart from reading
// the arguments, the environment and (for --config) one file it is given.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PASSWORD_FILE_NAME, parsePasswordArg } from './group-passwords.ts';

export const DEFAULT_TRACKER = 'http://localhost:8080';
/** The archivist's display name when none is given: what members see in the member list. */
export const DEFAULT_ARCHIVIST_NAME = 'archivist';

export type Mode = 'terminal' | 'archive' | 'status' | 'help';

export interface Options {
  readonly mode: Mode;
  readonly name: string;
  readonly trackerUrl: string;
  /** Group names or ids to join at start; `*` (archivist) means every group in the directory. */
  readonly groups: readonly string[];
  /** The history database file. */
  readonly dbFile: string;
  /** The identities file (one key pair per name). */
  readonly keyFile: string;
  readonly color: boolean;
  /** Passwords of locked groups from `--password <group>=<secret>` (never printed). */
  readonly passwords: readonly { readonly group: string; readonly password: string }[];
  /** The group password file (`--passwords`, else <config dir>/group-passwords.json). */
  readonly passwordFile: string;
  /** True when the file was named (--passwords): then it must exist. */
  readonly passwordFileGiven: boolean;
}

export const USAGE = `Usage:
  chorus --name <name> [--tracker <url>] [--groups <g1,g2>]     terminal client
  chorus --archive [--name <name>] --groups <g1,g2 | *>         always-on archivist (JSON logs)
  chorus --status [--name <name>] [--db <file>]                 what a history database holds

Options:
  --tracker <url>    tracker to use (env CHORUS_TRACKER, default ${DEFAULT_TRACKER})
  --groups <list>    comma-separated group names or ids to join at start (env CHORUS_GROUPS)
  --config <file>    JSON file with any of { name, tracker, groups, db, passwords }
  --db <file>        history database (default: <data dir>/<name>.sqlite)
  --password <g>=<p> password of a locked group (repeatable); better in the file below,
                     as a command line is visible to other users of the machine
  --passwords <file> JSON { "<group>": "<password>" }, mode 0600
                     (default: <config dir>/${PASSWORD_FILE_NAME}, if it exists)
  --home <dir>       where identities and history live (env CHORUS_HOME;
                     default $XDG_CONFIG_HOME/chorus and $XDG_DATA_HOME/chorus)
  --no-color         plain output (also NO_COLOR=1)
  --help             this text`;

export type ParseResult =
  { readonly ok: true; readonly options: Options } | { readonly ok: false; readonly message: string };

interface ConfigFile {
  readonly name?: unknown;
  readonly tracker?: unknown;
  readonly groups?: unknown;
  readonly db?: unknown;
  /** The group password file (not the passwords: a config file is often readable by others). */
  readonly passwords?: unknown;
}

const splitGroups = (s: string): string[] =>
  s
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');

/** Display names become file names: keep them to something every file system takes. */
const safeFileName = (name: string): string => name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'user';

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv, isTty: boolean): ParseResult {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        name: { type: 'string', short: 'n' },
        tracker: { type: 'string', short: 't' },
        groups: { type: 'string', short: 'g' },
        config: { type: 'string' },
        db: { type: 'string' },
        password: { type: 'string', multiple: true },
        passwords: { type: 'string' },
        home: { type: 'string' },
        archive: { type: 'boolean' },
        status: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    return { ok: false, message: `${(e as Error).message}\n\n${USAGE}` };
  }
  let file: ConfigFile = {};
  if (values.config !== undefined) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(values.config, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('expected a JSON object');
      file = parsed as ConfigFile;
    } catch (e) {
      return { ok: false, message: `Cannot use the config file ${values.config}: ${(e as Error).message}` };
    }
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

  if (values.help) return { ok: true, options: { ...defaults(env), mode: 'help' } };
  if (values.archive && values.status) return { ok: false, message: 'Pick one of --archive and --status.' };
  const mode: Mode = values.archive ? 'archive' : values.status ? 'status' : 'terminal';

  const name =
    str(values.name) ??
    str(file.name) ??
    str(env['CHORUS_NAME']) ??
    (mode === 'terminal' ? undefined : DEFAULT_ARCHIVIST_NAME);
  if (name === undefined)
    return { ok: false, message: `Who are you? Give a display name: chorus --name Ann\n\n${USAGE}` };
  if (name.length > 64) return { ok: false, message: 'A display name is at most 64 characters.' };

  const trackerUrl = str(values.tracker) ?? str(file.tracker) ?? str(env['CHORUS_TRACKER']) ?? DEFAULT_TRACKER;
  try {
    const u = new URL(trackerUrl);
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) throw new Error('not http(s) or ws(s)');
  } catch (e) {
    return {
      ok: false,
      message: `--tracker ${JSON.stringify(trackerUrl)} is not a tracker URL (${(e as Error).message}); for example http://localhost:8080.`,
    };
  }

  const fileGroups = Array.isArray(file.groups)
    ? file.groups.filter((g): g is string => typeof g === 'string')
    : str(file.groups);
  const groupsText =
    str(values.groups) ??
    (typeof fileGroups === 'string' ? fileGroups : fileGroups?.join(',')) ??
    str(env['CHORUS_GROUPS']) ??
    '';
  const groups = splitGroups(groupsText);
  if (mode === 'archive' && groups.length === 0) {
    return {
      ok: false,
      message:
        'Which groups should the archivist keep? --groups <names or ids, comma-separated>, or --groups "*" for all.',
    };
  }

  const passwords: { group: string; password: string }[] = [];
  for (const arg of values.password ?? []) {
    const p = parsePasswordArg(arg);
    // Not echoed: the value is a secret, or close to one.
    if (p === null)
      return {
        ok: false,
        message: 'A --password is <group name or id>=<password>, for example --password lobby=s3cret.',
      };
    passwords.push(p);
  }

  const { configDir, dataDir } = dirsFor(str(values.home) ?? str(env['CHORUS_HOME']), env);
  const givenPasswordFile = str(values.passwords) ?? str(file.passwords);
  const dbFile = str(values.db) ?? str(file.db) ?? join(dataDir, `${safeFileName(name)}.sqlite`);
  const noColor = values['no-color'] === true || (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '');
  const forceColor = env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0' && env['FORCE_COLOR'] !== '';
  return {
    ok: true,
    options: {
      mode,
      name,
      trackerUrl,
      groups,
      dbFile,
      keyFile: join(configDir, 'identities.json'),
      color: !noColor && (forceColor || (isTty && env['TERM'] !== 'dumb')),
      passwords,
      passwordFile: givenPasswordFile ?? join(configDir, PASSWORD_FILE_NAME),
      passwordFileGiven: givenPasswordFile !== undefined,
    },
  };
}

function defaults(env: NodeJS.ProcessEnv): Omit<Options, 'mode'> {
  const { configDir, dataDir } = dirsFor(env['CHORUS_HOME'], env);
  return {
    name: '',
    trackerUrl: DEFAULT_TRACKER,
    groups: [],
    dbFile: join(dataDir, 'user.sqlite'),
    keyFile: join(configDir, 'identities.json'),
    color: false,
    passwords: [],
    passwordFile: join(configDir, PASSWORD_FILE_NAME),
    passwordFileGiven: false,
  };
}

/** XDG base directories, or one directory for both when CHORUS_HOME / --home is set (tests, containers). */
export function dirsFor(home: string | undefined, env: NodeJS.ProcessEnv): { configDir: string; dataDir: string } {
  if (home !== undefined) return { configDir: home, dataDir: home };
  const userHome = homedir();
  return {
    configDir: join(env['XDG_CONFIG_HOME'] || join(userHome, '.config'), 'chorus'),
    dataDir: join(env['XDG_DATA_HOME'] || join(userHome, '.local', 'share'), 'chorus'),
  };
}
