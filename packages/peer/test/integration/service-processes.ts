// Real service processes the integration tests own: a redis-server and a
// tracker node (`apps/tracker/src/main.ts` under tsx), each killable with
// SIGKILL and restartable on the same port, as an operator's crash would be.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../scenarios/network.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const TRACKER_MAIN = fileURLToPath(new URL('../../../../apps/tracker/src/main.ts', import.meta.url));
/** tsx + socket.io + ioredis start in a second or two; a busy CI box gets ten times that. */
const START_WAIT_MS = 20_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });

/** Services still running; killed if the test process exits first (no orphaned redis-server). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});
const track = (p: ChildProcess): ChildProcess => {
  running.add(p);
  p.once('exit', () => running.delete(p));
  return p;
};

const exited = (p: ChildProcess): Promise<void> =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));

export class RedisProcess {
  private constructor(
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisProcess> {
    const port = await freePort();
    const proc = track(
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      }),
    );
    const r = new RedisProcess(port, proc);
    await waitFor(`redis-server on ${port}`, () => accepts(port), START_WAIT_MS);
    return r;
  }

  async stop(): Promise<void> {
    this.proc.kill('SIGKILL');
    await exited(this.proc);
  }
}

export interface TrackerProcessEnv {
  readonly REDIS_URL?: string;
  readonly HEARTBEAT_INTERVAL_MS: string;
  readonly HEARTBEAT_TIMEOUT_MS: string;
  readonly LINK_GRACE_MS?: string;
  readonly JOIN_TIMEOUT_MS?: string;
  readonly NODE_TTL_MS?: string;
}

export class TrackerProcess {
  #proc: ChildProcess | null = null;

  constructor(
    readonly port: number,
    private readonly env: TrackerProcessEnv,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.#proc) throw new Error('tracker process already running');
    const proc = track(
      spawn(process.execPath, ['--import', 'tsx', TRACKER_MAIN], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          ...this.env,
          PORT: String(this.port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          WEB_DIST: '/nonexistent',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    this.#proc = proc;
    await waitFor(
      `tracker process on ${this.port}`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`tracker process exited with ${proc.exitCode}`);
        try {
          return (await fetch(`${this.url}/healthz`)).ok;
        } catch {
          return false;
        }
      },
      START_WAIT_MS,
    );
  }

  /** A crash: no graceful close, sockets die mid-stream. */
  async kill(): Promise<void> {
    const proc = this.#proc;
    this.#proc = null;
    if (!proc) return;
    proc.kill('SIGKILL');
    await exited(proc);
  }
}
