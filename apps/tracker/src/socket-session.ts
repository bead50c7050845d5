// One connected socket: identity challenge, per-session rate limits, one
// table mapping each client event (the names of ClientToServerEvents) to its
// parser and handler, and an ack (or a `tracker:error` when the client gave
// no ack) for every outcome. Events of one socket run one at a time, in
// order, so a join is settled before the links-ready that follows it.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  err,
  helloSigningText,
  ok,
  parseCreateGroup,
  parseDirectoryQuery,
  parseRestoreGroup,
  parseGroupRef,
  parseHello,
  parseJoinGroup,
  parseAccusation,
  parseLinkReport,
  parseMetricsReport,
  parseOpenDm,
  parseSignal,
} from '@chorus/protocol';
import type {
  ClientToServerEvents,
  HelloReply,
  InterServerEvents,
  MemberInfo,
  PeerId,
  Result,
  ServerToClientEvents,
} from '@chorus/protocol';
import type { TrackerConfig } from './config.ts';
import { iceServersFor } from './ice-servers.ts';
import type { PasswordGate } from './password-gate.ts';
import type { PeerRoutes } from './peer-routes.ts';
import { bindOrTakeOver } from './session-takeover.ts';
import type { TrackerStore } from './store/tracker-store.ts';
import { takeToken } from './token-bucket.ts';
import { verifyEd25519 } from './verify-signature.ts';
import type { TrackerMetrics } from './tracker-metrics.ts';
import { DIRECTORY_ROOM } from './tracker-service.ts';
import type { SocketData, TrackerService } from './tracker-service.ts';

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
  /** The socket each peer id's events go to (this node, and other nodes through the adapter). */
  readonly routes: PeerRoutes;
  /** Cleanup of a session that just disconnected; a reconnect with the same peer id waits for it. */
  readonly cleanups: Map<PeerId, Promise<void>>;
  readonly now: () => number;
  /** Closes a socket wherever it is (another node, through the adapter). */
  readonly disconnectSocket: (socketId: string) => void;
  /** Whether a socket with this id is connected to any live node. */
  readonly socketExists: (socketId: string) => Promise<boolean>;
  /** Password checks per address and for the whole node (the per-session bucket is here). */
  readonly passwordGate: PasswordGate;
  /** Nodes whose stale sessions a takeover already swept (sweepStaleSessions runs once per node). */
  readonly sweptNodes?: Set<string>;
  /** Runs when any socket disconnects (e.g. the per-address count), before its session's cleanup. */
  readonly onDisconnect?: (socket: ChorusSocket) => void;
}

/**
 * What the tracker keeps of one socket besides Socket.IO's own (and the
 * three fields of `socket.data`): one object of fixed shape, no `delete`,
 * the rate limits as six numbers. Once the socket has said hello it is also
 * the session's entry in `local` (no second record). Every event goes through
 * the one table below; the socket's two listeners are functions shared by
 * every socket, which find this state in `states`.
 */
class SocketState implements LocalSession {
  /** Tokens and last refill of the signal, event and password buckets (takeToken slots 0, 2, 4). */
  readonly buckets: number[];
  /** Events of this socket run one at a time, in order. */
  queue: Promise<void> = IDLE;
  queued = 0;
  authTimer: ReturnType<typeof setTimeout> | null;
  /** The identity proven by hello (a placeholder until then: the state is in `local` only after hello). */
  info: MemberInfo = NOBODY;
  lastHeartbeat = 0;
  failed = false;

  constructor(
    readonly socket: ChorusSocket,
    readonly d: SessionDeps,
  ) {
    const { signalRateLimit, eventRateLimit, passwordRateLimit } = d.config;
    const now = d.now();
    this.buckets = [signalRateLimit.burst, now, eventRateLimit.burst, now, passwordRateLimit.burst, now];
    this.authTimer = setTimeout(dropUnauthenticated, d.config.authTimeoutMs, socket);
  }
}

const NOBODY: MemberInfo = { peerId: '' as PeerId, name: '', publicKey: '' };
/** The state of every socket that has not disconnected, found by the shared listeners. */
const states = new WeakMap<ChorusSocket, SocketState>();

const IDLE: Promise<void> = Promise.resolve();
const SIGNAL_BUCKET = 0;
const EVENT_BUCKET = 2;
const PASSWORD_BUCKET = 4;

const dropUnauthenticated = (socket: ChorusSocket): void => {
  if (socket.data.session === undefined) socket.disconnect(true);
};

type EventName = keyof ClientToServerEvents;
type Run = (s: SocketState, value: unknown, session: MemberInfo) => Promise<Result<unknown>> | Result<unknown>;

