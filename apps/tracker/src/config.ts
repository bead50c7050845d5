// Tracker configuration: the typed shape startTracker() takes, its defaults
// (which work on one laptop) and the env parser used by main.ts. A bad env
// value is a startup error that names the variable; nothing here is read at
// runtime after start.

import { resolve } from 'node:path';
import { ICE_TRANSPORT_POLICIES } from '@chorus/protocol';
import type { IceServer, IceTransportPolicy } from '@chorus/protocol';
import { TURN_CREDENTIAL_TTL_S } from './ice-servers.ts';

/** Heartbeat every 2 s, declare dead after 8 s: a dead peer is out of every group within 10 s (docs/design.md §3). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 8_000;
/** A data channel may flap (ICE restart, Wi-Fi switch) for this long before the younger end is evicted. */
export const DEFAULT_LINK_GRACE_MS = 10_000;
/** A joiner gets this long to open channels to every member; ICE over TURN can take several seconds. */
export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;
/** A socket that never says hello is dropped after this: it holds a connection and proves nothing. */
export const DEFAULT_AUTH_TIMEOUT_MS = 30_000;
/** A tracker node refreshes its liveness key three times per TTL; survivors reap it after the TTL. */
export const DEFAULT_NODE_TTL_MS = 5_000;
export const DEFAULT_PORT = 8080;

// ---- caps against one client filling the tracker (PROTOCOL.md §7) ----
/** The whole directory: 10 000 groups are ~2 MB of records, still a cheap scan per hello. */
export const DEFAULT_MAX_GROUPS = 10_000;
/** Groups one key created that still exist: a person runs a handful; a script hits this at once. */
export const DEFAULT_MAX_GROUPS_PER_KEY = 20;
/**
 * Direct messages one key opened that still exist: more people than anyone writes to in a day (empty DMs expire like
 * groups).
 */
export const DEFAULT_MAX_DMS_PER_KEY = 100;
/** Direct messages opened from one network address: an office of people writing to each other. */
export const DEFAULT_MAX_DMS_PER_ADDRESS = 1_000;
/** Groups created from one network address: a school or office behind one NAT, not a botnet of one. */
export const DEFAULT_MAX_GROUPS_PER_ADDRESS = 100;
/** Members plus joiners of one group: a view must fit the wire's MAX_VIEW_MEMBERS (256) and a full mesh. */
export const DEFAULT_MAX_MEMBERS_PER_GROUP = 256;
/**
 * Open sockets from one network address: a household with a few browsers of
 * many tabs each. Behind a reverse proxy every client has the proxy's
 * address: raise this there (the tracker does not trust X-Forwarded-For).
 */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 64;
/**
 * A group with nobody in it and nobody joining is removed after this long:
 * a weekly group survives, a flood of empty groups does not stay forever.
 * A member that still holds the charter can bring it back (group:restore).
 */
export const DEFAULT_EMPTY_GROUP_TTL_MS = 24 * 60 * 60 * 1000;

export interface RateLimit {
  /** Tokens a session may spend at once. */
  readonly burst: number;
  readonly perSecond: number;
}

export interface TrackerConfig {
  readonly port: number;
  readonly host?: string;
  readonly redisUrl?: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly linkGraceMs: number;
  readonly joinTimeoutMs: number;
  /** How long a socket may stay connected without a hello. */
  readonly authTimeoutMs: number;
  readonly nodeTtlMs: number;
  readonly iceServers: readonly IceServer[];
  readonly turnSecret?: string;
  /** How long minted TURN credentials stay valid (coturn refuses them after). */
  readonly turnCredentialTtlS: number;
  /** Handed to peers at hello; `relay` makes every data channel go through a TURN server in `iceServers`. */
  readonly iceTransportPolicy: IceTransportPolicy;
  /** Unset: same-origin and no-origin (Node) clients only. */
  readonly allowedOrigins?: readonly string[];
  readonly logLevel: string;
  /** Built web app to serve; missing directory = no static hosting. */
  readonly webDist?: string;
  /** Signaling relay per session: a joiner to 30 members sends ~30 offers and ~300 candidates at once. */
  readonly signalRateLimit: RateLimit;
  /** Every other event per session: heartbeats, joins, reports. */
  readonly eventRateLimit: RateLimit;
  /** Creates, joins and restores that carry a password cost one scrypt (~0.2 s of a core) each. */
  readonly passwordRateLimit: RateLimit;
  /** Password checks from one network address, all its sessions together. */
  readonly passwordRateLimitPerAddress: RateLimit;
  /** Password checks on this node, everyone together: bounds the CPU scrypt may take. */
  readonly passwordRateLimitGlobal: RateLimit;
  readonly maxGroups: number;
  readonly maxGroupsPerKey: number;
  /** Direct messages (counted apart from groups, and in `maxGroups`). */
  readonly maxDmsPerKey: number;
  readonly maxDmsPerAddress: number;
  readonly maxGroupsPerAddress: number;
  readonly maxMembersPerGroup: number;
  readonly maxConnectionsPerAddress: number;
  readonly emptyGroupTtlMs: number;
}

