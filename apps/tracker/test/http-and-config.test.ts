import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv } from '../src/index.ts';
import type { RunningTracker } from '../src/index.ts';
import { call, connectClient, connected, rawSocket, startTestTracker } from './helpers.ts';

const dist = mkdtempSync(join(tmpdir(), 'chorus-dist-'));
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Chorus</title>');
mkdirSync(join(dist, 'assets'));
writeFileSync(join(dist, 'assets', 'app.js'), 'console.log("chorus")');

let tracker: RunningTracker;
beforeAll(async () => {
  tracker = await startTestTracker({ webDist: dist });
});
afterAll(() => tracker.close());

describe('http routes', () => {
  it('answers /healthz, /metrics (Prometheus text) and /api/stats (JSON)', async () => {
    const h = await fetch(`${tracker.url}/healthz`);
    expect(h.status).toBe(200);
    const a = await connectClient(tracker.url);
    const m = await fetch(`${tracker.url}/metrics`);
    expect(m.headers.get('content-type')).toContain('text/plain');
    const text = await m.text();
    for (const name of [
      'chorus_sessions_connected 1',
      'chorus_groups',
      'chorus_group_members',
      'chorus_views_installed_total',
      'chorus_signals_relayed_total',
      'chorus_heartbeat_failures_total',
    ]) {
      expect(text).toContain(name);
    }
    const s = (await (await fetch(`${tracker.url}/api/stats`)).json()) as Record<string, unknown>;
    expect(s).toMatchObject({ sessions: 1, nodeId: tracker.nodeId });
    expect(Array.isArray(s['directory'])).toBe(true);
    a.close();
  });

  it('serves the built web app with an SPA fallback, and 404s missing assets and path escapes', async () => {
    const root = await fetch(`${tracker.url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(root.headers.get('x-frame-options')).toBe('DENY');
    expect(await root.text()).toContain('<title>Chorus</title>');
    const deep = await fetch(`${tracker.url}/groups/lobby`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toContain('text/html');
    const js = await fetch(`${tracker.url}/assets/app.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${tracker.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${tracker.url}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });

  it('closes a socket whose event is over the 64 KiB cap and keeps serving others', async () => {
    const a = await connectClient(tracker.url);
    const closed = new Promise<string>((resolve) => a.socket.once('disconnect', (r) => resolve(r)));
    a.socket.emit('signal', { groupId: 'g', to: 'p', data: 'x'.repeat(70 * 1024) });
    expect(await closed).toBe('transport close');
    const b = await connectClient(tracker.url);
    expect((await call(b.socket, 'directory:list')).ok).toBe(true);
    b.close();
  });

  it('answers unknown events with unknown-kind, and ack-less errors with tracker:error', async () => {
    const a = await connectClient(tracker.url);
    expect(await call(a.socket, 'group:explode', {})).toMatchObject({ ok: false, error: { code: 'unknown-kind' } });
    // Typed emit insists on an ack; a hostile or buggy client sends none.
    (a.socket as unknown as { emit: (e: string, p: unknown) => void }).emit('group:leave', { groupId: 42 });
    const notice = await a.events.next<{ code: string; message: string }>('tracker:error');
    expect(notice.code).toBe('bad-type');
    expect(notice.message).toContain('group:leave');
    a.close();
  });
});

describe('origin allow-list', () => {
  it('with ALLOWED_ORIGINS set, refuses other origins and admits listed ones and Node clients', async () => {
    const t = await startTestTracker({ allowedOrigins: ['https://chat.example.org'] });
    const bad = rawSocket(t.url, { extraHeaders: { origin: 'https://evil.example' } });
    await expect(connected(bad)).rejects.toThrow();
    bad.close();
    const good = rawSocket(t.url, { extraHeaders: { origin: 'https://chat.example.org' } });
    await connected(good);
    good.close();
    const node = rawSocket(t.url);
    await connected(node);
    node.close();
    await t.close();
  });

  it('unset, admits same-origin and refuses cross-origin browsers', async () => {
    const same = rawSocket(tracker.url, { extraHeaders: { origin: tracker.url } });
    await connected(same);
    same.close();
    const cross = rawSocket(tracker.url, { extraHeaders: { origin: 'http://elsewhere.example:5173' } });
    await expect(connected(cross)).rejects.toThrow();
    cross.close();
  });
});

describe('config from env', () => {
  it('has defaults that work on one laptop', () => {
    const c = configFromEnv({});
    expect(c).toMatchObject({
      port: 8080,
      heartbeatIntervalMs: 2000,
      heartbeatTimeoutMs: 8000,
      iceServers: [],
      logLevel: 'info',
    });
    // Worst case: last heartbeat, then the timeout, then one sweep period (timeout/8) until someone notices.
    expect(c.heartbeatTimeoutMs + c.heartbeatTimeoutMs / 8).toBeLessThan(10_000);
  });

  it('names the variable in every startup error', () => {
    const cases: [Record<string, string>, string][] = [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ HEARTBEAT_INTERVAL_MS: '-5' }, 'HEARTBEAT_INTERVAL_MS'],
      [{ HEARTBEAT_INTERVAL_MS: '5000', HEARTBEAT_TIMEOUT_MS: '4000' }, 'HEARTBEAT_TIMEOUT_MS'],
      [{ LINK_GRACE_MS: '1.5' }, 'LINK_GRACE_MS'],
      [{ ICE_SERVERS: '[{urls:' }, 'ICE_SERVERS'],
      [{ ICE_SERVERS: '{"urls":"stun:x"}' }, 'ICE_SERVERS'],
      [{ ICE_SERVERS: '[{"urls":5}]' }, 'ICE_SERVERS'],
      [{ ALLOWED_ORIGINS: 'https://ok.example,not an origin' }, 'ALLOWED_ORIGINS'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
      [{ ICE_TRANSPORT_POLICY: 'relay-only', ICE_SERVERS: '[{"urls":"turn:t.example:3478"}]' }, 'ICE_TRANSPORT_POLICY'],
      [{ ICE_TRANSPORT_POLICY: 'relay', ICE_SERVERS: '[{"urls":"stun:s.example"}]' }, 'ICE_TRANSPORT_POLICY'],
      [{ ICE_TRANSPORT_POLICY: 'relay' }, 'ICE_TRANSPORT_POLICY'],
      [{ TURN_CREDENTIAL_TTL_S: '30' }, 'TURN_CREDENTIAL_TTL_S'],
    ];
    for (const [env, variable] of cases) {
      let caught: unknown;
      try {
        configFromEnv(env);
      } catch (e) {
        caught = e;
      }
      expect(caught, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).variable).toBe(variable);
      expect((caught as ConfigError).message).toMatch(new RegExp(`^${variable}: .{10,}`));
    }
  });

  it('parses ICE servers, origins and TURN secret', () => {
    const c = configFromEnv({
      ICE_SERVERS: '[{"urls":["turn:t.example:3478"]},{"urls":"stun:s.example","username":"u","credential":"c"}]',
      ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173',
      TURN_SECRET: 'k',
    });
    expect(c.iceServers).toEqual([
      { urls: ['turn:t.example:3478'] },
      { urls: 'stun:s.example', username: 'u', credential: 'c' },
    ]);
    expect(c.allowedOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(c.turnSecret).toBe('k');
    expect(c.iceTransportPolicy).toBe('all');
    expect(c.turnCredentialTtlS).toBe(24 * 3600);
    expect(configFromEnv({ TURN_CREDENTIAL_TTL_S: '3600' }).turnCredentialTtlS).toBe(3600);
  });

  it('takes ICE_TRANSPORT_POLICY=relay with a TURN server, and says why not without one', () => {
    const c = configFromEnv({
      ICE_SERVERS: '[{"urls":["stun:s.example","turns:t.example:5349"]}]',
      ICE_TRANSPORT_POLICY: 'relay',
    });
    expect(c.iceTransportPolicy).toBe('relay');
    expect(configFromEnv({ ICE_TRANSPORT_POLICY: 'all' }).iceTransportPolicy).toBe('all');
    expect(() => configFromEnv({ ICE_TRANSPORT_POLICY: 'relay' })).toThrow(
      /relay needs a turn: or turns: server in ICE_SERVERS/,
    );
    expect(() => configFromEnv({ ICE_TRANSPORT_POLICY: 'RELAY' })).toThrow(
      'ICE_TRANSPORT_POLICY: must be one of all, relay, got "RELAY".',
    );
  });
});
