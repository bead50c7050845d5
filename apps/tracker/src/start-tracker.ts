// Builds one tracker node: HTTP routes, Socket.IO with its caps and Origin
// check, the store (memory, or Redis + the Redis adapter), heartbeat and node
// liveness sweeps, and a close() that drains in-flight work.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Server } from 'socket.io';
import type { GroupSummary, PeerId } from '@chorus/protocol';
import { defaultConfig } from './config.ts';
import type { TrackerConfig } from './config.ts';
import { httpHandler } from './http-routes.ts';
import { PasswordGate } from './password-gate.ts';
import { attachSession } from './socket-session.ts';
import type { LocalSession, SessionDeps } from './socket-session.ts';
import { MemoryStore } from './store/memory-store.ts';
import type { TrackerStore } from './store/tracker-store.ts';
import { TrackerMetrics } from './tracker-metrics.ts';
import { PeerRoutes } from './peer-routes.ts';
import { TrackerService } from './tracker-service.ts';
import type { ChorusServer } from './tracker-service.ts';

/**
 * A session silent for this many heartbeat timeouts is disconnected. At one
 * timeout it is only failed out of its groups (it may be alive and merely
 * slow: it hears `group:removed` and re-joins); at two it holds a socket
 * for nothing.
 */
export const SILENT_DISCONNECT_TIMEOUTS = 2;

const lockedStub = (g: GroupSummary): Omit<GroupSummary, 'name' | 'createdBy'> => ({
  groupId: g.groupId,
  ordering: g.ordering,
  locked: true,
  online: g.online,
  createdAt: g.createdAt,
});