export const DEFAULT_SIGNAL_RATE_LIMIT: RateLimit = { burst: 500, perSecond: 200 };
export const DEFAULT_EVENT_RATE_LIMIT: RateLimit = { burst: 100, perSecond: 30 };
/** A person types a password a few times a minute at most; a script should not buy our CPU. */
export const DEFAULT_PASSWORD_RATE_LIMIT: RateLimit = { burst: 5, perSecond: 1 };
/** A classroom behind one NAT joining a locked group at once; a guesser with many sockets gets 2 a second. */
export const DEFAULT_PASSWORD_RATE_LIMIT_PER_ADDRESS: RateLimit = { burst: 30, perSecond: 2 };
/** One scrypt is ~0.2 s of a core: 4 a second keeps the node's password work under one core. */
export const DEFAULT_PASSWORD_RATE_LIMIT_GLOBAL: RateLimit = { burst: 20, perSecond: 4 };

export const DEFAULT_WEB_DIST = resolve(import.meta.dirname, '../../web/dist');

export const defaultConfig = (): TrackerConfig => ({
  port: DEFAULT_PORT,
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
  heartbeatTimeoutMs: DEFAULT_HEARTBEAT_TIMEOUT_MS,
  linkGraceMs: DEFAULT_LINK_GRACE_MS,
  joinTimeoutMs: DEFAULT_JOIN_TIMEOUT_MS,
  authTimeoutMs: DEFAULT_AUTH_TIMEOUT_MS,
  nodeTtlMs: DEFAULT_NODE_TTL_MS,
  iceServers: [],
  iceTransportPolicy: 'all',
  turnCredentialTtlS: TURN_CREDENTIAL_TTL_S,
  logLevel: 'info',
  webDist: DEFAULT_WEB_DIST,
  signalRateLimit: DEFAULT_SIGNAL_RATE_LIMIT,
  eventRateLimit: DEFAULT_EVENT_RATE_LIMIT,
  passwordRateLimit: DEFAULT_PASSWORD_RATE_LIMIT,
  passwordRateLimitPerAddress: DEFAULT_PASSWORD_RATE_LIMIT_PER_ADDRESS,
  passwordRateLimitGlobal: DEFAULT_PASSWORD_RATE_LIMIT_GLOBAL,
  maxGroups: DEFAULT_MAX_GROUPS,
  maxGroupsPerKey: DEFAULT_MAX_GROUPS_PER_KEY,
  maxDmsPerKey: DEFAULT_MAX_DMS_PER_KEY,
  maxDmsPerAddress: DEFAULT_MAX_DMS_PER_ADDRESS,
  maxGroupsPerAddress: DEFAULT_MAX_GROUPS_PER_ADDRESS,
  maxMembersPerGroup: DEFAULT_MAX_MEMBERS_PER_GROUP,
  maxConnectionsPerAddress: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  emptyGroupTtlMs: DEFAULT_EMPTY_GROUP_TTL_MS,
});

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected a whole number, got "${raw}".`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}.`);
  return n;
}

export function parseIceServers(raw: string): readonly IceServer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(
      'ICE_SERVERS',
      `is not valid JSON (${(e as Error).message}). Example: [{"urls":"stun:stun.example.org:3478"}]`,
    );
  }
  if (!Array.isArray(parsed))
    throw new ConfigError('ICE_SERVERS', 'must be a JSON array of {urls, username?, credential?}.');
  return parsed.map((s: unknown, i): IceServer => {
    if (s === null || typeof s !== 'object') throw new ConfigError('ICE_SERVERS', `entry ${i} must be an object.`);
    const o = s as Record<string, unknown>;
    const urls = o['urls'];
    const okUrls =
      typeof urls === 'string' || (Array.isArray(urls) && urls.length > 0 && urls.every((u) => typeof u === 'string'));
    if (!okUrls) throw new ConfigError('ICE_SERVERS', `entry ${i} needs "urls": a string or an array of strings.`);
    for (const k of ['username', 'credential'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'string')
        throw new ConfigError('ICE_SERVERS', `entry ${i}: "${k}" must be a string.`);
    }
    return {
      urls: urls as string | string[],
      ...(typeof o['username'] === 'string' ? { username: o['username'] } : {}),
      ...(typeof o['credential'] === 'string' ? { credential: o['credential'] } : {}),
    };
  });
}

const isTurnUrl = (u: string): boolean => u.startsWith('turn:') || u.startsWith('turns:');

