// A real tracker in its own Node process, for tests that read its heap: the
// heap the child reports is the tracker's alone, not the test's clients'.
// The child is this file run with --expose-gc; the parent drives it over IPC.

import { fork } from 'node:child_process';
import v8 from 'node:v8';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunningTracker, TrackerConfig } from '../src/index.ts';
import { startTestTracker } from './helpers.ts';

type Request = { id: number; cmd: 'start'; config: Partial<TrackerConfig> } | { id: number; cmd: 'heap' | 'close' };
type Reply = { id: number; ok: boolean; value?: unknown; error?: string };

export interface TrackerProcess {
  readonly url: string;
  /**
   * The tracker process's heap in use after two full collections, less V8's
   * code spaces: compiled code grows with what has run hot, not with what the
   * tracker holds.
   */
  heapAfterGc(): Promise<number>;
  close(): Promise<void>;
}

export async function startTrackerProcess(config: Partial<TrackerConfig>): Promise<TrackerProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let next = 0;
  const ask = <T>(cmd: Request['cmd'], extra: object = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++next;
      const onReply = (r: Reply): void => {
        if (r.id !== id) return;
        child.off('message', onReply);
        if (r.ok) resolve(r.value as T);
        else reject(new Error(r.error));
      };
      child.on('message', onReply);
      child.send({ id, cmd, ...extra });
    });
  const url = await ask<string>('start', { config });
  return {
    url,
    heapAfterGc: () => ask<number>('heap'),
    close: async () => {
      if (child.exitCode === null) await ask('close').catch(() => undefined);
      await exited;
    },
  };
}

// ---- the child ----
if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  let tracker: RunningTracker | null = null;
  const gc = (globalThis as { gc?: () => void }).gc;
  const answer = async (m: Request): Promise<unknown> => {
    if (m.cmd === 'start') return (tracker = await startTestTracker(m.config)).url;
    if (m.cmd === 'heap') {
      if (gc === undefined) throw new Error('the tracker process needs --expose-gc');
      gc();
      gc();
      const code = v8
        .getHeapSpaceStatistics()
        .filter((x) => x.space_name.startsWith('code_'))
        .reduce((a, x) => a + x.space_used_size, 0);
      return process.memoryUsage().heapUsed - code;
    }
    await tracker?.close();
    setImmediate(() => process.exit(0));
    return null;
  };
  process.on('message', (m: Request) => {
    answer(m).then(
      (value) => process.send!({ id: m.id, ok: true, value } satisfies Reply),
      (e: unknown) => process.send!({ id: m.id, ok: false, error: String(e) } satisfies Reply),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
