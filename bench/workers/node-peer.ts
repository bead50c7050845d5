// One peer per process, driven by bench/run.ts over IPC. The same process
// plays three parts, one at a time, so every comparison runs over identical
// processes on the same cores: floor (one raw data channel), relay (a client
// of a Socket.IO broadcast server) and chorus (a real Chorus peer over
// @roamhq/wrtc with an in-memory store).
import wrtc from '@roamhq/wrtc';
import { MemoryStore } from '@chorus/peer';
import { serve } from '../lib/rpc.ts';
import { Recorder } from '../lib/load.ts';
import { chorusHandlers, recorderHandlers } from '../lib/chorus-handlers.ts';
import { pathHandlers } from '../lib/path-handlers.ts';
import { CountingStore } from '../lib/counting-store.ts';

const recorder = new Recorder();
const handlers: Record<string, (args: any) => unknown> = {
  ...recorderHandlers(recorder),
  ...chorusHandlers({ recorder, wrtc, countingStore: async () => new CountingStore(new MemoryStore()) }),
  mem: () => process.memoryUsage(),
};
const emit = serve(handlers);
Object.assign(handlers, pathHandlers(recorder, emit, wrtc));
