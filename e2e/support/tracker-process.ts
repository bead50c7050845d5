// A tracker owned by one test (the restart test must kill it and start it
// again on the same port): the real apps/tracker main, one Node process, no
// npm or tsx wrapper in between, so a kill reaches the tracker itself.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './environment.ts';
import { trackerEnv } from './tracker-settings.ts';

/** How long a tracker may take to answer /healthz after start (tsx compiles on first run). */
const START_TIMEOUT_MS = 30_000;
const HEALTH_POLL_MS = 100;

export class TrackerProcess {
  #child: ChildProcess | null = null;
  #stderr = '';

  /** `extraEnv` adds to the e2e tracker settings, e.g. REDIS_URL. */
  constructor(
    readonly port: number,
    readonly extraEnv: Readonly<Record<string, string>> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.#child) throw new Error('This tracker is already running.');
    this.#stderr = '';
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'apps/tracker/src/main.ts')], {
      cwd: repoRoot,
      env: { ...process.env, ...trackerEnv(this.port), ...this.extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4_000);
    });
    this.#child = child;
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`The tracker exited with ${child.exitCode}: ${this.#stderr}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
    throw new Error(`The tracker did not answer /healthz within ${START_TIMEOUT_MS} ms: ${this.#stderr}`);
  }

  /** Kills the process the way a crash would (no goodbye to anyone) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A throwaway redis-server (no persistence to disk) for a tracker whose
 * directory must outlive the tracker process: the in-memory tracker forgets
 * every group when it stops, by design (apps/tracker store/memory-store.ts).
 */
export class RedisProcess {
  #child: ChildProcess | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        cwd: '/tmp',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis-server did not start within 10 s.')), 10_000);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(
          new Error(
            `redis-server could not start (${e.message}); install it with \`apt-get install -y redis-server\`.`,
          ),
        );
      });
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}
