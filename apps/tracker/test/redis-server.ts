// A throwaway redis-server on a free port for one test file. Missing binary:
// a printed skip locally, a failure under CI.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const redisMissing = spawnSync('redis-server', ['--version']).error !== undefined;
if (redisMissing) {
  const reason = 'redis-server is not installed (apt-get install redis-server); the Redis tests cannot run';
  if (process.env['CI'] !== undefined) throw new Error(`${reason}, and CI is set: failing instead of skipping.`);
  console.warn(`SKIPPED: ${reason}.`);
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

export interface RedisServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** How long a fresh redis-server may take to say it is ready on a busy machine. */
const REDIS_START_TIMEOUT_MS = 15_000;

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { cwd: '/tmp', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`redis-server not ready in ${REDIS_START_TIMEOUT_MS} ms:\n${out}`)),
      REDIS_START_TIMEOUT_MS,
    );
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => {
      clearTimeout(t);
      reject(new Error(`redis-server exited:\n${out}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
