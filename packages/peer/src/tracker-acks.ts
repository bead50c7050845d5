// How the tracker client (tracker-client.ts) turns a request into an answer:
// the emit with an ack and a timeout, the check that the ack is a Result, the
// TrackerRequestError with a `code` for every way it can fail, and the
// requests held until a running handshake ends. What belongs here: anything
// about one request's reply; the socket's life and the handshake itself stay
// in tracker-client.ts.

import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, Result, ServerToClientEvents } from '@chorus/protocol';

/** Codes the client adds to the tracker's own error codes. */
export type ClientErrorCode = 'timeout' | 'offline' | 'closed' | 'bad-reply' | 'unreachable';

export class TrackerRequestError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TrackerRequestError';
    this.code = code;
  }
}

export type ChorusSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isResult = (v: unknown): v is Result<unknown> =>
  isRecord(v) && (v.ok === true ? 'value' in v : v.ok === false && isRecord(v.error));

/** Turns an ack (or its timeout) into the value or a TrackerRequestError. */
export async function ackOf<T>(pending: Promise<Result<never>>, event: string, timeoutMs: number): Promise<T> {
  let res: unknown;
  try {
    res = await pending;
  } catch {
    throw new TrackerRequestError('timeout', `The tracker did not answer '${event}' within ${timeoutMs} ms.`);
  }
  if (!isResult(res))
    throw new TrackerRequestError('bad-reply', `The tracker answered '${event}' with something that is not a result.`);
  if (!res.ok) {
    const code = typeof res.error.code === 'string' ? res.error.code : 'internal';
    const message = typeof res.error.message === 'string' ? res.error.message : `The tracker refused '${event}'.`;
    throw new TrackerRequestError(code, message);
  }
  return res.value as T;
}

export const emitWithAck = (
  socket: ChorusSocket,
  timeoutMs: number,
  event: keyof ClientToServerEvents,
  payload?: unknown,
): Promise<Result<never>> => {
  const untyped = socket.timeout(timeoutMs) as unknown as {
    emitWithAck(ev: string, ...args: unknown[]): Promise<Result<never>>;
  };
  return payload === undefined ? untyped.emitWithAck(event) : untyped.emitWithAck(event, payload);
};

/** Requests waiting for a running handshake: released together when it ends, each timing out on its own. */
export class HandshakeWaiters {
  readonly #waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();

  /** Resolves when a running handshake succeeds (within `timeoutMs`). */
  wait(event: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new TrackerRequestError(
            'timeout',
            `The tracker handshake did not finish within ${timeoutMs} ms; '${event}' was not sent.`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  release(error: Error | null): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }
}
