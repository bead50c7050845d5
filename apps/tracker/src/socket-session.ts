// One connected socket: identity challenge, per-session rate limits, one
// parser per event, and an ack (or a `tracker:error` when the client gave no
// ack) for every outcome. Events of one socket run one at a time, in order,
// so a join is settled before the links-ready that follows it.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  err, helloSigningText, ok, parseCreateGroup, parseDirectoryQuery, parseRestoreGroup, parseGroupRef, parseHello, parseJoinGroup, parseLinkReport,
  parseMetricsReport, parseSignal,
} from '@chorus/protocol';
import type {
  ClientToServerEvents, HelloReply, InterServerEvents, MemberInfo, PeerId, Result, ServerToClientEvents,
} from '@chorus/protocol';
import type { TrackerConfig } from './config.ts';
import { iceServersFor } from './ice-servers.ts';
import type { PasswordGate } from './password-gate.ts';
import type { TrackerStore } from './store/tracker-store.ts';
import { TokenBucket } from './token-bucket.ts';
import { verifyEd25519 } from './verify-signature.ts';
import type { TrackerMetrics } from './tracker-metrics.ts';
import { DIRECTORY_ROOM, peerRoom } from './tracker-service.ts';
import type { SocketData, TrackerService } from './tracker-service.ts';

/** A socket that never says hello is dropped: it holds a connection and proves nothing. */
export const AUTH_TIMEOUT_MS = 30_000;
/** Events queued behind a slow one (scrypt, Redis); beyond this a client is flooding. */
export const MAX_QUEUED_EVENTS = 256;
const NONCE_BYTES = 32;
/**
 * After a session ends its peer id stays its key's for this long: peers that
 * still have it in a view or a joiner notice must not reach another key under
 * it. A tab that comes back later than this simply picks a new id.
 */
export const PEER_ID_RESERVATION_MS = 60 * 60 * 1000;

export type ChorusSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface LocalSession {
  readonly socket: ChorusSocket;
  readonly info: MemberInfo;
  lastHeartbeat: number;
  /** Declared failed for missed heartbeats; cleared by the next heartbeat. */
  failed: boolean;
}

export interface SessionDeps {
  readonly config: TrackerConfig;
  readonly nodeId: string;
  readonly service: TrackerService;
  readonly store: TrackerStore;
  readonly metrics: TrackerMetrics;
  readonly log: Logger;
  /** Authenticated sessions on this node. */
  readonly local: Map<PeerId, LocalSession>;
  /** Cleanup of a session that just disconnected; a reconnect with the same peer id waits for it. */
  readonly cleanups: Map<PeerId, Promise<void>>;
  readonly now: () => number;
  /** Closes a socket wherever it is (another node, through the adapter). */
  readonly disconnectSocket: (socketId: string) => void;
  /** Whether a socket with this id is in the peer's room on any live node. */
  readonly socketExists: (peerId: PeerId, socketId: string) => Promise<boolean>;
  /** Password checks per address and for the whole node (the per-session bucket is here). */
  readonly passwordGate: PasswordGate;
  /** Nodes whose stale sessions a takeover already swept (sweepStaleSessions runs once per node). */
  readonly sweptNodes?: Set<string>;
}

type Handler = (payload: unknown, session: MemberInfo | undefined) => Promise<Result<unknown>>;

const KNOWN_EVENTS = new Set<string>([
  'auth:challenge', 'auth:hello', 'directory:list', 'ice:servers', 'group:create', 'group:restore', 'group:join', 'group:links-ready',
  'group:leave', 'group:members', 'group:view', 'signal', 'link:report', 'metrics:report', 'heartbeat',
]);
/** Events whose ack is optional in the contract: peers send them without one. */
const FIRE_AND_FORGET = new Set<string>(['signal', 'link:report', 'metrics:report', 'heartbeat']);
/**
 * A candidate or report for someone who just left is normal after any view
 * change: counted, but not pushed back as a `tracker:error` the UI would show.
 */
const BENIGN_RACES = new Set<string>(['not-member', 'not-found']);
/**
 * Refused and counted, not pushed either: a second down report nobody
 * corroborates (PROTOCOL.md §2 Links) is something a peer's mesh cannot act on.
 */
const quietRefusal = (event: string, code: string): boolean =>
  FIRE_AND_FORGET.has(event) && (BENIGN_RACES.has(code) || (event === 'link:report' && code === 'rate-limited'));
/** Events whose only argument is the ack. */
const NO_PAYLOAD = new Set<string>(['auth:challenge', 'heartbeat', 'ice:servers']);

