// The web's own commands: /help, and /join with a password after the group.
import { describe, expect, it } from 'vitest';
import type { GroupId, GroupSummary } from '@chorus/protocol';
import { resolveGroup } from '../../../packages/peer/src/commands.ts';
import { parseJoin, webCommand } from '../src/lib/commands.ts';

const group = (groupId: string, name: string, locked = false): GroupSummary => ({
  groupId: groupId as GroupId,
  name,
  ordering: 'total',
  locked,
  online: 0,
  createdBy: 'x',
  createdAt: 0,
});

describe('web commands', () => {
  const groups = [group('g1', 'team'), group('g2', 'night shift', true), group('g3', 'night shift crew')];

  it('/join takes the whole argument as a group first, names with spaces included', () => {
    expect(parseJoin('team', groups, resolveGroup)).toEqual({ groupId: 'g1' });
    expect(parseJoin('night shift crew', groups, resolveGroup)).toEqual({ groupId: 'g3' });
    expect(parseJoin('g2', groups, resolveGroup)).toEqual({ groupId: 'g2' });
  });

  it('/join <group> <password>: the last word is the password when the whole is no group', () => {
    expect(parseJoin('night shift s3cret', groups, resolveGroup)).toEqual({ groupId: 'g2', password: 's3cret' });
    expect(parseJoin('team pw', groups, resolveGroup)).toEqual({ groupId: 'g1', password: 'pw' });
    expect(parseJoin('nowhere pw', groups, resolveGroup)).toBeNull();
    expect(parseJoin('  ', groups, resolveGroup)).toBeNull();
  });

  it("only /help and /join are the web's", () => {
    expect(webCommand('/help')).toEqual({ kind: 'help' });
    expect(webCommand(' /HELP ')).toEqual({ kind: 'help' });
    expect(webCommand('/join night shift pw')).toEqual({ kind: 'join', arg: 'night shift pw' });
    expect(webCommand('/groups')).toBeNull();
    expect(webCommand('/helpful')).toBeNull();
  });
});
