// Request/response over the Node IPC channel between the bench driver and
// its worker processes (one process per peer, so one-way latency crosses a
// process boundary like it would between two machines' browsers). A worker
// can also push events (e.g. WebRTC signal data for the floor measurement).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Handler = (args: any) => unknown;

interface Request {
  readonly kind: 'call';
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}
interface Response {
  readonly kind: 'reply';
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}
interface Push {
  readonly kind: 'event';
  readonly event: string;
  readonly data: unknown;
}

/** A worker process seen from the driver. */
export class Worker {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; cmd: string }
  >();
  private readonly listeners = new Map<string, Set<(data: any) => void>>();
  private exited = false;
  stderrTail = '';

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (raw) => this.onMessage(raw as Response | Push));
    child.stderr?.on('data', (chunk: Buffer) => {
      // Keep the tail only: enough to explain a crash in the report.
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
      if (process.env['BENCH_VERBOSE']) process.stderr.write(`[${name}] ${chunk.toString()}`);
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const [, p] of this.pending)
        p.reject(new Error(`${name} exited (${code ?? signal}) during ${p.cmd}: ${this.stderrTail.slice(-600)}`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return !this.exited;
  }

  call<T = unknown>(cmd: string, args: unknown = null): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited: ${this.stderrTail.slice(-600)}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, cmd });
      this.child.send({ kind: 'call', id, cmd, args } satisfies Request);
    });
  }

  on(event: string, listener: (data: any) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }

  private onMessage(msg: Response | Push): void {
    if (msg.kind === 'event') {
      for (const l of this.listeners.get(msg.event) ?? []) l(msg.data);
      return;
    }
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new Error(`${this.name} ${p.cmd}: ${msg.error ?? 'failed'}`));
  }
}

export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Pin the process to these CPUs with taskset (e.g. "0"). */
  readonly cpus?: string;
  readonly nodeArgs?: readonly string[];
}

/** Start a TypeScript worker (path relative to bench/workers) under tsx with an IPC channel. */
export const spawnWorker = (name: string, script: string, opts: SpawnOptions = {}): Worker => {
  const path = fileURLToPath(new URL(`../workers/${script}`, import.meta.url));
  // BENCH_WORKER_PROFILE=/tmp/dir: every worker writes a CPU profile there when it exits.
  const profileDir = process.env['BENCH_WORKER_PROFILE'];
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const execArgv = ['--import', 'tsx', ...profile, ...(opts.nodeArgs ?? [])];
  // With cpus set, taskset execs node: fork runs `execPath ...execArgv script`, and the
  // IPC channel survives the exec because it travels as an inherited fd + env var.
  const child =
    opts.cpus === undefined
      ? fork(path, [], { execArgv, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
      : fork(path, [], {
          execPath: '/usr/bin/taskset',
          execArgv: ['-c', opts.cpus, process.execPath, ...execArgv],
          env: { ...process.env, ...opts.env },
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        });
  return new Worker(name, child);
};

/** Worker side: answer calls with the given handlers; never let a handler's throw kill the worker. */
export const serve = (handlers: Record<string, Handler>): ((event: string, data: unknown) => void) => {
  const send = (msg: Response | Push): void => {
    if (process.connected) process.send?.(msg);
  };
  process.on('message', (raw) => {
    const req = raw as Request;
    if (req.kind !== 'call') return;
    const handler = handlers[req.cmd];
    if (handler === undefined) {
      send({ kind: 'reply', id: req.id, ok: false, error: `unknown command ${req.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(req.args))
      .then(
        (value) => send({ kind: 'reply', id: req.id, ok: true, value: value ?? null }),
        (e: unknown) =>
          send({ kind: 'reply', id: req.id, ok: false, error: e instanceof Error ? `${e.message}` : String(e) }),
      );
  });
  // The driver going away must not leave orphan peers behind.
  process.on('disconnect', () => process.exit(0));
  // A profiled worker (BENCH_WORKER_PROFILE) writes its profile only when it exits by itself.
  if (process.execArgv.includes('--cpu-prof')) process.on('SIGTERM', () => process.exit(0));
  return (event, data) => send({ kind: 'event', event, data });
};
