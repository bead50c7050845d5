// One peer per process, driven by bench/run.ts over IPC. The same process
// plays three parts, one at a time, so every comparison runs over identical
// processes on the same cores: floor (one raw data channel), relay (a client
// of a Socket.IO broadcast server) and chorus (a real Chorus peer over
// @roamhq/wrtc with an in-memory store).
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import wrtc from '@roamhq/wrtc';
import { MemoryStore } from '@chorus/peer/testing';
import { serve } from '../lib/rpc.ts';
import { Recorder } from '../lib/load.ts';
import { chorusHandlers, recorderHandlers } from '../lib/chorus-handlers.ts';
import { pathHandlers } from '../lib/path-handlers.ts';
import { CountingStore } from '../lib/counting-store.ts';

// Every data-channel message this process writes is counted (the latency scenario's messages per Chorus message).
let channelMessages = 0;
const channelProto = (wrtc as unknown as { RTCDataChannel: { prototype: { send: (data: unknown) => void } } })
  .RTCDataChannel.prototype;
const channelSend = channelProto.send;
channelProto.send = function send(this: unknown, data: unknown): void {
  channelMessages += 1;
  channelSend.call(this, data);
};
const takeChannelMessages = (): number => {
  const n = channelMessages;
  channelMessages = 0;
  return n;
};

const recorder = new Recorder();
let profiler: Session | null = null;
let cpuMark = process.cpuUsage();
let wallMark = performance.now();
const handlers: Record<string, (args: any) => unknown> = {
  ...recorderHandlers(recorder),
  ...chorusHandlers({
    recorder,
    wrtc,
    countingStore: async () => new CountingStore(new MemoryStore()),
    takeChannelMessages,
  }),
  mem: () => process.memoryUsage(),
  /** CPU this process used since the last call, in cores (1 = one core busy the whole time). */
  cpu: () => {
    const used = process.cpuUsage(cpuMark);
    const wall = performance.now() - wallMark;
    cpuMark = process.cpuUsage();
    wallMark = performance.now();
    return (used.user + used.system) / 1000 / wall;
  },
  /** CPU this process used since it started, ms (the latency scenario's CPU per message takes differences). */
  'cpu-ms': () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  },
  /** BENCH_LOAD_PROFILE: a CPU profile of one load window only (no start-up, no group forming). */
  'profile-start': async () => {
    profiler ??= new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  },
  'profile-stop': async ({ file }: { file: string }) => {
    if (profiler === null) return;
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    await writeFile(file, JSON.stringify(profile));
  },
};
const emit = serve(handlers);
Object.assign(handlers, pathHandlers(recorder, emit, wrtc));