/** How one client event is read and carried out; the table below has one per name of the event map. */
interface EventSpec {
  /**
   * The parser of the payload; null when `run` takes the raw payload (or there is none: the ack is the only argument).
   */
  readonly parse: ((payload: unknown) => Result<unknown>) | null;
  readonly run: Run;
  /** Allowed before hello (the identity challenge itself); `session` is then a placeholder. */
  readonly beforeHello?: true;
  /** The ack is optional in the contract: peers send it without one. */
  readonly fireAndForget?: true;
  /** May carry a group password: one scrypt, rationed per session, address and node. */
  readonly hashes?: true;
}
type Flags = Omit<EventSpec, 'parse' | 'run'>;

/** An event whose parsed payload `run` takes, typed by its parser. */
const on = <T>(
  parse: (payload: unknown) => Result<T>,
  run: (s: SocketState, value: T, session: MemberInfo) => Promise<Result<unknown>> | Result<unknown>,
  flags: Flags = {},
): EventSpec => ({ parse, run: run as Run, ...flags });
/** An event that parses nothing itself. */
const raw = (run: Run, flags: Flags = {}): EventSpec => ({ parse: null, run, ...flags });

const EVENTS: { readonly [K in EventName]: EventSpec } = {
  'auth:challenge': raw((s) => challenge(s), { beforeHello: true }),
  'auth:hello': raw((s, payload) => hello(s, payload), { beforeHello: true }),
  'ice:servers': raw(({ d }, _v, m) =>
    ok(iceServersFor(d.config.iceServers, d.config.turnSecret, m.peerId, d.now(), d.config.turnCredentialTtlS)),
  ),
  'directory:list': on(parseDirectoryQuery, async ({ d }, q) => ok(await d.service.directoryPage(q))),
  'group:create': on(parseCreateGroup, ({ d, socket }, p, m) => d.service.createGroup(m, p, socket.data.address), {
    hashes: true,
  }),
  'group:restore': on(parseRestoreGroup, ({ d, socket }, p, m) => d.service.restoreGroup(m, p, socket.data.address), {
    hashes: true,
  }),
  'dm:open': on(parseOpenDm, ({ d, socket }, p, m) => d.service.openDm(m, p, socket.data.address)),
  'group:join': on(parseJoinGroup, ({ d }, p, m) => d.service.join(m, p), { hashes: true }),
  'group:links-ready': on(parseGroupRef, ({ d }, p, m) => d.service.linksReady(m, p.groupId)),
  'group:leave': on(parseGroupRef, ({ d }, p, m) => d.service.leave(m, p.groupId)),
  'group:members': on(parseGroupRef, ({ d }, p, m) => d.service.members(m, p.groupId)),
  'group:view': on(parseGroupRef, ({ d }, p, m) => d.service.view(m, p.groupId)),
  signal: on(parseSignal, ({ d }, p, m) => d.service.signal(m, p), { fireAndForget: true }),
  'link:report': on(parseLinkReport, ({ d }, p, m) => d.service.linkReport(m, p), { fireAndForget: true }),
  'group:accuse': on(parseAccusation, ({ d }, p, m) => d.service.accuse(m, p), { fireAndForget: true }),
  'metrics:report': on(parseMetricsReport, ({ d }, p, m) => d.service.metricsReport(m, p), { fireAndForget: true }),
  heartbeat: raw(({ d }) => ok({ now: d.now() }), { fireAndForget: true }),
};

const specOf = (name: string): EventSpec | undefined =>
  Object.hasOwn(EVENTS, name) ? EVENTS[name as EventName] : undefined;

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
  specOf(event)?.fireAndForget === true &&
  (BENIGN_RACES.has(code) || (event === 'link:report' && code === 'rate-limited'));

/**
 * Starts a socket's session. `d` is shared by every socket of the tracker
 * (one object, not one per socket); `onDisconnect`, if given, runs when the
 * socket goes, before the session's own cleanup.
 */
export function attachSession(socket: ChorusSocket, d: SessionDeps): void {
  states.set(socket, new SocketState(socket, d));
  // What `socket.onAny(onAnyEvent)` makes, without its per-socket array:
  // Socket.IO 4 keeps catch-all listeners in `_anyListeners` and only copies
  // it (slice) to call them; a push onto a fresh array reserves 17 slots
  // (152 B of every socket). Every socket shares this frozen one (nobody
  // calls onAny or offAny on a tracker socket).
  (socket as unknown as { _anyListeners: readonly unknown[] })._anyListeners = ANY_LISTENERS;
  socket.on('disconnect', onDisconnect);
}

