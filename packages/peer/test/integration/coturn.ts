// A real coturn (`turnserver`, Debian package `coturn`) owned by one test
// file: loopback only, a free port, the TURN REST scheme (`use-auth-secret`)
// with the tracker's secret, no TLS, no CLI, no config file, no root and no
// system service. Its verbose log is how a test proves that traffic went
// through it: every successful allocation names the TURN username, which the
// tracker mints as `${expiry}:${peerId}` (apps/tracker/src/ice-servers.ts).
// Used by the Node integration tests and the e2e suite (e2e/specs/turn.spec.ts).

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** coturn opens its listeners in well under a second; a loaded CI box gets far more. */
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export const COTURN_MISSING =
  'turnserver (coturn) is not installed: the TURN tests need it. Install it with `apt-get install -y coturn` (.ci/run does).';

/** Throws the install hint when `turnserver` is not on PATH: these tests fail loudly, never skip. */
export function requireTurnserver(): void {
  const probe = spawnSync('turnserver', ['--version'], { stdio: 'ignore' });
  if (probe.error) throw new Error(COTURN_MISSING);
}

async function freePort(): Promise<number> {
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

/** Processes still running; killed if the test process exits first (no orphaned turnserver). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export class Coturn {
  readonly #proc: ChildProcess;
  readonly #dir: string;
  #stderr = '';

  private constructor(
    readonly port: number,
    readonly secret: string,
    proc: ChildProcess,
    dir: string,
  ) {
    this.#proc = proc;
    this.#dir = dir;
    proc.stderr?.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-2_000);
    });
  }

  /** The ICE server entry for the tracker's ICE_SERVERS: no username, so the tracker mints one. */
  get url(): string {
    return `turn:127.0.0.1:${this.port}`;
  }

  get logFile(): string {
    return join(this.#dir, 'turn.log');
  }

  static async start(secret: string): Promise<Coturn> {
    requireTurnserver();
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'chorus-coturn-'));
    const args = [
      '-n', // no config file: /etc/turnserver.conf is the system service's business
      '--verbose', // session lines: who allocated, with which username
      '--listening-ip',
      '127.0.0.1',
      '--listening-port',
      String(port),
      '--relay-ip',
      '127.0.0.1',
      '--allow-loopback-peers',
      '--use-auth-secret',
      '--static-auth-secret',
      secret,
      '--realm',
      'chorus.test',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--log-file',
      join(dir, 'turn.log'),
      '--simple-log',
      '--no-stdout-log',
      '--pidfile',
      join(dir, 'turnserver.pid'),
      '--userdb',
      join(dir, 'turndb'),
    ];
    const proc = spawn('turnserver', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    const t = new Coturn(port, secret, proc, dir);
    const spawnError = new Promise<never>((_, reject) =>
      proc.once('error', (e) => reject(new Error(`${COTURN_MISSING} (${e.message})`))),
    );
    spawnError.catch(() => {});
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(t.log().includes(`UDP listener opened on: 127.0.0.1:${port}`) && (await accepts(port)))) {
      if (proc.exitCode !== null)
        throw new Error(`turnserver exited with ${proc.exitCode} at start: ${t.#stderr}\n${t.log().slice(-2_000)}`);
      if (Date.now() > deadline) {
        await t.stop();
        throw new Error(
          `turnserver did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms:\n${t.log().slice(-2_000)}`,
        );
      }
      await Promise.race([new Promise((r) => setTimeout(r, 100)), spawnError]);
    }
    return t;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** TURN usernames that got a relay allocation, in log order, without repeats. */
  allocatedUsers(): string[] {
    const users = [...this.log().matchAll(/user <([^>]+)>: incoming packet ALLOCATE processed, success/g)].map(
      (m) => m[1] as string,
    );
    return [...new Set(users)];
  }

  /** Peer ids that allocated a relay (the tracker's username is `${expiry}:${peerId}`). */
  relayedPeers(): Set<string> {
    return new Set(this.allocatedUsers().map((u) => u.slice(u.indexOf(':') + 1)));
  }

  /** Peer ids whose channel-bind succeeded: a relayed data channel actually carried traffic to a peer. */
  boundPeers(): Set<string> {
    const users = [...this.log().matchAll(/user <([^>]+)>: incoming packet CHANNEL_BIND processed, success/g)].map(
      (m) => m[1] as string,
    );
    return new Set(users.map((u) => u.slice(u.indexOf(':') + 1)));
  }

  /** How many requests coturn refused with 401 for a username that was given (a wrong or expired credential). */
  unauthorizedUsers(): Set<string> {
    return new Set(
      [
        ...this.log().matchAll(
          /Cannot find credentials of user <([^>]+)>|user <([^>]+)>: incoming packet \w+ processed, error 401/g,
        ),
      ]
        .map((m) => (m[1] ?? m[2]) as string)
        .filter((u) => u !== ''),
    );
  }

  /** SIGTERM (coturn exits cleanly on it), SIGKILL if it lingers; removes the temp directory. */
  async stop(): Promise<void> {
    const proc = this.#proc;
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