/** `ICE_TRANSPORT_POLICY`: `relay` only makes sense with a TURN server to relay through. */
export function parseIceTransportPolicy(raw: string | undefined, iceServers: readonly IceServer[]): IceTransportPolicy {
  if (raw === undefined || raw.trim() === '') return 'all';
  const policy = raw.trim();
  if (!(ICE_TRANSPORT_POLICIES as readonly string[]).includes(policy)) {
    throw new ConfigError('ICE_TRANSPORT_POLICY', `must be one of ${ICE_TRANSPORT_POLICIES.join(', ')}, got "${raw}".`);
  }
  if (policy === 'relay' && !iceServers.some((s) => (typeof s.urls === 'string' ? [s.urls] : s.urls).some(isTurnUrl))) {
    throw new ConfigError(
      'ICE_TRANSPORT_POLICY',
      'relay needs a turn: or turns: server in ICE_SERVERS, e.g. [{"urls":"turn:turn.example.org:3478"}] with TURN_SECRET.',
    );
  }
  return policy as IceTransportPolicy;
}

/** Reads the process environment; throws ConfigError naming the first bad variable. */
export function configFromEnv(env: NodeJS.ProcessEnv): TrackerConfig {
  const d = defaultConfig();
  const heartbeatIntervalMs = int(env, 'HEARTBEAT_INTERVAL_MS', d.heartbeatIntervalMs, 10, 600_000);
  const heartbeatTimeoutMs = int(env, 'HEARTBEAT_TIMEOUT_MS', d.heartbeatTimeoutMs, 20, 3_600_000);
  if (heartbeatTimeoutMs <= heartbeatIntervalMs) {
    throw new ConfigError(
      'HEARTBEAT_TIMEOUT_MS',
      `must be larger than HEARTBEAT_INTERVAL_MS (${heartbeatIntervalMs}), got ${heartbeatTimeoutMs}.`,
    );
  }
  const logLevel = env['LOG_LEVEL'] === undefined || env['LOG_LEVEL'] === '' ? d.logLevel : env['LOG_LEVEL'];
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}".`);
  const redisUrl = env['REDIS_URL'];
  if (redisUrl !== undefined && redisUrl !== '' && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', `must start with redis:// or rediss://, got "${redisUrl}".`);
  }
  const origins = env['ALLOWED_ORIGINS'];
  const allowedOrigins =
    origins === undefined || origins.trim() === ''
      ? undefined
      : origins
          .split(',')
          .map((o) => o.trim())
          .filter((o) => o !== '');
  for (const o of allowedOrigins ?? []) {
    if (!/^https?:\/\/[^/]+$/.test(o))
      throw new ConfigError(
        'ALLOWED_ORIGINS',
        `"${o}" is not an origin like https://chat.example.org (no path, no trailing slash).`,
      );
  }
  const host = env['HOST'];
  const turnSecret = env['TURN_SECRET'];
  const webDist = env['WEB_DIST'];
  const iceServers =
    env['ICE_SERVERS'] === undefined || env['ICE_SERVERS'] === '' ? d.iceServers : parseIceServers(env['ICE_SERVERS']);
  return {
    ...d,
    port: int(env, 'PORT', d.port, 0, 65_535),
    heartbeatIntervalMs,
    heartbeatTimeoutMs,
    linkGraceMs: int(env, 'LINK_GRACE_MS', d.linkGraceMs, 10, 3_600_000),
    joinTimeoutMs: int(env, 'JOIN_TIMEOUT_MS', d.joinTimeoutMs, 10, 3_600_000),
    nodeTtlMs: int(env, 'NODE_TTL_MS', d.nodeTtlMs, 100, 600_000),
    maxGroups: int(env, 'MAX_GROUPS', d.maxGroups, 1, 10_000_000),
    maxConnectionsPerAddress: int(env, 'MAX_CONNECTIONS_PER_ADDRESS', d.maxConnectionsPerAddress, 1, 10_000_000),
    emptyGroupTtlMs: int(env, 'EMPTY_GROUP_TTL_MS', d.emptyGroupTtlMs, 1_000, 365 * 24 * 3_600_000),
    iceServers,
    iceTransportPolicy: parseIceTransportPolicy(env['ICE_TRANSPORT_POLICY'], iceServers),
    turnCredentialTtlS: int(env, 'TURN_CREDENTIAL_TTL_S', d.turnCredentialTtlS, 60, 30 * 24 * 3_600),
    logLevel,
    ...(host !== undefined && host !== '' ? { host } : {}),
    ...(redisUrl !== undefined && redisUrl !== '' ? { redisUrl } : {}),
    ...(turnSecret !== undefined && turnSecret !== '' ? { turnSecret } : {}),
    ...(allowedOrigins !== undefined ? { allowedOrigins } : {}),
    ...(webDist !== undefined && webDist !== '' ? { webDist: resolve(webDist) } : {}),
  };
}