// Socket.IO calls both with the socket as `this`: no closure per socket.
function onAnyEvent(this: ChorusSocket, event: unknown, ...args: unknown[]): void {
  const s = states.get(this);
  if (s !== undefined) dispatch(s, event, args);
}
const ANY_LISTENERS: readonly unknown[] = Object.freeze([onAnyEvent]);
function onDisconnect(this: ChorusSocket, reason: string): void {
  const s = states.get(this);
  if (s === undefined) return;
  states.delete(this);
  s.d.onDisconnect?.(this);
  disconnected(s, reason);
}

/** Every client event: known name, rate limits and password rationing, then its turn in the socket's queue. */
function dispatch(s: SocketState, event: unknown, args: unknown[]): void {
  const { d, socket } = s;
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as (r: unknown) => void) : undefined;
  const payload = ack !== undefined ? args.slice(0, -1)[0] : args[0];
  const name = typeof event === 'string' ? event : String(event);
  const spec = specOf(name);
  if (spec === undefined) {
    d.metrics.badInput('unknown-event');
    reply(s, name.slice(0, 40), ack, err('unknown-kind', `Unknown event "${name.slice(0, 40)}".`));
    return;
  }
  const now = d.now();
  const limits = d.config;
  const allowed =
    name === 'signal'
      ? takeToken(s.buckets, SIGNAL_BUCKET, limits.signalRateLimit, now)
      : takeToken(s.buckets, EVENT_BUCKET, limits.eventRateLimit, now);
  const rationed = (): boolean =>
    takeToken(s.buckets, PASSWORD_BUCKET, limits.passwordRateLimit, now) &&
    d.passwordGate.take(socket.data.address ?? '', now);
  if (!allowed || (spec.hashes === true && hasPassword(payload) && !rationed()) || s.queued >= MAX_QUEUED_EVENTS) {
    if (name === 'signal') d.metrics.dropped('rate-limited');
    reply(s, name, ack, err('rate-limited', 'Too many events from this session; slow down.'));
    return;
  }
  // Liveness is the heartbeat's arrival, not its turn in the queue: a session
  // whose own password checks are slow is still alive. (The ack stays in
  // order, after everything sent before it.)
  if (name === 'heartbeat') markAlive(s);
  s.queued++;
  const queue = s.queue.then(() => carryOut(s, name, spec, payload, ack));
  s.queue = queue;
  // An idle socket holds the shared resolved promise, not the last one of its chain.
  void queue.then(() => {
    if (s.queue === queue) s.queue = IDLE;
  });
}

async function carryOut(
  s: SocketState,
  name: string,
  spec: EventSpec,
  payload: unknown,
  ack: ((r: unknown) => void) | undefined,
): Promise<void> {
  let res: Result<unknown>;
  try {
    const session = s.socket.data.session;
    if (session === undefined && spec.beforeHello !== true) {
      res = err('not-authenticated', 'Say hello first: auth:challenge, then auth:hello with the signed nonce.');
    } else if (spec.parse === null) {
      res = await spec.run(s, payload, session as MemberInfo);
    } else {
      const p = spec.parse(payload);
      if (!p.ok && name === 'signal')
        s.d.metrics.dropped(p.error.code === 'forged-sender' ? 'forged-sender' : 'bad-input');
      res = p.ok ? await spec.run(s, p.value, session as MemberInfo) : p;
    }
  } catch (e) {
    s.d.log.error({ err: e, event: name }, 'handler failed');
    res = err('internal', 'The tracker failed to handle this event; it has been logged.');
  }
  s.queued--;
  try {
    reply(s, name, ack, res);
  } catch (e) {
    s.d.log.warn({ err: e, event: name }, 'ack failed');
  }
}

function reply(s: SocketState, event: string, ack: ((r: unknown) => void) | undefined, res: Result<unknown>): void {
  if (!res.ok) {
    s.d.metrics.badInput(res.error.code);
    s.d.log.debug({ event, peerId: s.socket.data.session?.peerId, code: res.error.code }, res.error.message);
  }
  if (ack !== undefined) ack(res);
  else if (!res.ok && !quietRefusal(event, res.error.code)) {
    s.socket.emit('tracker:error', { code: res.error.code, message: `${event}: ${res.error.message}` });
  }
}

function markAlive(s: SocketState): void {
  // Only the session bound in `local` counts; before hello the fields are unread.
  s.lastHeartbeat = s.d.now();
  s.failed = false;
}

function challenge({ socket }: SocketState): Result<unknown> {
  if (socket.data.session !== undefined) return err('bad-state', 'This session is already authenticated.');
  const nonce = randomBytes(NONCE_BYTES).toString('base64');
  socket.data.nonce = nonce;
  return ok({ nonce });
}

