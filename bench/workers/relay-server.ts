// The server-relay baseline: what a server-based chat does with a message —
// the sender emits it to the server, the server broadcasts it to the room.
// No persistence, no auth, websocket only: the cheapest possible relay, so
// the comparison is against the baseline's best case.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { serve } from '../lib/rpc.ts';

/** Room names are short bench labels; anything longer is a bad input, answered and ignored. */
const MAX_ROOM_CHARS = 64;

let io: Server | null = null;

serve({
  start: ({ port }: { port: number }) =>
    new Promise<number>((resolve, reject) => {
      const http = createServer();
      const server = new Server(http, { transports: ['websocket'], maxHttpBufferSize: 64 * 1024 });
      server.on('connection', (socket) => {
        socket.on('join', (room: unknown, ack?: (r: unknown) => void) => {
          if (typeof room !== 'string' || room.length > MAX_ROOM_CHARS) {
            ack?.({ ok: false, error: { code: 'bad-type', message: 'room must be a short string' } });
            return;
          }
          void socket.join(room);
          ack?.({ ok: true, value: null });
        });
        socket.on('msg', (body: unknown) => {
          if (typeof body !== 'string') return;
          for (const room of socket.rooms) if (room !== socket.id) socket.to(room).emit('msg', body);
        });
      });
      http.once('error', reject);
      http.listen(port, '127.0.0.1', () => resolve(port));
      io = server;
    }),
  /** Heap and RSS after a full GC (run with --expose-gc): the bare Socket.IO baseline for memory per connection. */
  mem: () => {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g === undefined) throw new Error('relay-server needs --expose-gc for mem');
    g();
    g();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
  },
  /** Writes a heap snapshot (after a full GC) and returns its path, for the per-kind comparison with the tracker. */
  snapshot: () => {
    const g = (globalThis as { gc?: () => void }).gc;
    g?.();
    g?.();
    return writeHeapSnapshot(join(tmpdir(), `chorus-bench-relay-${process.pid}-${Date.now()}.heapsnapshot`));
  },
  stop: () =>
    new Promise<void>((resolve) => {
      if (io === null) resolve();
      else io.close(() => resolve());
    }),
});
