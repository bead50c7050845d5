// Test data and process helpers shared by the CLI's tests: signed-looking
// stored messages (the store never verifies signatures), temporary homes,
// and the `chorus` command as a child process whose output lines can be
// awaited.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoredMessage } from '@chorus/peer';
import { asGroupId, asPeerId, messageId, type GroupId } from '@chorus/protocol';

export const CHORUS_BIN = fileURLToPath(new URL('../bin/chorus.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const tempHome = (): string => mkdtempSync(join(tmpdir(), 'chorus-cli-'));

/** A stored message as the group session would write it; `k` is its position in the group's log. */
export function stored(
  group: string,
  sender: string,
  seq: number,
  k: number,
  sentAt = 1_700_000_000_000 + k * 1_000,
  body = `${sender} says ${seq}`,
): StoredMessage {
  const groupId: GroupId = asGroupId(group);
  const from = asPeerId(sender);
  return {
    id: messageId(groupId, from, seq),
    groupId,
    senderName: sender.toUpperCase(),
    deliveredAt: sentAt + 5,
    order: String(k).padStart(16, '0'),
    frame: {
      t: 'data',
      groupId,
      viewId: 1 as StoredMessage['frame']['viewId'],
      sender: from,
      seq,
      lamport: k,
      sentAt,
      body,
      sig: 'c2ln',
    },
  };
}

/**
 * One printed message line: `[12] HH:MM:SS [group] Author: text` (the number a person types to name it, then a
 * message of another day has its date in front).
 */
const MESSAGE_LINE = /^(?:\[\d+\] )?(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \[([^\]]+)\] ([^:]+): (.*)$/;

/** The messages a terminal printed for `group` (as `Author: text`), in the order printed. */
export const printedMessages = (lines: readonly string[], group: string): string[] =>
  lines.flatMap((l) => {
    const m = MESSAGE_LINE.exec(l);
    return m && m[1] === group ? [`${m[2]}: ${m[3]}`] : [];
  });

/** A child process whose stdout (and stderr) lines are collected and can be waited for. */
export class LineProcess {
  readonly lines: string[] = [];
  readonly proc: ChildProcess;
  #waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  readonly exited: Promise<number | null>;

  /**
   * `pty: true` runs it under util-linux `script`, in a pseudo-terminal as a
   * person's shell would (prompt, colours, line editing); otherwise on pipes
   * with NO_COLOR set.
   */
  constructor(args: readonly string[], env: Record<string, string>, opts: { readonly pty?: boolean } = {}) {
    const command = [process.execPath, CHORUS_BIN, ...args];
    const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const base: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    delete base['NO_COLOR'];
    this.proc = opts.pty
      ? spawn('script', ['-qfec', quoted, '/dev/null'], {
          cwd: REPO_ROOT,
          env: { ...base, ...env },
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(command[0] as string, command.slice(1), {
          cwd: REPO_ROOT,
          env: { ...process.env, NO_COLOR: '1', ...env },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
    running.add(this.proc);
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', (code) => {
        running.delete(this.proc);
        resolve(code);
      }),
    );
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      let buffer = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) !== -1) {
          this.#line(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
        // A prompt has no newline after it: waiters see the unfinished line too.
        this.#tail = '';
        if (buffer !== '') this.#partial(buffer);
      });
    }
  }

  /** Output after the last newline (a prompt), for waiters that start after it arrived. */
  #tail = '';

  #partial(text: string): void {
    this.#tail = text;
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(text)) return true;
      w.resolve(text);
      return false;
    });
  }

  #line(line: string): void {
    if (process.env['CHORUS_TEST_ECHO']) process.stderr.write(`[child ${this.proc.pid}] ${line}\n`);
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** The first line (already seen or still to come) that matches. */
  waitForLine(what: string, test: (line: string) => boolean, timeoutMs = 30_000, from = 0): Promise<string> {
    const seen = [...this.lines.slice(from), this.#tail].find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. Output so far:\n${this.lines.join('\n')}`),
        );
      }, timeoutMs);
      this.#waiters.push({
        test,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  write(line: string): void {
    this.proc.stdin?.write(`${line}\n`);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}

/** Children still running are killed if the test process exits first. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});
