// What a typed line means: the seed's `!` aliases map onto the web
// composer's `/` commands, /since reads the times a person types, and
// everything else is a message.

import { describe, expect, it } from 'vitest';
import { parseTerminalLine, parseTime } from '../src/terminal-commands.ts';

const NOW = new Date(2026, 10, 29, 15, 30, 0).getTime();

describe('parseTerminalLine', () => {
  it.each([
    ['!g', '/groups'],
    ['!lm room', '/members room'],
    ['!lm', '/members'],
    ['!j big room', '/join big room'],
    ['!w room', '/switch room'],
    ['!e', '/leave'],
    ['!q', '/quit'],
    ['!J room', '/join room'],
  ])('%s is %s', (line, command) => {
    expect(parseTerminalLine(line, NOW)).toEqual({ kind: 'peer', line: command });
  });

  it('keeps anything else as a message, "!" lines included', () => {
    expect(parseTerminalLine('hello', NOW)).toEqual({ kind: 'send', text: 'hello' });
    expect(parseTerminalLine('!!', NOW)).toEqual({ kind: 'send', text: '!!' });
    expect(parseTerminalLine('!yes indeed', NOW)).toEqual({ kind: 'send', text: '!yes indeed' });
    expect(parseTerminalLine('   ', NOW)).toEqual({ kind: 'empty' });
  });

  it('reads /since with a time and an optional group', () => {
    expect(parseTerminalLine('/since 10m', NOW)).toEqual({ kind: 'since', at: NOW - 600_000, group: null });
    expect(parseTerminalLine('/since 2026-11-29 14:05 big room', NOW)).toEqual({
      kind: 'since',
      at: new Date(2026, 10, 29, 14, 5).getTime(),
      group: 'big room',
    });
    expect(parseTerminalLine('/since soon', NOW)).toMatchObject({ kind: 'error' });
    expect(parseTerminalLine('/since', NOW)).toMatchObject({ kind: 'error' });
  });

  it('reads /create with an ordering, total by default', () => {
    expect(parseTerminalLine('/create team room fifo', NOW)).toEqual({
      kind: 'create',
      name: 'team room',
      ordering: 'fifo',
    });
    expect(parseTerminalLine('/create lobby', NOW)).toEqual({ kind: 'create', name: 'lobby', ordering: 'total' });
    expect(parseTerminalLine('/create', NOW)).toMatchObject({ kind: 'error' });
  });

  it('reads the message operations by the number in front of a line, keeping the text as typed', () => {
    const op = (line: string): unknown => parseTerminalLine(line, NOW);
    expect(op('/reply 12 sure,  see you')).toEqual({
      kind: 'op',
      command: { op: 'reply', ref: 12, text: 'sure,  see you' },
    });
    expect(op('/reply [12] ok')).toEqual({ kind: 'op', command: { op: 'reply', ref: 12, text: 'ok' } });
    expect(op('/edit #3 fixed')).toEqual({ kind: 'op', command: { op: 'edit', ref: 3, text: 'fixed' } });
    expect(op('/delete 3')).toEqual({ kind: 'op', command: { op: 'delete', ref: 3 } });
    expect(op('/react 4 👍')).toEqual({ kind: 'op', command: { op: 'react', ref: 4, emoji: '👍', on: true } });
    expect(op('/unreact 4 👍')).toEqual({ kind: 'op', command: { op: 'react', ref: 4, emoji: '👍', on: false } });
    for (const bad of ['/reply', '/reply 12', '/reply x hi', '/reply 0 hi', '/react 4', '/delete', '/delete 3 now'])
      expect(op(bad)).toMatchObject({ kind: 'error', message: expect.stringMatching(/^Usage: \//) });
  });

  it('reads /dm with a name or a fingerprint', () => {
    expect(parseTerminalLine('/dm Bob Smith', NOW)).toEqual({ kind: 'dm', who: 'Bob Smith' });
    expect(parseTerminalLine('/dm 3f9a·c2', NOW)).toEqual({ kind: 'dm', who: '3f9a·c2' });
    expect(parseTerminalLine('/dm', NOW)).toMatchObject({ kind: 'error' });
  });
});

describe('parseTime', () => {
  it('reads clock times as today, or yesterday when still to come', () => {
    expect(parseTime('14:05', NOW)).toBe(new Date(2026, 10, 29, 14, 5).getTime());
    expect(parseTime('16:00', NOW)).toBe(new Date(2026, 10, 28, 16, 0).getTime());
    expect(parseTime('25:00', NOW)).toBeNull();
  });
  it('reads relative times, dates and epoch milliseconds', () => {
    expect(parseTime('2h', NOW)).toBe(NOW - 7_200_000);
    expect(parseTime('1d', NOW)).toBe(NOW - 86_400_000);
    expect(parseTime('2026-11-28', NOW)).toBe(new Date(2026, 10, 28).getTime());
    expect(parseTime('2026-11-28T10:00:00Z', NOW)).toBe(Date.UTC(2026, 10, 28, 10));
    expect(parseTime(String(NOW - 5), NOW)).toBe(NOW - 5);
    expect(parseTime('yesterday', NOW)).toBeNull();
  });
});
