// Headless Debian Chromium driven by playwright-core: builds the bench page,
// serves it from a small static server, and gives one page per peer, each in
// its own browser context (own IndexedDB, as a separate user would have).
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { withTimeout } from './wall-clock.ts';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/**
 * docs/design.md §8's launch flags, plus one: Chromium hides host candidates behind
 * mDNS names by default, which the other headless pages cannot resolve here.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];
/** A page of the bench app loads a few hundred KB from loopback; this only bounds a broken build. */
const PAGE_READY_TIMEOUT_MS = 30_000;

const HERE = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(HERE, '.cache/browser');
const SOURCES = [
  join(HERE, 'browser'),
  join(HERE, 'lib'),
  join(HERE, '../packages/peer/src'),
  join(HERE, '../packages/protocol/src'),
];

const newest = (p: string): number => {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  return st.isDirectory() ? Math.max(st.mtimeMs, ...readdirSync(p).map((e) => newest(join(p, e)))) : st.mtimeMs;
};

/** Builds the bench page with Vite unless the build is newer than every source. */
export const buildBenchPage = async (): Promise<void> => {
  const built = existsSync(join(OUT, 'index.html')) ? statSync(join(OUT, 'index.html')).mtimeMs : 0;
  if (built > 0 && built >= Math.max(...SOURCES.map(newest))) return;
  const { build } = await import('vite');
  await build({ configFile: join(HERE, 'browser/vite.config.ts') });
};

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

const serveStatic = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(
        /^(\.\.[/\\])+/,
        '',
      );
      const file = join(OUT, path === '/' ? 'index.html' : path);
      if (!file.startsWith(OUT) || !existsSync(file) || statSync(file).isDirectory()) {
        res.writeHead(404).end();
        return;
      }
      // Cross-origin isolation lifts Chromium's coarse timer clamp, so sub-millisecond one-way latencies are
      // measurable.
      res
        .writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
        })
        .end(readFileSync(file));
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

/** A peer the driver commands: a Node worker process or a browser page. */
export interface PeerDriver {
  readonly name: string;
  call<T = unknown>(cmd: string, args?: unknown): Promise<T>;
  on(event: string, listener: (data: any) => void): () => void;
}

export class PagePeer implements PeerDriver {
  errors = '';
  private readonly listeners = new Map<string, Set<(data: any) => void>>();
  constructor(
    readonly name: string,
    readonly page: Page,
  ) {
    page.on('pageerror', (e) => {
      this.errors = `${this.errors}\n${e.message}`.slice(-2000);
    });
  }

  /** Called from the page through the exposed `benchEmit`. */
  dispatch(event: string, data: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(data);
  }

  on(event: string, listener: (data: any) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }

  async call<T = unknown>(cmd: string, args: unknown = null): Promise<T> {
    try {
      return (await this.page.evaluate(([c, a]) => window.benchCall(c as string, a), [cmd, args] as const)) as T;
    } catch (e) {
      throw new Error(
        `${this.name} ${cmd}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0] ?? ''}${this.errors === '' ? '' : ` (page errors: ${this.errors.slice(-300)})`}`,
      );
    }
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}

export class BrowserHarness {
  private constructor(
    private readonly browser: Browser,
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(port: number): Promise<BrowserHarness> {
    if (!existsSync(CHROMIUM_PATH))
      throw new Error(`no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
    await buildBenchPage();
    const server = await serveStatic(port);
    try {
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      return new BrowserHarness(browser, server, `http://127.0.0.1:${port}`);
    } catch (e) {
      server.close();
      throw e;
    }
  }

  get version(): string {
    return this.browser.version();
  }

  /** Whether pages got cross-origin isolation (fine timers); reported next to the figures. */
  isolated = false;

  async newPeer(name: string): Promise<PagePeer> {
    const context = await this.browser.newContext();
    const page = await context.newPage();
    const peer = new PagePeer(name, page);
    await page.exposeFunction('benchEmit', (event: string, data: unknown) => peer.dispatch(event, data));
    await page.goto(`${this.origin}/index.html`);
    await withTimeout(
      page.waitForFunction(() => window.benchReady === true),
      PAGE_READY_TIMEOUT_MS,
      `${name} bench page`,
    );
    this.isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    return peer;
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