async function hello(s: SocketState, payload: unknown): Promise<Result<unknown>> {
  const { socket, d } = s;
  if (socket.data.session !== undefined) return err('bad-state', 'This session is already authenticated.');
  const nonce = socket.data.nonce;
  if (nonce === undefined) return err('bad-state', 'Ask for a challenge (auth:challenge) before saying hello.');
  const p = parseHello(payload);
  if (!p.ok) return p;
  socket.data.nonce = undefined; // one attempt per nonce: a signature can never be replayed
  if (
    !(await verifyEd25519(p.value.publicKey, helloSigningText(nonce, p.value.peerId, p.value.name), p.value.signature))
  ) {
    return err('bad-signature', 'The hello signature does not match the public key; ask for a new challenge.');
  }
  await d.cleanups.get(p.value.peerId);
  const info: MemberInfo = {
    peerId: p.value.peerId,
    name: p.value.name,
    publicKey: p.value.publicKey,
    ...(p.value.role === undefined ? {} : { role: p.value.role }),
  };
  const kept = await d.store.peerIdReservation(info.peerId);
  if (kept !== null && kept !== info.publicKey) {
    return err(
      'bad-state',
      `The peer id ${info.peerId} belonged to another key a short while ago; pick a new peer id.`,
    );
  }
  const held = await d.store.getSession(info.peerId);
  if (held !== null && held.publicKey !== info.publicKey) {
    return err(
      'bad-state',
      `The peer id ${info.peerId} is in use by another live session with a different key; pick a new peer id.`,
    );
  }
  // Takes the peer id's events before the binding exists, so nothing sent to it during a takeover is lost.
  // Only a holder of the key bound to this peer id gets this far: nobody else can overhear its signals.
  const before = d.routes.bind(info.peerId, socket);
  const bound = await bindOrTakeOver(d, info, socket);
  if (bound !== 'bound') d.routes.unbind(info.peerId, socket, before);
  if (bound === 'other-key')
    return err(
      'bad-state',
      `The peer id ${info.peerId} is in use by another live session with a different key; pick a new peer id.`,
    );
  if (bound === 'timeout')
    return err('bad-state', `Your previous session as ${info.peerId} is still being closed; retry in a moment.`);
  if (!socket.connected) {
    d.routes.unbind(info.peerId, socket);
    await d.store.unbindSession(info.peerId, socket.id);
    return err('bad-state', 'Disconnected during hello.');
  }
  await socket.join(DIRECTORY_ROOM);
  socket.data.session = info;
  if (s.authTimer !== null) clearTimeout(s.authTimer);
  s.authTimer = null;
  s.info = info;
  s.lastHeartbeat = d.now();
  s.failed = false;
  d.local.set(info.peerId, s);
  d.metrics.sessions = d.local.size;
  d.log.info({ peerId: info.peerId, name: info.name }, 'hello');
  const [page, dms] = await Promise.all([
    d.service.directoryPage({ query: '', offset: 0 }),
    d.service.dmsOf(info.publicKey),
  ]);
  const { config } = d;
  const reply: HelloReply = {
    peerId: info.peerId,
    iceServers: iceServersFor(config.iceServers, config.turnSecret, info.peerId, d.now(), config.turnCredentialTtlS),
    iceTransportPolicy: config.iceTransportPolicy,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    linkGraceMs: config.linkGraceMs,
    directory: page.groups,
    directoryTotal: page.total,
    dms,
  };
  return ok(reply);
}

function disconnected(s: SocketState, reason: string): void {
  const { d, socket } = s;
  if (s.authTimer !== null) clearTimeout(s.authTimer);
  s.authTimer = null;
  const session = socket.data.session;
  if (session === undefined) return;
  d.routes.unbind(session.peerId, socket);
  if (d.local.get(session.peerId) === s) d.local.delete(session.peerId);
  d.metrics.sessions = d.local.size;
  d.log.info({ peerId: session.peerId, reason }, 'disconnected');
  // A disconnect without group:leave is a failure; the binding goes only after
  // the groups know, so a quick reconnect does not race its own removal.
  const cleanup = s.queue
    .then(() => d.service.removeEverywhere(session.peerId, 'failed'))
    // Members may still hold this peer id (views in flight, joiner notices):
    // only its own key may take it again for a while.
    .then(() => d.store.reservePeerId(session.peerId, session.publicKey, PEER_ID_RESERVATION_MS))
    .then(() => d.store.unbindSession(session.peerId, socket.id))
    .finally(() => {
      if (d.cleanups.get(session.peerId) === cleanup) d.cleanups.delete(session.peerId);
    });
  d.cleanups.set(session.peerId, cleanup);
  d.service.track(cleanup);
}

const hasPassword = (payload: unknown): boolean =>
  typeof payload === 'object' && payload !== null && typeof (payload as { password?: unknown }).password === 'string';
