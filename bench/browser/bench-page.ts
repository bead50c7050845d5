// The browser side of the bench: one Chorus peer per page (own browser
// context, so its own IndexedDB like a separate user), driven by the same
// commands as the Node workers, plus the IndexedDB micro-benchmark.
import { IdbStore } from '@chorus/peer';
import { chorusHandlers, recorderHandlers } from '../lib/chorus-handlers.ts';
import { CountingStore } from '../lib/counting-store.ts';
import { idbHandlers } from '../lib/idb-bench.ts';
import { Recorder } from '../lib/load.ts';
import { pathHandlers } from '../lib/path-handlers.ts';

const recorder = new Recorder();
let stores = 0;
const handlers: Record<string, (args: any) => unknown> = {
  ...recorderHandlers(recorder),
  ...chorusHandlers({
    recorder,
    // A fresh database per counting peer, so a joiner starts with an empty history.
    countingStore: async () => new CountingStore(new IdbStore({ name: `bench-history-${Date.now()}-${stores++}` })),
  }),
  ...idbHandlers(),
  // Push events (floor signaling) go to the driver through a function Playwright exposes.
  ...pathHandlers(recorder, (event, data) => void window.benchEmit?.(event, data)),
};

declare global {
  interface Window {
    benchCall: (cmd: string, args: unknown) => Promise<unknown>;
    benchReady: boolean;
    benchEmit?: (event: string, data: unknown) => Promise<void>;
  }
}

window.benchCall = async (cmd, args) => {
  const h = handlers[cmd];
  if (h === undefined) throw new Error(`unknown command ${cmd}`);
  return (await h(args)) ?? null;
};
window.benchReady = true;
