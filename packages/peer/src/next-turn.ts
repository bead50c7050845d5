// Yielding to the event loop between slices of bulk work (serving a want's
// chunks, writing a file's chunk messages), so chat frames that arrived
// meanwhile are handled first: a macrotask, not a microtask (`await` alone
// would run on before any I/O). Node has setImmediate; a browser posts to a
// MessageChannel (setTimeout clamps to 4 ms once nested).

const waiting: (() => void)[] = [];
let port: MessagePort | null = null;

/** Runs `fn` in a later turn of the event loop, after the I/O that is ready now. */
export function onNextTurn(fn: () => void): void {
  if (typeof setImmediate === 'function') {
    setImmediate(fn);
    return;
  }
  if (port === null) {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
    port = channel.port2;
  }
  waiting.push(fn);
  port.postMessage(null);
}

export const nextTurn = (): Promise<void> => new Promise((resolve) => onNextTurn(resolve));
