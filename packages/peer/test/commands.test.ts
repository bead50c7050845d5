import { describe, expect, it } from 'vitest';
import { asGroupId } from '@chorus/protocol';
import { MAX_COMMAND_LENGTH, isCommandError, parseCommand, resolveGroup } from '../src/commands.ts';

describe('parseCommand', () => {
  it('parses every command of docs/design.md §3', () => {
    expect(parseCommand('/groups')).toEqual({ kind: 'groups' });
    expect(parseCommand('/members general')).toEqual({ kind: 'members', group: 'general' });
    expect(parseCommand('/join  general ')).toEqual({ kind: 'join', group: 'general' });
    expect(parseCommand('/switch team chat')).toEqual({ kind: 'switch', group: 'team chat' });
    expect(parseCommand('/leave general')).toEqual({ kind: 'leave', group: 'general' });
    expect(parseCommand('  /QUIT')).toEqual({ kind: 'quit' });
  });

  it('lets /members and /leave default to the open group', () => {
    expect(parseCommand('/members')).toEqual({ kind: 'members', group: null });
    expect(parseCommand('/leave')).toEqual({ kind: 'leave', group: null });
  });

  it('refuses bad lines with a code and a sentence', () => {
    const cases: [string, string][] = [
      ['/join', 'missing-field'],
      ['/switch   ', 'missing-field'],
      ['/dance now', 'unknown-kind'],
      ['/', 'missing-field'],
      ['hello', 'bad-type'],
      ['/quit now', 'bad-type'],
      ['/join ' + 'x'.repeat(MAX_COMMAND_LENGTH), 'too-long'],
      [42 as unknown as string, 'bad-type'],
    ];
    for (const [line, code] of cases) {
      const r = parseCommand(line);
      expect(isCommandError(r), line).toBe(true);
      if (isCommandError(r)) {
        expect(r.error.code, line).toBe(code);
        expect(r.error.message.length).toBeGreaterThan(10);
      }
    }
  });
});

describe('resolveGroup', () => {
  const groups = [
    { groupId: asGroupId('id-1'), name: 'General' },
    { groupId: asGroupId('id-2'), name: 'general' },
    { groupId: asGroupId('id-3'), name: 'Random' },
  ];
  it('finds by id, exact name, then unambiguous case-insensitive name', () => {
    expect(resolveGroup('id-3', groups)).toBe('id-3');
    expect(resolveGroup('general', groups)).toBe('id-2');
    expect(resolveGroup('random', groups)).toBe('id-3');
    expect(resolveGroup('GENERAL', groups)).toBeNull();
    expect(resolveGroup('nope', groups)).toBeNull();
  });
});
