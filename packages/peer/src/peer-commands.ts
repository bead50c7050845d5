// Carrying out a `/` command line (commands.ts parses it) on a peer: which
// group a name refers to, and turning each command into the peer call and a
// CommandResult a UI prints. What belongs here: the mapping from a command to
// peer calls; what each call does is peer.ts.

import type { GroupId, GroupSummary, MemberInfo } from '@chorus/protocol';
import type { CommandResult } from './api.ts';
import { ChorusError, errorMessage } from './chorus-error.ts';
import { isCommandError, parseCommand, resolveGroup } from './commands.ts';

/** The peer calls a command may make. */
export interface CommandTarget {
  directory(): readonly GroupSummary[];
  /** The groups this peer has joined (or is joining). */
  joined(): readonly GroupSummary[];
  members(groupId: GroupId): Promise<readonly MemberInfo[]>;
  join(groupId: GroupId): Promise<unknown>;
  leave(groupId: GroupId): Promise<void>;
  close(): Promise<void>;
}

export async function runCommand(peer: CommandTarget, line: string, current: GroupId | null): Promise<CommandResult> {
  const cmd = parseCommand(line);
  if (isCommandError(cmd)) return { kind: 'error', message: cmd.error.message };
  try {
    switch (cmd.kind) {
      case 'groups':
        return { kind: 'groups', groups: peer.directory() };
      case 'quit':
        await peer.close();
        return { kind: 'quit' };
      case 'members': {
        // Joined groups resolve by name too: the directory is a page plus coalesced deltas and may
        // not list a group yet (just after a tracker restart, or beyond the first page).
        const groupId = resolve(cmd.group, current, [...peer.joined(), ...peer.directory()]);
        return { kind: 'members', groupId, members: await peer.members(groupId) };
      }
      case 'join': {
        const groupId = resolve(cmd.group, current, peer.directory());
        await peer.join(groupId);
        return { kind: 'joined', groupId };
      }
      case 'switch':
        return { kind: 'switched', groupId: resolve(cmd.group, current, peer.joined(), 'You have not joined') };
      case 'leave': {
        const groupId = resolve(cmd.group, current, peer.joined(), 'You have not joined');
        await peer.leave(groupId);
        return { kind: 'left', groupId };
      }
    }
  } catch (e) {
    return { kind: 'error', message: errorMessage(e) };
  }
}

function resolve(
  ref: string | null,
  current: GroupId | null,
  among: readonly GroupSummary[],
  missing = 'There is no',
): GroupId {
  if (ref === null) {
    if (current === null) throw new ChorusError('missing-field', 'Which group? Open one or name it after the command.');
    return current;
  }
  const id = resolveGroup(ref, among);
  if (id === null) throw new ChorusError('not-found', `${missing} group called "${ref}".`);
  return id;
}
