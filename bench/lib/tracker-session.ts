// A bare authenticated tracker session over socket.io-client (websocket only),
// for load generation: no reconnects, no mesh, just the identity handshake of
// docs/design.md §3 and the events a bench needs. Real peers use TrackerClient.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';

export interface TrackerAck<T> {
  readonly ok: boolean;
  readonly value?: T;
  readonly error?: { code: string; message: string };
}

export interface Session {
  readonly socket: Socket;
  readonly peerId: string;
  readonly heartbeatIntervalMs: number;
}

/** Node clients send no Origin header, which the tracker accepts (config.ts: "no-origin (Node) clients"). */
const SOCKET_OPTIONS = { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000 };

interface Identity {
  readonly privateKey: KeyObject;
  readonly publicKey: string;
}

const newIdentity = (): Identity => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  // Raw 32-byte key, standard base64 (the JWK `x` is base64url).
  return { privateKey, publicKey: Buffer.from(String(jwk.x), 'base64url').toString('base64') };
};

export const call = <T>(socket: Socket, event: string, ...args: unknown[]): Promise<T> =>
  new Promise((resolve, reject) => {
    socket.timeout(30_000).emit(event, ...args, (timeoutErr: Error | null, res: TrackerAck<T>) => {
      if (timeoutErr) reject(new Error(`${event}: no ack in 30 s`));
      else if (!res.ok) reject(new Error(`${event}: ${res.error?.code ?? '?'} ${res.error?.message ?? ''}`));
      else resolve(res.value as T);
    });
  });

/** `options`: more socket.io-client options, e.g. `localAddress` to connect from another loopback address. */
export const openSession = async (
  url: string,
  name: string,
  options: Record<string, unknown> = {},
): Promise<Session> => {
  const socket = io(url, { ...SOCKET_OPTIONS, ...options });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(e));
    });
    const id = newIdentity();
    const peerId = randomBytes(12).toString('hex');
    const { nonce } = await call<{ nonce: string }>(socket, 'auth:challenge');
    // The signing text is the contract in protocol/tracker/events.ts (HelloPayload.signature).
    const signature = sign(
      null,
      Buffer.from(`chorus-hello:${nonce}:${peerId}:${name}`, 'utf8'),
      id.privateKey,
    ).toString('base64');
    const hello = await call<{ heartbeatIntervalMs: number }>(socket, 'auth:hello', {
      peerId,
      name,
      publicKey: id.publicKey,
      signature,
    });
    return { socket, peerId, heartbeatIntervalMs: hello.heartbeatIntervalMs };
  } catch (e) {
    socket.close();
    throw e;
  }
};

/** Heartbeats as a real idle peer sends them, phase-shifted so thousands of clients do not beat in lockstep. */
export const startHeartbeats = (s: Session): (() => void) => {
  let interval: ReturnType<typeof setInterval> | null = null;
  const first = setTimeout(() => {
    s.socket.emit('heartbeat');
    interval = setInterval(() => s.socket.emit('heartbeat'), s.heartbeatIntervalMs);
  }, Math.random() * s.heartbeatIntervalMs);
  return () => {
    clearTimeout(first);
    if (interval !== null) clearInterval(interval);
  };
};