export function attachSession(socket: ChorusSocket, d: SessionDeps): void {
  const { service, metrics, log, config } = d;
  const signalBucket = new TokenBucket(config.signalRateLimit, d.now());
  const eventBucket = new TokenBucket(config.eventRateLimit, d.now());
  const passwordBucket = new TokenBucket(config.passwordRateLimit, d.now());
  let queue: Promise<void> = Promise.resolve();
  let queued = 0;
  const authTimer = setTimeout(() => {
    if (socket.data.session === undefined) socket.disconnect(true);
  }, AUTH_TIMEOUT_MS);

  const handlers: Record<string, Handler> = {
    'auth:challenge': async () => {
      if (socket.data.session !== undefined) return err('bad-state', 'This session is already authenticated.');
      const nonce = randomBytes(NONCE_BYTES).toString('base64');
      socket.data.nonce = nonce;
      return ok({ nonce });
    },
    'auth:hello': async (payload) => {
      if (socket.data.session !== undefined) return err('bad-state', 'This session is already authenticated.');
      const nonce = socket.data.nonce;
      if (nonce === undefined) return err('bad-state', 'Ask for a challenge (auth:challenge) before saying hello.');
      const p = parseHello(payload);
      if (!p.ok) return p;
      delete socket.data.nonce; // one attempt per nonce: a signature can never be replayed
      if (!(await verifyEd25519(p.value.publicKey, helloSigningText(nonce, p.value.peerId, p.value.name), p.value.signature))) {
        return err('bad-signature', 'The hello signature does not match the public key; ask for a new challenge.');
      }
      await d.cleanups.get(p.value.peerId);
      const info: MemberInfo = {
        peerId: p.value.peerId, name: p.value.name, publicKey: p.value.publicKey, ...(p.value.role === undefined ? {} : { role: p.value.role }),
      };
      const kept = await d.store.peerIdReservation(info.peerId);
      if (kept !== null && kept !== info.publicKey) {
        return err('bad-state', `The peer id ${info.peerId} belonged to another key a short while ago; pick a new peer id.`);
      }
      const held = await d.store.getSession(info.peerId);
      if (held !== null && held.publicKey !== info.publicKey) {
        return err('bad-state', `The peer id ${info.peerId} is in use by another live session with a different key; pick a new peer id.`);
      }
      // In the peer's room before the binding exists, so a concurrent takeover check finds this socket.
      // Only a holder of the key bound to this peer id gets this far: nobody else can overhear its signals.
      await socket.join([peerRoom(info.peerId), DIRECTORY_ROOM]);
      const bound = await bindOrTakeOver(d, info, socket);
      if (bound !== 'bound') {
        await socket.leave(peerRoom(info.peerId));
        await socket.leave(DIRECTORY_ROOM);
      }
      if (bound === 'other-key') return err('bad-state', `The peer id ${info.peerId} is in use by another live session with a different key; pick a new peer id.`);
      if (bound === 'timeout') return err('bad-state', `Your previous session as ${info.peerId} is still being closed; retry in a moment.`);
      if (!socket.connected) {
        await d.store.unbindSession(info.peerId, socket.id);
        return err('bad-state', 'Disconnected during hello.');
      }
      socket.data.session = info;
      clearTimeout(authTimer);
      d.local.set(info.peerId, { socket, info, lastHeartbeat: d.now(), failed: false });
      metrics.sessions = d.local.size;
      log.info({ peerId: info.peerId, name: info.name }, 'hello');
      const page = await service.directoryPage({ query: '', offset: 0 });
      const reply: HelloReply = {
        peerId: info.peerId,
        iceServers: iceServersFor(config.iceServers, config.turnSecret, info.peerId, d.now(), config.turnCredentialTtlS),
        iceTransportPolicy: config.iceTransportPolicy,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        heartbeatTimeoutMs: config.heartbeatTimeoutMs,
        linkGraceMs: config.linkGraceMs,
        directory: page.groups,
        directoryTotal: page.total,
      };
      return ok(reply);
    },
    'ice:servers': async (_payload, s) =>
      s === undefined ? err('not-authenticated', 'Say hello first.') : ok(iceServersFor(config.iceServers, config.turnSecret, s.peerId, d.now(), config.turnCredentialTtlS)),
    'directory:list': async (payload) => {
      const p = parseDirectoryQuery(payload);
      return p.ok ? ok(await service.directoryPage(p.value)) : p;
    },
    'group:create': async (payload, s) => {
      const p = parseCreateGroup(payload);
      return p.ok && s !== undefined ? service.createGroup(s, p.value, socket.data.address) : p;
    },
    'group:restore': async (payload, s) => {
      const p = parseRestoreGroup(payload);
      return p.ok && s !== undefined ? service.restoreGroup(s, p.value, socket.data.address) : p;
    },
    'group:join': async (payload, s) => {
      const p = parseJoinGroup(payload);
      return p.ok && s !== undefined ? service.join(s, p.value) : p;
    },
    'group:links-ready': async (payload, s) => {
      const p = parseGroupRef(payload);
      return p.ok && s !== undefined ? service.linksReady(s, p.value.groupId) : p;
    },
    'group:leave': async (payload, s) => {
      const p = parseGroupRef(payload);
      return p.ok && s !== undefined ? service.leave(s, p.value.groupId) : p;
    },
    'group:members': async (payload, s) => {
      const p = parseGroupRef(payload);
      return p.ok && s !== undefined ? service.members(s, p.value.groupId) : p;
    },
    'group:view': async (payload, s) => {
      const p = parseGroupRef(payload);
      return p.ok && s !== undefined ? service.view(s, p.value.groupId) : p;
    },
    signal: async (payload, s) => {
      const p = parseSignal(payload);
      if (!p.ok) {
        metrics.dropped(p.error.code === 'forged-sender' ? 'forged-sender' : 'bad-input');
        return p;
      }
      return s !== undefined ? service.signal(s, p.value) : p;
    },
    'link:report': async (payload, s) => {
      const p = parseLinkReport(payload);
      return p.ok && s !== undefined ? service.linkReport(s, p.value) : p;
    },
    'metrics:report': async (payload, s) => {
      const p = parseMetricsReport(payload);
      return p.ok && s !== undefined ? service.metricsReport(s, p.value) : p;
    },
    heartbeat: async () => ok({ now: d.now() }),
  };

  const markAlive = (): void => {
    const s = socket.data.session;
    const local = s !== undefined ? d.local.get(s.peerId) : undefined;
    if (local !== undefined && local.socket === socket) {
      local.lastHeartbeat = d.now();
      local.failed = false;
    }
  };

  const reply = (event: string, ack: ((r: unknown) => void) | undefined, res: Result<unknown>): void => {
    if (!res.ok) {
      metrics.badInput(res.error.code);
      log.debug({ event, peerId: socket.data.session?.peerId, code: res.error.code }, res.error.message);
    }
    if (ack !== undefined) ack(res);
    else if (!res.ok && !quietRefusal(event, res.error.code)) {
      socket.emit('tracker:error', { code: res.error.code, message: `${event}: ${res.error.message}` });
    }
  };

  socket.onAny((event: unknown, ...args: unknown[]) => {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (r: unknown) => void) : undefined;
    const payload = ack !== undefined ? args.slice(0, -1)[0] : args[0];
    const name = typeof event === 'string' ? event : String(event);
    if (!KNOWN_EVENTS.has(name)) {
      metrics.badInput('unknown-event');
      reply(name.slice(0, 40), ack, err('unknown-kind', `Unknown event "${name.slice(0, 40)}".`));
      return;
    }
    const bucket = name === 'signal' ? signalBucket : eventBucket;
    const hashes = (name === 'group:create' || name === 'group:join' || name === 'group:restore') && hasPassword(payload);
    const rationed = (): boolean => passwordBucket.take(d.now()) && d.passwordGate.take(socket.data.address ?? '', d.now());
    if (!bucket.take(d.now()) || (hashes && !rationed()) || queued >= MAX_QUEUED_EVENTS) {
      if (name === 'signal') metrics.dropped('rate-limited');
      reply(name, ack, err('rate-limited', 'Too many events from this session; slow down.'));
      return;
    }
    // Liveness is the heartbeat's arrival, not its turn in the queue: a session
    // whose own password checks are slow is still alive. (The ack stays in
    // order, after everything sent before it.)
    if (name === 'heartbeat') markAlive();
    queued++;
    queue = queue.then(async () => {
      let res: Result<unknown>;
      try {
        const session = socket.data.session;
        if (session === undefined && name !== 'auth:challenge' && name !== 'auth:hello') {
          res = err('not-authenticated', 'Say hello first: auth:challenge, then auth:hello with the signed nonce.');
        } else {
          res = await handlers[name]!(NO_PAYLOAD.has(name) ? undefined : payload, session);
        }
      } catch (e) {
        log.error({ err: e, event: name }, 'handler failed');
        res = err('internal', 'The tracker failed to handle this event; it has been logged.');
      }
      queued--;
      try {
        reply(name, ack, res);
      } catch (e) {
        log.warn({ err: e, event: name }, 'ack failed');
      }
    });
  });

  socket.on('disconnect', (reason) => {
    clearTimeout(authTimer);
    const s = socket.data.session;
    if (s === undefined) return;
    const local = d.local.get(s.peerId);
    if (local?.socket === socket) d.local.delete(s.peerId);
    metrics.sessions = d.local.size;
    log.info({ peerId: s.peerId, reason }, 'disconnected');
    // A disconnect without group:leave is a failure; the binding goes only after
    // the groups know, so a quick reconnect does not race its own removal.
    const cleanup = queue
      .then(() => service.removeEverywhere(s.peerId, 'failed'))
      // Members may still hold this peer id (views in flight, joiner notices):
      // only its own key may take it again for a while.
      .then(() => d.store.reservePeerId(s.peerId, s.publicKey, PEER_ID_RESERVATION_MS))
      .then(() => d.store.unbindSession(s.peerId, socket.id))
      .finally(() => {
        if (d.cleanups.get(s.peerId) === cleanup) d.cleanups.delete(s.peerId);
      });
    d.cleanups.set(s.peerId, cleanup);
    service.track(cleanup);
  });
}

