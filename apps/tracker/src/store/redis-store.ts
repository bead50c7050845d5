// Shared state for several tracker nodes. Every membership change runs under
// a per-group Redis lock (SET NX PX + compare-and-delete), so a viewId is
// computed once and only grows, also across tracker restarts. Sessions are
// bound with SET NX; every node keeps a liveness key with a TTL and the set
// of sessions it holds, so survivors can fail the sessions of a dead node.

import { randomBytes } from 'node:crypto';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { membership } from '@chorus/protocol';
import type { GroupId, Membership, MembershipStep as Step, PeerId } from '@chorus/protocol';
import type { GroupRecord, SessionRecord, TrackerStore } from './tracker-store.ts';

const PREFIX = 'chorus:';
/** A step is pure and takes microseconds; the TTL only matters if a node dies holding the lock. */
const LOCK_TTL_MS = 5_000;
/** Longer than LOCK_TTL_MS so a lock left by a dead node expires before a waiter gives up. */
const LOCK_WAIT_MS = 8_000;
const LOCK_RETRY_MIN_MS = 2;
const LOCK_RETRY_JITTER_MS = 8;
/** Startup fails with a clear message instead of retrying forever against a wrong URL. */
const CONNECT_TIMEOUT_MS = 5_000;

// One script: a name is never claimed without its group (no half-created group if a node dies).
// ARGV[5] = '1': a proven restore may share a name a newer group holds (it claims it only if free).
const CREATE_GROUP = `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 and ARGV[5] ~= '1' then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SET', KEYS[3], ARGV[4], 'NX')
return 1`;
// A name is freed only by the group holding it.
const RELEASE_NAME = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) else return 0 end`;
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const UNBIND = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local s = cjson.decode(v)
if s.socketId ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[2] .. s.nodeId, s.peerId)
return 1`;

