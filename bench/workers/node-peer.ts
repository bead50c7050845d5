// One peer per process, driven by bench/run.ts over IPC. The same process
// plays three parts, one at a time or side by side, so every comparison runs
// over identical processes on the same cores:
//  - floor:  one raw simple-peer data channel (the lower bound of any mesh),
//  - relay:  a Socket.IO client of a broadcast server (a server-based chat),
//  - chorus: a real Chorus peer (createPeer from @chorus/peer over @roamhq/wrtc).
import wrtc from '@roamhq/wrtc';
import SimplePeer from 'simple-peer';
import { io, type Socket } from 'socket.io-client';
import { serve } from '../lib/rpc.ts';
import { Recorder, runLoad, type LoadPlan } from '../lib/load.ts';
import { withTimeout } from '../lib/wall-clock.ts';
import { chorusHandlers, recorderHandlers } from '../lib/chorus-handlers.ts';
import { CountingStore } from '../lib/counting-store.ts';
import { MemoryStore } from '@chorus/peer';

/** A raw data channel on loopback opens in well under a second; this only bounds a broken run. */
const CONNECT_TIMEOUT_MS = 60_000;

const recorder = new Recorder();
let floor: SimplePeer.Instance | null = null;
let relay: Socket | null = null;

const emit = serve({
  ...recorderHandlers(recorder),
  ...chorusHandlers({ recorder, wrtc, countingStore: async () => new CountingStore(new MemoryStore()) }),

  // ---- floor: a single raw data channel ----
  'floor-open': ({ initiator }: { initiator: boolean }) => {
    floor?.destroy();
    const p = new SimplePeer({ initiator, wrtc, trickle: true });
    p.on('signal', (data) => emit('floor-signal', data));
    p.on('data', (d: Uint8Array) => recorder.record(new TextDecoder().decode(d)));
    p.on('error', (e) => emit('log', `floor error: ${e.message}`));
    floor = p;
  },
  'floor-signal': (data: SimplePeer.SignalData) => floor?.signal(data),
  'floor-wait': () => {
    const p = floor;
    if (p === null) throw new Error('floor-open first');
    if (p.connected) return null;
    return withTimeout(new Promise((resolve) => p.once('connect', () => resolve(null))), CONNECT_TIMEOUT_MS, 'floor data channel');
  },
  'floor-load': (plan: LoadPlan) => {
    const p = floor;
    if (p === null) throw new Error('floor-open first');
    return runLoad(plan, (body) => p.send(body));
  },
  'floor-close': () => { floor?.destroy(); floor = null; },

  // ---- relay: a Socket.IO broadcast server, as a server-based chat ----
  'relay-connect': async ({ url, room }: { url: string; room: string }) => {
    relay?.close();
    const s = io(url, { transports: ['websocket'], forceNew: true });
    s.on('msg', (body: string) => recorder.record(body));
    relay = s;
    await withTimeout(new Promise<void>((resolve) => s.once('connect', () => resolve())), CONNECT_TIMEOUT_MS, 'relay connect');
    await withTimeout(new Promise<void>((resolve) => s.emit('join', room, () => resolve())), CONNECT_TIMEOUT_MS, 'relay join');
  },
  'relay-load': (plan: LoadPlan) => {
    const s = relay;
    if (s === null) throw new Error('relay-connect first');
    return runLoad(plan, (body) => s.emit('msg', body));
  },
  'relay-close': () => { relay?.close(); relay = null; },
  mem: () => process.memoryUsage(),
});
