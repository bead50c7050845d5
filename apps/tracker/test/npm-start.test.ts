// The way a person runs it: `npm start` (the tracker workspace's start script,
// which root `npm start` calls after building the web app) answers on PORT.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

function start(
  env: Record<string, string>,
  args: string[],
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(args[0]!, args.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': npm exits as soon as its child does, while the tracker's own node process
  // (a grandchild holding the same stdout pipe) may still be writing its last line. 'close' fires
  // once every process holding the pipes is gone and everything written was read.
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function listeningPort(output: () => string, exited: Promise<number | null>): Promise<number> {
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    const m = /"port":(\d+).*"msg":"tracker listening"/.exec(output());
    if (m !== null) return Number(m[1]);
    if (done) throw new Error(`tracker exited before listening:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start', () => {
  it('serves /healthz, /metrics and /api/stats on PORT and stops cleanly on SIGTERM', async () => {
    const t = start({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }, ['npm', 'run', 'start', '-w', 'apps/tracker']);
    try {
      const port = await listeningPort(t.output, t.exited);
      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('chorus_sessions_connected 0');
      expect(await (await fetch(`${base}/api/stats`)).json()).toMatchObject({ sessions: 0, groups: 0 });
      process.kill(-t.child.pid!, 'SIGTERM');
      await t.exited;
      expect(t.output()).toContain('tracker closed');
    } finally {
      try {
        process.kill(-t.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('refuses to start on a bad env value and names the variable', async () => {
    const t = start({ ICE_SERVERS: '[{"urls":', LOG_LEVEL: 'silent' }, ['npx', 'tsx', 'apps/tracker/src/main.ts']);
    const code = await t.exited;
    expect(code).toBe(2);
    expect(t.output()).toMatch(/bad configuration: ICE_SERVERS: is not valid JSON/);
  });
});