const REPLACE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local s = cjson.decode(v)
if s.socketId ~= ARGV[1] then return 0 end
local n = cjson.decode(ARGV[2])
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SREM', ARGV[3] .. s.nodeId, s.peerId)
redis.call('SADD', ARGV[3] .. n.nodeId, n.peerId)
return 1`;

const k = {
  groups: `${PREFIX}groups`,
  names: `${PREFIX}group-names`,
  membership: (g: GroupId) => `${PREFIX}membership:${g}`,
  lock: (g: GroupId) => `${PREFIX}lock:${g}`,
  session: (p: PeerId) => `${PREFIX}session:${p}`,
  reserved: (p: PeerId) => `${PREFIX}reserved:${p}`,
  nodeSessionsPrefix: `${PREFIX}node-sessions:`,
  nodeSessions: (n: string) => `${PREFIX}node-sessions:${n}`,
  node: (n: string) => `${PREFIX}node:${n}`,
  nodes: `${PREFIX}nodes`,
  reap: (n: string) => `${PREFIX}reap:${n}`,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RedisStore implements TrackerStore {
  constructor(private readonly redis: Redis) {}

  async createGroup(group: GroupRecord, sharedName = false): Promise<boolean> {
    const r = await this.redis.eval(
      CREATE_GROUP,
      3,
      k.names,
      k.groups,
      k.membership(group.groupId),
      group.name.toLowerCase(),
      group.groupId,
      JSON.stringify(group),
      JSON.stringify(membership.emptyMembership()),
      sharedName ? '1' : '0',
    );
    return r === 1;
  }

  async getGroup(groupId: GroupId): Promise<GroupRecord | null> {
    const v = await this.redis.hget(k.groups, groupId);
    return v === null ? null : (JSON.parse(v) as GroupRecord);
  }

  async listGroups(): Promise<readonly GroupRecord[]> {
    const all = await this.redis.hvals(k.groups);
    return all.map((v) => JSON.parse(v) as GroupRecord);
  }

  async getMembership(groupId: GroupId): Promise<Membership> {
    const v = await this.redis.get(k.membership(groupId));
    return v === null ? membership.emptyMembership() : (JSON.parse(v) as Membership);
  }

  async listMemberships(): Promise<ReadonlyMap<GroupId, Membership>> {
    const ids = (await this.redis.hkeys(k.groups)) as GroupId[];
    const out = new Map<GroupId, Membership>();
    if (ids.length === 0) return out;
    const values = await this.redis.mget(ids.map(k.membership));
    ids.forEach((id, i) => {
      const v = values[i];
      out.set(id, v === null || v === undefined ? membership.emptyMembership() : (JSON.parse(v) as Membership));
    });
    return out;
  }

  async updateMembership<T>(groupId: GroupId, step: (m: Membership) => Step<T>): Promise<Step<T>> {
    return this.locked(groupId, async () => {
      const s = step(await this.getMembership(groupId));
      if (s.next !== null) await this.redis.set(k.membership(groupId), JSON.stringify(s.next));
      return s;
    });
  }

  async deleteGroupIfEmpty(groupId: GroupId): Promise<boolean> {
    return this.locked(groupId, async () => {
      const g = await this.getGroup(groupId);
      const m = await this.getMembership(groupId);
      if (g === null || m.members.length > 0 || m.joining.length > 0) return false;
      await this.redis.multi().hdel(k.groups, groupId).del(k.membership(groupId)).exec();
      await this.redis.eval(RELEASE_NAME, 1, k.names, g.name.toLowerCase(), groupId);
      return true;
    });
  }

  /** Runs `f` under the group's lock (SET NX PX + compare-and-delete). */
  private async locked<T>(groupId: GroupId, f: () => Promise<T>): Promise<T> {
    const token = randomBytes(12).toString('base64');
    const deadline = Date.now() + LOCK_WAIT_MS;
    while ((await this.redis.set(k.lock(groupId), token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new Error(`could not lock group ${groupId} within ${LOCK_WAIT_MS} ms`);
      await sleep(LOCK_RETRY_MIN_MS + Math.random() * LOCK_RETRY_JITTER_MS);
    }
    try {
      return await f();
    } finally {
      await this.redis.eval(RELEASE_LOCK, 1, k.lock(groupId), token);
    }
  }

  async reservePeerId(peerId: PeerId, publicKey: string, ttlMs: number): Promise<void> {
    await this.redis.set(k.reserved(peerId), publicKey, 'PX', ttlMs);
  }

  async peerIdReservation(peerId: PeerId): Promise<string | null> {
    return this.redis.get(k.reserved(peerId));
  }

  async bindSession(session: SessionRecord): Promise<boolean> {
    const set = await this.redis.set(k.session(session.peerId), JSON.stringify(session), 'NX');
    if (set !== 'OK') {
      const held = await this.getSession(session.peerId);
      return held !== null && held.socketId === session.socketId;
    }
    await this.redis.sadd(k.nodeSessions(session.nodeId), session.peerId);
    return true;
  }

  async unbindSession(peerId: PeerId, socketId: string): Promise<void> {
    await this.redis.eval(UNBIND, 1, k.session(peerId), socketId, k.nodeSessionsPrefix);
  }

  async getSession(peerId: PeerId): Promise<SessionRecord | null> {
    const v = await this.redis.get(k.session(peerId));
    return v === null ? null : (JSON.parse(v) as SessionRecord);
  }

  async replaceSession(session: SessionRecord, staleSocketId: string): Promise<boolean> {
    const r = await this.redis.eval(
      REPLACE,
      1,
      k.session(session.peerId),
      staleSocketId,
      JSON.stringify(session),
      k.nodeSessionsPrefix,
    );
    return r === 1;
  }

  async touchNode(nodeId: string, ttlMs: number): Promise<void> {
    await this.redis.multi().set(k.node(nodeId), String(Date.now()), 'PX', ttlMs).sadd(k.nodes, nodeId).exec();
  }

  async claimDeadNodes(selfId: string): Promise<readonly string[]> {
    const dead: string[] = [];
    for (const n of await this.redis.smembers(k.nodes)) {
      if (n === selfId || (await this.redis.exists(k.node(n))) === 1) continue;
      // One survivor reaps; the claim expires so a reaper that dies mid-way is retried.
      if ((await this.redis.set(k.reap(n), selfId, 'PX', LOCK_WAIT_MS, 'NX')) === 'OK') dead.push(n);
    }
    return dead;
  }

  async sessionsOfNode(nodeId: string): Promise<readonly SessionRecord[]> {
    const out: SessionRecord[] = [];
    for (const peerId of (await this.redis.smembers(k.nodeSessions(nodeId))) as PeerId[]) {
      const s = await this.getSession(peerId);
      if (s !== null && s.nodeId === nodeId) out.push(s);
    }
    return out;
  }

  async takeSessionsOfNode(nodeId: string): Promise<readonly SessionRecord[]> {
    const out: SessionRecord[] = [];
    for (const peerId of (await this.redis.smembers(k.nodeSessions(nodeId))) as PeerId[]) {
      const s = await this.getSession(peerId);
      // Only a binding this call removed is the dead node's: between the read and the unbind the
      // peer may have reconnected and re-bound elsewhere (replaceSession), and failing it then would
      // remove a live session from the groups it just re-joined.
      if (
        s !== null &&
        s.nodeId === nodeId &&
        (await this.redis.eval(UNBIND, 1, k.session(peerId), s.socketId, k.nodeSessionsPrefix)) === 1
      ) {
        out.push(s);
      }
    }
    await this.redis.del(k.nodeSessions(nodeId));
    return out;
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.redis.multi().srem(k.nodes, nodeId).del(k.node(nodeId)).exec();
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

export interface RedisConnection {
  readonly store: RedisStore;
  readonly adapter: ReturnType<typeof createAdapter>;
  close(): Promise<void>;
}

export async function connectRedis(url: string, log: Logger): Promise<RedisConnection> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  redis.on('error', (e: Error) => log.error({ err: e.message }, 'redis error'));
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`REDIS_URL: cannot reach Redis at ${url} within ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    ).unref(),
  );
  try {
    await Promise.race([redis.connect(), timeout]);
  } catch (e) {
    redis.disconnect();
    throw e instanceof Error && e.message.startsWith('REDIS_URL')
      ? e
      : new Error(`REDIS_URL: cannot connect to ${url}: ${(e as Error).message}`);
  }
  const pub = redis.duplicate();
  const sub = redis.duplicate();
  pub.on('error', (e: Error) => log.error({ err: e.message }, 'redis pub error'));
  sub.on('error', (e: Error) => log.error({ err: e.message }, 'redis sub error'));
  return {
    store: new RedisStore(redis),
    adapter: createAdapter(pub, sub),
    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
