// The `/` commands of docs/design.md §3, parsed in one place for the web composer
// and the terminal client alike. Pure: a line in, a command or an error out.
// Resolving a group reference (name or id) against the directory is also
// here and pure; carrying a command out is the Peer facade's job.

import type { GroupId, GroupSummary, ProtocolError } from '@chorus/protocol';

export type Command =
  | { readonly kind: 'groups' }
  | { readonly kind: 'members'; readonly group: string | null }
  | { readonly kind: 'join'; readonly group: string }
  | { readonly kind: 'switch'; readonly group: string }
  | { readonly kind: 'leave'; readonly group: string | null }
  | { readonly kind: 'quit' };

export type CommandKind = Command['kind'];

export interface CommandError {
  readonly error: ProtocolError;
}

/** A command line longer than this is not a command someone typed; refuse before looking at it. */
export const MAX_COMMAND_LENGTH = 512;

/** One line of help per command, for a `/help`-style hint in an error. */
export const COMMAND_USAGE: Readonly<Record<CommandKind, string>> = {
  groups: '/groups',
  members: '/members <group>',
  join: '/join <group>',
  switch: '/switch <group>',
  leave: '/leave <group>',
  quit: '/quit',
};

const USAGE_LINE = Object.values(COMMAND_USAGE).join(', ');

/** True when a composer line is meant as a command rather than a message. */
export const isCommandLine = (line: string): boolean => line.trimStart().startsWith('/');

export function parseCommand(line: string): Command | CommandError {
  if (typeof line !== 'string') return fail('bad-type', 'A command is a line of text.');
  if (line.length > MAX_COMMAND_LENGTH) {
    return fail('too-long', `A command is at most ${MAX_COMMAND_LENGTH} characters.`);
  }
  const trimmed = line.trim();
  if (!trimmed.startsWith('/')) return fail('bad-type', 'A command starts with "/".');
  const space = trimmed.search(/\s/);
  const word = (space === -1 ? trimmed.slice(1) : trimmed.slice(1, space)).toLowerCase();
  // The rest of the line is the group, so group names with spaces work.
  const arg = space === -1 ? '' : trimmed.slice(space).trim();
  switch (word) {
    case 'groups':
    case 'quit':
      if (arg !== '') return fail('bad-type', `${COMMAND_USAGE[word]} takes no argument.`);
      return { kind: word };
    case 'members':
    case 'leave':
      // Without a group these act on the open group, as Slack's /leave does.
      return { kind: word, group: arg === '' ? null : arg };
    case 'join':
    case 'switch':
      if (arg === '') return fail('missing-field', `Which group? Usage: ${COMMAND_USAGE[word]}.`);
      return { kind: word, group: arg };
    case '':
      return fail('missing-field', `Type a command after "/": ${USAGE_LINE}.`);
    default:
      return fail('unknown-kind', `Unknown command "/${word}". Commands: ${USAGE_LINE}.`);
  }
}

export const isCommandError = (c: Command | CommandError): c is CommandError => 'error' in c;

/**
 * Finds a group by id, then by exact name, then by case-insensitive name
 * (only if that is unambiguous). Null when nothing matches.
 */
export function resolveGroup(ref: string, groups: readonly Pick<GroupSummary, 'groupId' | 'name'>[]): GroupId | null {
  const byId = groups.find((g) => g.groupId === ref);
  if (byId) return byId.groupId;
  const exact = groups.find((g) => g.name === ref);
  if (exact) return exact.groupId;
  const lower = ref.toLowerCase();
  const loose = groups.filter((g) => g.name.toLowerCase() === lower);
  return loose.length === 1 ? (loose[0] as Pick<GroupSummary, 'groupId'>).groupId : null;
}

function fail(code: ProtocolError['code'], message: string): CommandError {
  return { error: { code, message } };
}