/** How long a reconnecting session waits for its own stale session (on another node) to go away. */
const TAKEOVER_WAIT_MS = 3_000;
const TAKEOVER_POLL_MS = 50;

/**
 * Binds the peer id to this socket. A session proving the same key for the
 * same peer id is the same tab reconnecting before the tracker noticed the old
 * transport died: the stale session is closed (its groups see it fail) and
 * the new one takes over; if the stale session's node is dead, at once. A
 * different key is another session: refused.
 */
async function bindOrTakeOver(d: SessionDeps, info: MemberInfo, socket: ChorusSocket): Promise<'bound' | 'other-key' | 'timeout'> {
  const record = { ...info, nodeId: d.nodeId, socketId: socket.id };
  const deadline = d.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    if (await d.store.bindSession(record)) return 'bound';
    if (d.now() > deadline) return 'timeout';
    const held = await d.store.getSession(info.peerId);
    if (held === null) continue;
    if (held.publicKey !== info.publicKey) return 'other-key';
    if (held.nodeId !== d.nodeId && !(await d.socketExists(info.peerId, held.socketId))) {
      // Its socket is gone from every live node (its tracker died or restarted):
      // do not wait for the reaper. The old session fails out of its groups
      // first, exactly as in a local takeover.
      d.log.info({ peerId: info.peerId, staleNode: held.nodeId }, 'session reconnected after its node died: taking over');
      await d.service.removeEverywhere(info.peerId, 'failed');
      if (await d.store.replaceSession(record, held.socketId)) {
        await sweepStaleSessions(d, held.nodeId, info.peerId);
        return 'bound';
      }
      continue;
    }
    const stale = d.local.get(info.peerId);
    if (stale !== undefined && stale.socket.id === held.socketId) {
      d.log.info({ peerId: info.peerId }, 'session reconnected: closing its stale socket');
      stale.socket.disconnect(true);
    } else {
      d.disconnectSocket(held.socketId);
    }
    const cleanup = d.cleanups.get(info.peerId);
    if (cleanup !== undefined) await cleanup;
    else await new Promise((r) => setTimeout(r, TAKEOVER_POLL_MS));
  }
}

