// The two comparison paths as peer commands, usable in a Node worker and in
// the browser page alike: `floor` (one raw simple-peer data channel, the
// lower bound of any mesh) and `relay` (a Socket.IO client of a broadcast
// server, as a server-based chat). No Node imports.
import SimplePeer from 'simple-peer';
import { io, type Socket } from 'socket.io-client';
import { runLoad, type LoadPlan, type Recorder } from './load.ts';

/** A raw data channel or a websocket on loopback opens in well under a second; this only bounds a broken run. */
const CONNECT_TIMEOUT_MS = 60_000;
/** Queued bytes the bulk sender allows before waiting: well under Chromium's 16 MiB channel buffer. */
const FLOOR_BUFFER_BYTES = 4 * 1024 * 1024;
/** First byte of a binary bulk message (a text body never starts with it): its body is the header after it. */
const BINARY_MARK = 0;
/** A binary bulk message's header (`tag|bulk|seq|0|`) fits in this many bytes after the mark; the rest is padding. */
const BINARY_HEADER_BYTES = 96;

const timeout = <T>(p: Promise<T>, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`timed out after ${CONNECT_TIMEOUT_MS} ms: ${what}`)),
      CONNECT_TIMEOUT_MS,
    );
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

export const pathHandlers = (
  recorder: Recorder,
  emit: (event: string, data: unknown) => void,
  wrtc?: object,
): Record<string, (args: any) => unknown> => {
  let floor: SimplePeer.Instance | null = null;
  let relay: Socket | null = null;
  /** Raw full mesh: one simple-peer channel per other member, by member name (no Chorus code on the path). */
  const mesh = new Map<string, SimplePeer.Instance>();
  const rtc = (initiator: boolean): SimplePeer.Instance =>
    new SimplePeer({
      initiator,
      trickle: true,
      ...(wrtc === undefined ? {} : { wrtc: wrtc as SimplePeer.Options['wrtc'] }),
    } as SimplePeer.Options);
  const decoder = new TextDecoder();
  /** A text body is decoded whole (as any chat text); a binary one only as far as its header. */
  const body = (d: Uint8Array): string =>
    d[0] === BINARY_MARK ? decoder.decode(d.subarray(1, 1 + BINARY_HEADER_BYTES)) : decoder.decode(d);
  return {
    'floor-open': ({ initiator }: { initiator: boolean }) => {
      floor?.destroy();
      const p = rtc(initiator);
      p.on('signal', (data) => emit('floor-signal', data));
      p.on('data', (d: Uint8Array) => recorder.record(body(d)));
      p.on('error', (e) => emit('log', `floor error: ${e.message}`));
      floor = p;
    },
    'floor-signal': (data: SimplePeer.SignalData) => floor?.signal(data),
    'floor-wait': () => {
      const p = floor;
      if (p === null) throw new Error('floor-open first');
      if (p.connected) return null;
      return timeout(new Promise((resolve) => p.once('connect', () => resolve(null))), 'floor data channel');
    },
    'floor-load': (plan: LoadPlan) => {
      const p = floor;
      if (p === null) throw new Error('floor-open first');
      return runLoad(plan, (body) => p.send(body));
    },
    /**
     * Push `messages` bodies of `bytes` each through the raw channel as fast as
     * it takes them, keeping at most FLOOR_BUFFER_BYTES queued (a browser
     * channel closes when its send buffer overflows). `binary`: each message a
     * fresh Uint8Array of `bytes` bytes (as a file chunk travels), read at the
     * far end only as far as its header; else a text of `bytes` padding after
     * the header, decoded whole.
     */
    'floor-bulk': async ({
      tag,
      messages,
      bytes,
      binary,
    }: {
      tag: string;
      messages: number;
      bytes: number;
      binary?: boolean;
    }) => {
      const p = floor;
      if (p === null) throw new Error('floor-open first');
      const pad = 'h'.repeat(bytes);
      const encoder = new TextEncoder();
      for (let i = 1; i <= messages; i++) {
        while ((p as unknown as { bufferSize: number }).bufferSize > FLOOR_BUFFER_BYTES)
          await new Promise((r) => setTimeout(r, 1));
        if (binary === true) {
          const m = new Uint8Array(bytes);
          m[0] = BINARY_MARK;
          encoder.encodeInto(`${tag}|bulk|${i}|0|`, m.subarray(1, 1 + BINARY_HEADER_BYTES));
          p.send(m);
        } else p.send(`${tag}|bulk|${i}|0|${pad}`);
      }
    },
    'floor-close': () => {
      floor?.destroy();
      floor = null;
    },

    /** Open (or accept) a raw channel to member `to`; signals go out as `mesh-signal` events. */
    'mesh-open': ({ to, initiator }: { to: string; initiator: boolean }) => {
      mesh.get(to)?.destroy();
      const p = rtc(initiator);
      p.on('signal', (data) => emit('mesh-signal', { to, data }));
      p.on('data', (d: Uint8Array) => recorder.record(decoder.decode(d)));
      p.on('error', (e) => emit('log', `mesh error: ${e.message}`));
      mesh.set(to, p);
    },
    'mesh-signal': ({ from, data }: { from: string; data: SimplePeer.SignalData }) => mesh.get(from)?.signal(data),
    'mesh-wait': () =>
      timeout(
        Promise.all(
          [...mesh.values()].map((p) =>
            p.connected ? null : new Promise((resolve) => p.once('connect', () => resolve(null))),
          ),
        ),
        'raw mesh channels',
      ),
    /** Every message goes to every member over its own channel, as a mesh broadcast without any protocol. */
    'mesh-load': (plan: LoadPlan) =>
      runLoad(plan, (body) => {
        for (const p of mesh.values()) p.send(body);
      }),
    'mesh-close': () => {
      for (const p of mesh.values()) p.destroy();
      mesh.clear();
    },

    'relay-connect': async ({ url, room }: { url: string; room: string }) => {
      relay?.close();
      const s = io(url, { transports: ['websocket'], forceNew: true });
      s.on('msg', (body: string) => recorder.record(body));
      relay = s;
      await timeout(new Promise<void>((resolve) => s.once('connect', () => resolve())), 'relay connect');
      await timeout(new Promise<void>((resolve) => s.emit('join', room, () => resolve())), 'relay join');
    },
    'relay-load': (plan: LoadPlan) => {
      const s = relay;
      if (s === null) throw new Error('relay-connect first');
      return runLoad(plan, (body) => s.emit('msg', body));
    },
    'relay-close': () => {
      relay?.close();
      relay = null;
    },
  };
};
