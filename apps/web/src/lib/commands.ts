// What the web composer adds to the runtime's `/` commands: `/help`
// and `/join <group> <password>`. The runtime parses and runs the others
// (packages/peer/src/commands.ts); group references resolve with its own
// `resolveGroup`, passed in, so the rules are the same everywhere.

import type { GroupId, GroupSummary } from '@chorus/protocol';

/** `/help`: every command, one line each. */
export const HELP_LINES: readonly string[] = [
  '/help — this list',
  '/groups — list the groups in the directory',
  '/members [group] — who is in a group (the open one without a name)',
  '/join <group> [password] — join a group; a locked one without its password asks for it',
  '/switch <group> — open a group you are in',
  '/leave [group] — leave a group (the open one without a name)',
  '/quit — leave every group and pick a name again',
  'Enter sends, Shift+Enter starts a new line. **bold**, *italic*, `code`, ```code block```; http(s) links open in a new tab.',
];

export type Resolve = (ref: string, groups: readonly Pick<GroupSummary, 'groupId' | 'name'>[]) => GroupId | null;

/**
 * `/join` with its argument: the whole argument as a group first (names may
 * have spaces), else the last word as the password and the rest as the group.
 * Null when no group matches either way.
 */
export function parseJoin(
  arg: string,
  groups: readonly GroupSummary[],
  resolve: Resolve,
): { groupId: GroupId; password?: string } | null {
  const whole = arg.trim();
  if (whole === '') return null;
  const groupId = resolve(whole, groups);
  if (groupId !== null) return { groupId };
  const m = /^(.*\S)\s+(\S+)$/su.exec(whole);
  if (!m?.[1] || !m[2]) return null;
  const named = resolve(m[1], groups);
  return named === null ? null : { groupId: named, password: m[2] };
}

/** `/help` and `/join …` are the web's; anything else goes to the runtime. */
export function webCommand(line: string): { kind: 'help' } | { kind: 'join'; arg: string } | null {
  const m = /^\/(\S*)\s*(.*)$/su.exec(line.trim());
  if (!m) return null;
  const word = (m[1] ?? '').toLowerCase();
  if (word === 'help' || word === '?') return { kind: 'help' };
  if (word === 'join') return { kind: 'join', arg: m[2] ?? '' };
  return null;
}
