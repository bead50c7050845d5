// Progress of the files this peer stores or fetches, as `transfer` events
// (api.ts TransferEvent): the rate over the last RATE_WINDOW_MS, at most one
// running event per file every PROGRESS_INTERVAL_MS (the latest is sent on
// the next flush), and the end state at once. Ended transfers stay listed for
// ENDED_KEEP_MS, so a view that mounts late still sees how a transfer ended.

import type { TransferEvent, TransferState } from '../api.ts';
import type { ChorusError } from '../chorus-error.ts';

export const PROGRESS_INTERVAL_MS = 200;
export const RATE_WINDOW_MS = 3_000;
export const ENDED_KEEP_MS = 60_000;
/** The rate's samples are at least this far apart. */
const SAMPLE_MS = 50;

type Progress = Omit<TransferEvent, 'state' | 'bytesPerSec' | 'error'>;

interface Entry {
  last: TransferEvent;
  emittedAt: number;
  dirty: boolean;
  readonly samples: { at: number; bytes: number }[];
  endedAt: number | null;
}

export class TransferBook {
  readonly #now: () => number;
  readonly #emit: (e: TransferEvent) => void;
  readonly #entries = new Map<string, Entry>();

  constructor(now: () => number, emit: (e: TransferEvent) => void) {
    this.#now = now;
    this.#emit = emit;
  }

  update(p: Progress): void {
    const now = this.#now();
    const e = this.#entry(p);
    e.last = { ...p, bytesPerSec: this.#rate(e, p.bytesDone, now), state: 'running' };
    e.endedAt = null;
    if (now - e.emittedAt >= PROGRESS_INTERVAL_MS) this.#send(e, now);
    else e.dirty = true;
  }

  end(p: Progress, state: Exclude<TransferState, 'running'>, error?: ChorusError): void {
    const now = this.#now();
    const e = this.#entry(p);
    e.last = {
      ...p,
      bytesPerSec: 0,
      state,
      ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
    };
    e.endedAt = now;
    this.#send(e, now);
  }

  /** Sends progress held back by the interval; forgets transfers that ended long ago. */
  flush(): void {
    const now = this.#now();
    for (const [k, e] of this.#entries) {
      if (e.dirty && now - e.emittedAt >= PROGRESS_INTERVAL_MS) this.#send(e, now);
      if (e.endedAt !== null && now - e.endedAt > ENDED_KEEP_MS) this.#entries.delete(k);
    }
  }

  list(): readonly TransferEvent[] {
    return [...this.#entries.values()].map((e) => e.last);
  }

  #entry(p: Progress): Entry {
    const key = `${p.direction}:${p.hash}`;
    let e = this.#entries.get(key);
    if (!e || e.endedAt !== null) {
      e = { last: { ...p, bytesPerSec: 0, state: 'running' }, emittedAt: 0, dirty: false, samples: [], endedAt: null };
      this.#entries.set(key, e);
    }
    return e;
  }

  #rate(e: Entry, bytes: number, now: number): number {
    // A sample per SAMPLE_MS at most: a transfer updates hundreds of times a second.
    const last = e.samples[e.samples.length - 1];
    if (last === undefined || now - last.at >= SAMPLE_MS) e.samples.push({ at: now, bytes });
    while (e.samples.length > 1 && now - e.samples[0]!.at > RATE_WINDOW_MS) e.samples.shift();
    const first = e.samples[0]!;
    const span = now - first.at;
    return span > 0 ? Math.round(((bytes - first.bytes) * 1000) / span) : 0;
  }

  #send(e: Entry, now: number): void {
    e.emittedAt = now;
    e.dirty = false;
    this.#emit(e.last);
  }
}
