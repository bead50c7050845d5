// What a line typed at the terminal means. Pure: a line in, an action out.
// The web composer's `/` commands are parsed by packages/peer (parseCommand)
// and carried out by the peer facade; this file adds the seed messenger's
// `!` aliases for them and the terminal's own commands (/since, /create,
// /dm, the message operations /reply /react /unreact /edit /delete, /help),
// and turns every other line into a message.

import type { Ordering } from '@chorus/protocol';
import { parseRef } from './message-refs.ts';

/** The seed's `!` commands, each the alias of a `/` command of the web composer. */
export const BANG_ALIASES: Readonly<Record<string, string>> = {
  g: '/groups',
  lm: '/members',
  j: '/join',
  w: '/switch',
  e: '/leave',
  q: '/quit',
};

export type TerminalAction =
  | { readonly kind: 'empty' }
  | { readonly kind: 'send'; readonly text: string }
  /** A composer command for the peer facade (`/groups`, `/join x`, …). */
  | { readonly kind: 'peer'; readonly line: string }
  | { readonly kind: 'since'; readonly at: number; readonly group: string | null }
  | { readonly kind: 'create'; readonly name: string; readonly ordering: Ordering }
  | { readonly kind: 'dm'; readonly who: string }
  | { readonly kind: 'op'; readonly command: OpCommand }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

/** A message operation as typed (PROTOCOL.md §8); `ref` is the number in front of a message line. */
export type OpCommand =
  | { readonly op: 'reply' | 'edit'; readonly ref: number; readonly text: string }
  | { readonly op: 'delete'; readonly ref: number }
  | { readonly op: 'react'; readonly ref: number; readonly emoji: string; readonly on: boolean };

const OP_USAGE: Readonly<Record<string, string>> = {
  reply: 'Usage: /reply <n> <text> — n is the number in front of the message, like [12].',
  react: 'Usage: /react <n> <emoji> — n is the number in front of the message, like [12].',
  unreact: 'Usage: /unreact <n> <emoji> — takes back a reaction of yours.',
  edit: 'Usage: /edit <n> <new text> — only your own messages.',
  delete: 'Usage: /delete <n> — only your own messages.',
};

export const HELP = `Commands (the ! form is the seed's short alias):
  /groups            !g              list groups
  /members [group]   !lm [group]     list a group's members
  /join <group>      !j <group>      join a group (and write to it)
  /switch <group>    !w <group>      write to another joined group
  /leave [group]     !e [group]      leave a group
  /quit              !q              leave every group and exit
  /create <name> [fifo|total]        create a group (total order by default) and join it
  /since <time> [group]              messages since a time, of the current group or another
                                     (one you are not in is asked of its members):
                                     14:05, 2026-11-29T14:05, 10m, 2h, 1d, or epoch ms
  /dm <name or fingerprint>          open the direct message with a person of a joined group
                                     (a namesake by the key fingerprint: /dm 3f9a·c2); it is
                                     a group named @name: /switch @name writes there
  /reply <n> <text>                  reply to message [n] (the number in front of its line)
  /react <n> <emoji>                 react to message [n]; /unreact <n> <emoji> takes it back
  /edit <n> <text>                   change your message [n]
  /delete <n>                        delete your message [n]
  /help                              this text
Anything else is a message to the current group.`;

const SINCE_USAGE = 'Usage: /since <time> [group] — 14:05, 2026-11-29 14:05, 10m, 2h, 1d, or epoch ms.';

export function parseTerminalLine(line: string, now: number): TerminalAction {
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'empty' };
  if (trimmed.startsWith('!')) {
    const [word = '', ...rest] = trimmed.slice(1).split(/\s+/);
    const alias = BANG_ALIASES[word.toLowerCase()];
    if (alias === undefined) {
      // "!!" or "!yes" is a message, as a person typing it would expect.
      return { kind: 'send', text: line };
    }
    return parseTerminalLine([alias, ...rest].join(' '), now);
  }
  if (!trimmed.startsWith('/')) return { kind: 'send', text: line };
  const space = trimmed.search(/\s/);
  const word = (space === -1 ? trimmed.slice(1) : trimmed.slice(1, space)).toLowerCase();
  const arg = space === -1 ? '' : trimmed.slice(space).trim();
  switch (word) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'since': {
      if (arg === '') return { kind: 'error', message: SINCE_USAGE };
      // The time may have a space in it ("2026-11-29 14:05"): try the longest prefix that parses.
      const parts = arg.split(/\s+/);
      for (let n = parts.length; n >= 1; n -= 1) {
        const at = parseTime(parts.slice(0, n).join(' '), now);
        if (at !== null) {
          const group = parts.slice(n).join(' ');
          return { kind: 'since', at, group: group === '' ? null : group };
        }
      }
      return { kind: 'error', message: `Cannot read "${arg}" as a time. ${SINCE_USAGE}` };
    }
    case 'dm':
      if (arg === '') return { kind: 'error', message: 'Usage: /dm <name or key fingerprint>.' };
      return { kind: 'dm', who: arg };
    case 'reply':
    case 'edit':
    case 'delete':
    case 'react':
    case 'unreact':
      return parseOp(word, arg);
    case 'create': {
      const parts = arg.split(/\s+/).filter((p) => p !== '');
      const last = parts.at(-1)?.toLowerCase();
      const ordering: Ordering = last === 'fifo' ? 'fifo' : 'total';
      const name = (last === 'fifo' || last === 'total' ? parts.slice(0, -1) : parts).join(' ');
      if (name === '') return { kind: 'error', message: 'Usage: /create <name> [fifo|total].' };
      return { kind: 'create', name, ordering };
    }
    default:
      return { kind: 'peer', line: trimmed };
  }
}

function parseOp(word: 'reply' | 'edit' | 'delete' | 'react' | 'unreact', arg: string): TerminalAction {
  const usage: TerminalAction = { kind: 'error', message: OP_USAGE[word] as string };
  const space = arg.search(/\s/);
  const ref = parseRef(space === -1 ? arg : arg.slice(0, space));
  const rest = space === -1 ? '' : arg.slice(space).trim();
  if (ref === null) return usage;
  if (word === 'delete') return rest === '' ? { kind: 'op', command: { op: 'delete', ref } } : usage;
  if (rest === '') return usage;
  if (word === 'reply' || word === 'edit') return { kind: 'op', command: { op: word, ref, text: rest } };
  return { kind: 'op', command: { op: 'react', ref, emoji: rest, on: word === 'react' } };
}

const RELATIVE: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time from what a person types: `14:05` (today, local time; the
 * day before when that is still to come), an ISO date or date-time (local
 * unless it names a zone), `10m` / `2h` / `1d` ago, or epoch milliseconds.
 */
export function parseTime(text: string, now: number): number | null {
  const t = text.trim();
  const rel = /^(\d+)\s*([smhd])$/i.exec(t);
  if (rel) return now - Number(rel[1]) * (RELATIVE[(rel[2] as string).toLowerCase()] as number);
  if (/^\d{11,}$/.test(t)) return Number(t);
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (clock) {
    const [h, m, s] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (h > 23 || m > 59 || s > 59) return null;
    const d = new Date(now);
    d.setHours(h, m, s, 0);
    if (d.getTime() > now) d.setDate(d.getDate() - 1);
    return d.getTime();
  }
  if (/^\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    // Date-only ISO strings parse as UTC; a person means local midnight.
    const local = t.length === 10 ? `${t}T00:00` : t.replace(' ', 'T');
    const at = Date.parse(local);
    return Number.isNaN(at) ? null : at;
  }
  return null;
}
