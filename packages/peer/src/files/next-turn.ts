// Yielding to the event loop between slices of bulk work (serving a want's
// chunks), so chat frames that arrived meanwhile are handled first: a
// macrotask, not a microtask (`await` alone would run on before any I/O).
// Node has setImmediate; a browser posts to a MessageChannel (setTimeout
// clamps to 4 ms once nested).

const waiting: (() => void)[] = [];
let port: MessagePort | null = null;

export function nextTurn(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (port === null) {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
    port = channel.port2;
  }
  const p = port;
  return new Promise((resolve) => {
    waiting.push(resolve);
    p.postMessage(null);
  });
}
