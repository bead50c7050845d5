// 10 000+ generated malformed events against a live tracker: nothing crashes,
// nothing rejects unhandled, every acked event gets a Result, and a fresh
// client is served normally afterwards.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupSummary, JoinReply, Result } from '@chorus/protocol';
import type { RunningTracker } from '../src/index.ts';
import { call, callWithin, connectClient, connected, rawSocket, stats, startTestTracker, unwrap } from './helpers.ts';
import type { ClientSocket } from './helpers.ts';

const EVENTS_PER_CLIENT = 1_100;
const AUTHENTICATED_CLIENTS = 8;
const ANONYMOUS_CLIENTS = 2;
const SEED = 20261121;
const FLOOD_ACK_TIMEOUT_MS = 60_000;

const KNOWN = [
  'auth:challenge',
  'auth:hello',
  'directory:list',
  'group:create',
  'group:join',
  'group:links-ready',
  'group:leave',
  'group:members',
  'group:view',
  'signal',
  'link:report',
  'group:accuse',
  'metrics:report',
  'heartbeat',
];
// socket.io-client refuses to emit these itself; they never reach a server from a real client.
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

const nearlyValid = fc.record(
  {
    groupId: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant('g'.repeat(65)), fc.constant('gok')),
    to: fc.oneof(fc.string({ maxLength: 70 }), fc.constant({})),
    from: fc.string(),
    peer: fc.string(),
    state: fc.oneof(fc.constant('down'), fc.constant('up'), fc.string()),
    name: fc.oneof(fc.string({ maxLength: 80 }), fc.constant('\u202eevil'), fc.constant('  x')),
    ordering: fc.oneof(fc.constant('fifo'), fc.constant('total'), fc.string()),
    password: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()),
    peerId: fc.string(),
    publicKey: fc.string({ maxLength: 50 }),
    signature: fc.string({ maxLength: 90 }),
    data: fc.anything({ maxDepth: 2 }),
    sent: fc.oneof(fc.double(), fc.integer()),
  },
  { requiredKeys: [] },
);

const event = fc.record({
  name: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...KNOWN) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).filter((s) => !RESERVED.has(s)) },
  ),
  args: fc.array(fc.oneof(nearlyValid, fc.anything({ maxDepth: 3, maxKeys: 5 }), fc.uint8Array({ maxLength: 64 })), {
    maxLength: 3,
  }),
  withAck: fc.boolean(),
});

let tracker: RunningTracker;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  tracker = await startTestTracker({
    // Server and clients share this process's event loop; the flood may stall heartbeats for a while.
    heartbeatTimeoutMs: 60_000,
    // Rate limits would answer most of this flood with rate-limited before the parsers see it.
    eventRateLimit: { burst: 1e9, perSecond: 1e9 },
    signalRateLimit: { burst: 1e9, perSecond: 1e9 },
  });
});
afterAll(async () => {
  await tracker.close();
  process.off('unhandledRejection', onUnhandled);
});

async function flood(socket: ClientSocket, seed: number): Promise<{ acked: number; malformedAcks: number }> {
  const samples = fc.sample(event, { seed, numRuns: EVENTS_PER_CLIENT });
  const acks: Promise<Result<unknown>>[] = [];
  for (const e of samples) {
    // A whole flood queues behind one socket, on a machine other test suites share: wait long, not forever.
    if (e.withAck) acks.push(callWithin(FLOOD_ACK_TIMEOUT_MS, socket, e.name, ...e.args));
    else (socket as unknown as { emit: (...a: unknown[]) => void }).emit(e.name, ...e.args);
  }
  const results = await Promise.all(acks);
  const malformedAcks = results.filter(
    (r) =>
      typeof r !== 'object' ||
      r === null ||
      typeof r.ok !== 'boolean' ||
      (!r.ok && (typeof r.error.code !== 'string' || r.error.message.length < 5)),
  ).length;
  // Events of one socket are handled in order: this ack comes after all the un-acked ones.
  await callWithin(FLOOD_ACK_TIMEOUT_MS, socket, 'heartbeat');
  return { acked: results.length, malformedAcks };
}

describe('malformed event flood', () => {
  it(`survives ${(AUTHENTICATED_CLIENTS + ANONYMOUS_CLIENTS) * EVENTS_PER_CLIENT} generated events and keeps serving`, async () => {
    const owner = await connectClient(tracker.url, 'Owner');
    const g = unwrap(await call<GroupSummary>(owner.socket, 'group:create', { name: 'fuzzed', ordering: 'total' }));
    unwrap(await call(owner.socket, 'group:join', { groupId: g.groupId }));
    const authed = await Promise.all(
      Array.from({ length: AUTHENTICATED_CLIENTS }, (_, i) => connectClient(tracker.url, `F${i}`)),
    );
    const anonymous = await Promise.all(
      Array.from({ length: ANONYMOUS_CLIENTS }, async () => {
        const s = rawSocket(tracker.url);
        await connected(s);
        return s;
      }),
    );
    const sockets = [...authed.map((c) => c.socket), ...anonymous];
    const outcomes = await Promise.all(sockets.map((s, i) => flood(s, SEED + i)));
    const acked = outcomes.reduce((a, o) => a + o.acked, 0);
    expect(outcomes.reduce((a, o) => a + o.malformedAcks, 0)).toBe(0);
    expect(acked).toBeGreaterThan(4_000);
    expect(unhandled).toEqual([]);

    const s = await stats(tracker.url);
    expect(s['badInputsTotal'] as number).toBeGreaterThan(5_000);
    // Every rejection came from a parser or a rule, none from a handler that threw.
    expect(s.badInputs['internal'] ?? 0).toBe(0);
    expect((await fetch(`${tracker.url}/healthz`)).status).toBe(200);

    // A fresh client gets normal service, and the group the flood hit still works.
    const fresh = await connectClient(tracker.url, 'Fresh');
    const joined = unwrap(await call<JoinReply>(fresh.socket, 'group:join', { groupId: g.groupId }));
    expect(joined.view.members.map((m) => m.peerId)).toContain(owner.peerId);
    unwrap(await call(fresh.socket, 'signal', { groupId: g.groupId, to: owner.peerId, data: { type: 'offer' } }));
    await owner.events.next('signal');
    fresh.close();
    owner.close();
    for (const c of authed) c.close();
    for (const a of anonymous) a.close();
  });
});