/**
 * The first session back from a node whose sockets are gone (a tracker that
 * restarted on a shared store) fails every other session of that node whose
 * socket exists nowhere, before its own hello is answered. One at a time, at
 * each member's reconnect, re-joiners would meet members that are about to
 * be failed, and a group whose every member re-joins as a joiner loses the
 * counts only their stores hold; all at once, the group empties and the
 * first member back founds it from its store, as after an in-memory
 * restart. The groups learn first and the binding goes after, so a member
 * reconnecting meanwhile does not race its own removal.
 */
async function sweepStaleSessions(d: SessionDeps, node: string, self: PeerId): Promise<void> {
  if (d.sweptNodes?.has(node) === true) return;
  d.sweptNodes?.add(node);
  try {
    for (const s of await d.store.sessionsOfNode(node)) {
      if (s.peerId === self || (await d.socketExists(s.peerId, s.socketId))) continue;
      d.log.info({ peerId: s.peerId, staleNode: node }, 'stale session of a node whose sockets are gone: failing it');
      await d.service.removeEverywhere(s.peerId, 'failed');
      await d.store.unbindSession(s.peerId, s.socketId);
    }
  } catch (e) {
    // The reaper fails them later; a sweep that could not finish changes nothing for this session.
    d.log.warn({ err: (e as Error).message, staleNode: node }, 'sweeping stale sessions failed');
  }
}

const hasPassword = (payload: unknown): boolean =>
  typeof payload === 'object' && payload !== null && typeof (payload as { password?: unknown }).password === 'string';
