import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloSigningText } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { call, connectClient, connected, makeKey, newPeerId, rawSocket, stats, startTestTracker } from './helpers.ts';

let tracker: RunningTracker;
beforeAll(async () => {
  tracker = await startTestTracker({
    iceServers: [{ urls: 'stun:stun.example.org' }, { urls: ['turn:turn.example.org:3478'] }],
    turnSecret: 's3cret',
  });
});
afterAll(() => tracker.close());

describe('identity challenge', () => {
  it('binds peerId to name and key and hands out config, ICE servers and the directory', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    expect(a.hello.peerId).toBe(a.peerId);
    expect(a.hello.heartbeatIntervalMs).toBe(200);
    expect(a.hello.heartbeatTimeoutMs).toBe(3000);
    expect(a.hello.linkGraceMs).toBe(1500);
    expect(a.hello.iceTransportPolicy).toBe('all');
    expect(Array.isArray(a.hello.directory)).toBe(true);
    expect(a.hello.iceServers[0]).toEqual({ urls: 'stun:stun.example.org' });
    const turn = a.hello.iceServers[1]!;
    const [expiry, pid] = (turn.username ?? '').split(':');
    expect(pid).toBe(a.peerId);
    expect(Number(expiry)).toBeGreaterThan(Date.now() / 1000);
    const { createHmac } = await import('node:crypto');
    expect(turn.credential).toBe(
      createHmac('sha1', 's3cret')
        .update(turn.username ?? '')
        .digest('base64'),
    );
    a.close();
  });

  it("ice:servers mints fresh TURN credentials for the session, later than the hello's; other entries as they were", async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const first = a.hello.iceServers[1]!;
    await new Promise((r) => setTimeout(r, 1_100)); // the expiry has a resolution of one second
    const r = await call<readonly { urls: unknown; username?: string; credential?: string }[]>(a.socket, 'ice:servers');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value[0]).toEqual({ urls: 'stun:stun.example.org' });
    const fresh = r.value[1]!;
    const [expiry, pid] = (fresh.username ?? '').split(':');
    expect(pid).toBe(a.peerId);
    expect(Number(expiry)).toBeGreaterThan(Number((first.username ?? '').split(':')[0]));
    const { createHmac } = await import('node:crypto');
    expect(fresh.credential).toBe(
      createHmac('sha1', 's3cret')
        .update(fresh.username ?? '')
        .digest('base64'),
    );
    a.close();
  });

  it('refuses every other event before hello with not-authenticated', async () => {
    const s = rawSocket(tracker.url);
    await connected(s);
    for (const [event, payload] of [
      ['directory:list', undefined],
      ['group:create', { name: 'x', ordering: 'fifo' }],
      ['group:join', { groupId: 'g1' }],
      ['signal', { groupId: 'g1', to: 'p1', data: {} }],
      ['heartbeat', undefined],
      ['ice:servers', undefined],
    ] as const) {
      const r = payload === undefined ? await call(s, event) : await call(s, event, payload);
      expect(r).toMatchObject({ ok: false, error: { code: 'not-authenticated' } });
    }
    s.disconnect();
  });

  it('rejects a hello without challenge, with a bad signature, and a replayed nonce', async () => {
    const s = rawSocket(tracker.url);
    await connected(s);
    const key = await makeKey();
    const peerId = newPeerId();
    const noChallenge = await call(s, 'auth:hello', {
      peerId,
      name: 'Mallory',
      publicKey: key.publicKey,
      signature: 'A'.repeat(86) + '==',
    });
    expect(noChallenge).toMatchObject({ ok: false, error: { code: 'bad-state' } });

    const ch1 = await call<{ nonce: string }>(s, 'auth:challenge');
    if (!ch1.ok) throw new Error('no challenge');
    const other = await makeKey(); // signs with a key that is not the claimed one
    const wrong = await call(s, 'auth:hello', {
      peerId,
      name: 'Mallory',
      publicKey: key.publicKey,
      signature: await other.sign(helloSigningText(ch1.value.nonce, peerId, 'Mallory')),
    });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'bad-signature' } });

    // The nonce was consumed by the failed attempt: a correct signature over it no longer works.
    const replay = await call(s, 'auth:hello', {
      peerId,
      name: 'Mallory',
      publicKey: key.publicKey,
      signature: await key.sign(helloSigningText(ch1.value.nonce, peerId, 'Mallory')),
    });
    expect(replay).toMatchObject({ ok: false, error: { code: 'bad-state' } });

    const ch2 = await call<{ nonce: string }>(s, 'auth:challenge');
    if (!ch2.ok) throw new Error('no challenge');
    const good = await call(s, 'auth:hello', {
      peerId,
      name: 'Mallory',
      publicKey: key.publicKey,
      signature: await key.sign(helloSigningText(ch2.value.nonce, peerId, 'Mallory')),
    });
    expect(good.ok).toBe(true);
    const again = await call(s, 'auth:challenge');
    expect(again).toMatchObject({ ok: false, error: { code: 'bad-state' } });
    s.disconnect();
  });

  it('rejects a malformed hello with a code and a sentence', async () => {
    const s = rawSocket(tracker.url);
    await connected(s);
    await call(s, 'auth:challenge');
    const r = await call(s, 'auth:hello', { peerId: 'has space', name: 'A', publicKey: 'x', signature: 'y' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad-type');
      expect(r.error.message.length).toBeGreaterThan(10);
    }
    s.disconnect();
  });

  it('refuses a peerId bound by another live session with a different key', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    await expect(connectClient(tracker.url, 'Eve', a.peerId)).rejects.toThrow(/bad-state: .*in use/);
    expect(a.socket.connected).toBe(true);
    a.close();
  });

  it('lets the same tab (same peerId, same key) reconnect before its old socket was noticed gone', async () => {
    const a = await connectClient(tracker.url, 'Alice');
    const again = await connectClient(tracker.url, 'Alice', a.peerId, a.key);
    expect(again.hello.peerId).toBe(a.peerId);
    await new Promise<void>((resolve) =>
      a.socket.connected ? a.socket.once('disconnect', () => resolve()) : resolve(),
    );
    expect(a.socket.connected).toBe(false);
    const r = await call(again.socket, 'directory:list');
    expect(r.ok).toBe(true);
    again.close();
  });

  it('counts rejected inputs by code', async () => {
    const s = await stats(tracker.url);
    expect(s.badInputs['not-authenticated']).toBeGreaterThanOrEqual(5);
    expect(s.badInputs['bad-signature']).toBeGreaterThanOrEqual(1);
  });
});
