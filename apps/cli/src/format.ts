// How the terminal client writes things: one line per message (time,
// group, author, text), system lines, notices and errors, with ANSI colours
// only when asked to (the caller decides from the TTY, NO_COLOR and
// FORCE_COLOR). Pure: data in, strings out.

import type { GroupSummary, MemberInfo } from '@chorus/protocol';
import type { ChatMessage, SystemLine } from '@chorus/peer';

const ESC = '\u001b[';
const codes = {
  dim: '2',
  bold: '1',
  red: '31',
  green: '32',
  yellow: '33',
  blue: '34',
  magenta: '35',
  cyan: '36',
} as const;
type Style = keyof typeof codes;

/** Author colours, picked by a hash of the name so a person keeps one colour across runs. */
const AUTHOR_COLOURS: readonly Style[] = ['green', 'yellow', 'blue', 'magenta', 'cyan', 'red'];

export class Formatter {
  readonly #color: boolean;

  constructor(color: boolean) {
    this.#color = color;
  }

  #paint(text: string, ...styles: Style[]): string {
    if (!this.#color || styles.length === 0) return text;
    return `${ESC}${styles.map((s) => codes[s]).join(';')}m${text}${ESC}0m`;
  }

  /**
   * `text` replaces the body (a reply's text with what it answers, op-lines.ts); `ref` is the number a person
   * types to name the message (message-refs.ts), written first: `[12] 14:02:11 [lobby] Ann: hello`.
   */
  message(m: ChatMessage, groupName: string, own: boolean, text: string = m.body, ref?: number): string {
    const author = this.#paint(m.senderName, 'bold', own ? 'bold' : authorColour(m.senderName));
    // A body with line breaks keeps its lines, indented under the first.
    const body = text.replace(/\r?\n/g, '\n    ');
    const number = ref === undefined ? '' : `${this.#paint(`[${ref}]`, 'dim')} `;
    return `${number}${this.#paint(clock(m.sentAt), 'dim')} ${this.#paint(`[${groupName}]`, 'cyan')} ${author}: ${body}`;
  }

  /** An edit, delete or reaction: a line of its own (the terminal never rewrites a line written). */
  operation(at: number, groupName: string, text: string): string {
    return this.#paint(`${clock(at)} [${groupName}] -- ${text.replace(/\r?\n/g, '\n    ')}`, 'dim');
  }

  system(line: SystemLine, groupName: string): string {
    const what =
      line.change === 'joined'
        ? 'joined'
        : line.change === 'left'
          ? 'left'
          : line.change === 'failed'
            ? 'failed (no heartbeat)'
            : `is gone (${line.change})`;
    return this.#paint(`${clock(line.at)} [${groupName}] -- ${line.name} ${what}`, 'dim');
  }

  notice(text: string): string {
    return this.#paint(`-- ${text}`, 'dim');
  }

  error(text: string): string {
    return this.#paint(`!! ${text}`, 'red');
  }

  prompt(groupName: string | null): string {
    return groupName === null ? '> ' : `${this.#paint(`[${groupName}]`, 'cyan')}> `;
  }

  groups(groups: readonly GroupSummary[], joined: ReadonlySet<string>): string {
    if (groups.length === 0) return this.notice('No groups yet. Create one: /create <name> [fifo|total]');
    const rows = [...groups]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((g) => {
        const mark = joined.has(g.groupId) ? '*' : ' ';
        const lock = g.locked ? ' (password)' : '';
        return `  ${mark} ${g.name}  ${this.#paint(`${g.ordering}, ${g.online} online${lock}`, 'dim')}`;
      });
    return [this.notice(`Groups (* = joined):`), ...rows].join('\n');
  }

  members(groupName: string, members: readonly MemberInfo[]): string {
    const rows = members.map((m) => `  ${m.name}  ${this.#paint(m.peerId.slice(0, 8), 'dim')}`);
    return [this.notice(`Members of ${groupName} (${members.length} online):`), ...rows].join('\n');
  }
}

function authorColour(name: string): Style {
  let h = 0;
  for (let i = 0; i < name.length; i += 1) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return AUTHOR_COLOURS[h % AUTHOR_COLOURS.length] as Style;
}

/** HH:MM:SS local time; messages older than today also get their date. */
export function clock(at: number, now = Date.now()): string {
  const d = new Date(at);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date(now);
  const sameDay =
    d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate();
  return sameDay ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}
