// Shared services of one bench run, started on first use and stopped at the
// end: the worker pool, one tracker node, the relay baseline server, the
// browser. Scenarios ask for what they need; a service that cannot start
// makes the rows that need it "not run: <reason>".
import { NodeCluster } from './node-cluster.ts';
import { spawnWorker, type Worker } from './rpc.ts';
import { freePort } from './free-port.ts';
import type { Formation } from './node-paths.ts';
import { BrowserHarness } from './browser.ts';

export type BenchMode = 'quick' | 'full';

export interface FormationSample extends Formation {
  readonly ordering: 'fifo' | 'total';
  readonly where: 'node' | 'chromium';
}

export class BenchContext {
  readonly cluster = new NodeCluster();
  /** Group formations timed while other scenarios set up groups; the mesh-formation scenario reports them. */
  readonly formations: FormationSample[] = [];
  private tracker: Promise<{ worker: Worker; url: string }> | null = null;
  private relay: Promise<{ worker: Worker; url: string }> | null = null;
  private browserHarness: Promise<BrowserHarness> | null = null;
  /** The bench page's port, chosen before the tracker starts so its origin can be allow-listed. */
  private pagePort: Promise<number> | null = null;
  private readonly cleanups: (() => Promise<void>)[] = [];

  /** smoke: every scenario shrinks to its smallest case, to check the scripts run (figures are meaningless). */
  constructor(
    readonly mode: BenchMode,
    readonly smoke = false,
  ) {}

  get quick(): boolean {
    return this.mode === 'quick' || this.smoke;
  }

  /** One in-memory tracker node for every peer scenario (its own process). */
  trackerUrl(): Promise<string> {
    this.tracker ??= (async () => {
      const worker = spawnWorker('tracker', 'tracker-host.ts', { nodeArgs: ['--expose-gc'] });
      this.cleanups.push(() => worker.stop());
      const origin = `http://127.0.0.1:${await this.pagePortOnce()}`;
      // Every scenario's groups come from the same few bench identities on 127.0.0.1, a fresh group per
      // run, and an empty group stays listed for a day (config.ts): the caps against one client filling
      // the directory (20 groups per key, 100 per address) would refuse the full run's later groups.
      const overrides = { allowedOrigins: [origin], maxGroupsPerKey: 1_000_000, maxGroupsPerAddress: 1_000_000 };
      const { url } = await worker.call<{ url: string }>('start', { overrides });
      return { worker, url };
    })();
    return this.tracker.then((t) => t.url);
  }

  relayUrl(): Promise<string> {
    this.relay ??= (async () => {
      const worker = spawnWorker('relay-server', 'relay-server.ts');
      this.cleanups.push(() => worker.stop());
      const port = await worker.call<number>('start', { port: await freePort() });
      return { worker, url: `http://127.0.0.1:${port}` };
    })();
    return this.relay.then((r) => r.url);
  }

  private pagePortOnce(): Promise<number> {
    this.pagePort ??= freePort();
    return this.pagePort;
  }

  /** Headless Chromium with the bench page served on the allow-listed origin. */
  browser(): Promise<BrowserHarness> {
    this.browserHarness ??= (async () => {
      const h = await BrowserHarness.start(await this.pagePortOnce());
      this.cleanups.push(() => h.close());
      return h;
    })();
    return this.browserHarness;
  }

  onClose(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  async close(): Promise<void> {
    await this.cluster.stop();
    for (const fn of this.cleanups.reverse()) await fn().catch(() => undefined);
  }
}