/** docs/design.md §3: payload cap per event. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

export interface RunningTracker {
  readonly url: string;
  readonly port: number;
  readonly nodeId: string;
  close(): Promise<void>;
}

function originAllowed(req: IncomingMessage, allowed: readonly string[] | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // Node clients, curl: no browser to protect
  if (allowed !== undefined) return allowed.includes(origin);
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function startTracker(partial: Partial<TrackerConfig> = {}): Promise<RunningTracker> {
  const config: TrackerConfig = { ...defaultConfig(), ...partial };
  const log = pino({ level: config.logLevel, base: { service: 'chorus-tracker' } });
  const nodeId = `n${randomBytes(6).toString('hex')}`;
  const metrics = new TrackerMetrics();
  const webDist = config.webDist !== undefined && existsSync(config.webDist) ? config.webDist : undefined;
  let ready = false;

  let store: TrackerStore;
  let closeAdapter: () => Promise<void> = async () => {};
  const http = createServer();
  const io: ChorusServer = new Server(http, {
    maxHttpBufferSize: MAX_PAYLOAD_BYTES,
    serveClient: false,
    allowRequest: (req, cb) => cb(null, originAllowed(req, config.allowedOrigins)),
    ...(config.allowedOrigins !== undefined ? { cors: { origin: [...config.allowedOrigins] } } : {}),
  });

  if (config.redisUrl !== undefined) {
    const { connectRedis } = await import('./store/redis-store.ts');
    const r = await connectRedis(config.redisUrl, log);
    store = r.store;
    io.adapter(r.adapter);
    closeAdapter = r.close;
  } else {
    store = new MemoryStore();
  }

  const routes = new PeerRoutes(io, config.redisUrl !== undefined);
  const service = new TrackerService(io, routes, store, config, metrics, log);
  const local = new Map<PeerId, LocalSession>();
  const cleanups = new Map<PeerId, Promise<void>>();
  const now = Date.now;

  http.on(
    'request',
    httpHandler({
      ready: () => ready,
      // directory() refreshes the group and member gauges before they are read.
      metricsText: async () => {
        await service.directory();
        return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
      },
      stats: async () => {
        // /api/stats needs no key: a locked group's name and creator are for those who know its password.
        const directory = (await service.directory()).map((g) => (g.locked ? lockedStub(g) : g));
        return { nodeId, ...metrics.toJSON(), directory };
      },
      webDist,
    }),
  );

  // Every socket is in a room named by its id, on whichever node holds it.
  const disconnectSocket = (socketId: string): void => {
    io.in(socketId).disconnectSockets(true);
  };
  const socketExists = async (socketId: string): Promise<boolean> => {
    try {
      return (await io.in(socketId).fetchSockets()).some((s) => s.id === socketId);
    } catch {
      return true; // a node did not answer in time: assume alive, the caller waits and retries
    }
  };
  const sweptNodes = new Set<string>();
  const passwordGate = new PasswordGate(config.passwordRateLimitPerAddress, config.passwordRateLimitGlobal, now());
  // Open sockets per network address on this node (one script must not hold every fd of the tracker).
  const perAddress = new Map<string, number>();
  // One set of session dependencies for every socket.
  const deps: SessionDeps = {
    config,
    nodeId,
    service,
    store,
    metrics,
    log,
    local,
    routes,
    cleanups,
    now,
    disconnectSocket,
    socketExists,
    sweptNodes,
    passwordGate,
    onDisconnect: (socket) => {
      const address = socket.data.address ?? '';
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    },
  };
  io.on('connection', (socket) => {
    const address = socket.handshake.address;
    const open = perAddress.get(address) ?? 0;
    if (open >= config.maxConnectionsPerAddress) {
      metrics.badInput('too-many');
      log.warn({ address, open }, 'too many connections from one address: refused');
      socket.emit('tracker:error', {
        code: 'too-many',
        message: `At most ${config.maxConnectionsPerAddress} connections per network address; close some tabs.`,
      });
      socket.disconnect(true);
      return;
    }
    perAddress.set(address, open + 1);
    socket.data = { nonce: undefined, session: undefined, address };
    attachSession(socket, deps);
  });

  // Heartbeat sweep: eight checks per timeout, so with the defaults (8 s) a dead peer is out within 9 s (< 10 s).
  const sweepMs = Math.max(10, Math.min(config.heartbeatIntervalMs, Math.floor(config.heartbeatTimeoutMs / 8)));
  const heartbeatSweep = setInterval(() => {
    const t = now();
    for (const s of local.values()) {
      if (t - s.lastHeartbeat > SILENT_DISCONNECT_TIMEOUTS * config.heartbeatTimeoutMs) {
        // Failed out of its groups a timeout ago and still silent: a hung tab or a
        // script holding a socket. Closing it frees the connection; a live client reconnects.
        log.warn(
          { peerId: s.info.peerId, silentMs: t - s.lastHeartbeat },
          'silent past twice the heartbeat timeout: disconnected',
        );
        s.socket.disconnect(true);
        continue;
      }
      if (s.failed || t - s.lastHeartbeat <= config.heartbeatTimeoutMs) continue;
      s.failed = true;
      metrics.heartbeatFailed();
      log.warn({ peerId: s.info.peerId, silentMs: t - s.lastHeartbeat }, 'missed heartbeats: failed');
      service.track(service.removeEverywhere(s.info.peerId, 'failed'));
    }
  }, sweepMs);

  // Empty groups expire: checked four times per TTL (at most once a minute); a group goes within two checks after its
  // TTL.
  const emptySweepMs = Math.max(10, Math.min(60_000, Math.floor(config.emptyGroupTtlMs / 4)));
  const emptySweep = setInterval(() => service.track(service.sweepEmptyGroups()), emptySweepMs);

  // Node liveness (Redis only does anything): refresh three times per TTL, reap dead nodes twice per TTL.
  const nodeBeat = setInterval(
    () => service.track(store.touchNode(nodeId, config.nodeTtlMs)),
    Math.max(10, Math.floor(config.nodeTtlMs / 3)),
  );
  const reaper = setInterval(
    () => {
      service.track(
        (async () => {
          for (const dead of await store.claimDeadNodes(nodeId)) {
            const sessions = await store.takeSessionsOfNode(dead);
            log.warn({ node: dead, sessions: sessions.length }, 'tracker node died: failing its sessions');
            for (const s of sessions) await service.removeEverywhere(s.peerId, 'failed');
            await store.removeNode(dead);
          }
        })(),
      );
    },
    Math.max(10, Math.floor(config.nodeTtlMs / 2)),
  );
  await store.touchNode(nodeId, config.nodeTtlMs);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const host =
    config.host === undefined || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  ready = true;
  log.info({ port, nodeId, redis: config.redisUrl !== undefined, webDist: webDist ?? null }, 'tracker listening');

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ready = false;
      clearInterval(heartbeatSweep);
      clearInterval(emptySweep);
      clearInterval(nodeBeat);
      clearInterval(reaper);
      service.stop();
      await io.close(); // disconnects local sockets: their groups see them fail
      await service.drain();
      await store.removeNode(nodeId);
      await closeAdapter();
      await store.close();
      log.info({ nodeId }, 'tracker closed');
    })();
    return closing;
  };
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, nodeId, close };
}
