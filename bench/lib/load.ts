// Offered load and what arrives, shared by the Node peer worker and the
// browser bench page (no Node imports here). A message body carries its own
// send stamp: `<tag>|<sender>|<seq>|<stamp ms>|<padding>`, so the receiver
// computes one-way latency with the shared wall clock (see wall-clock.ts).

const wallNow = (): number => performance.timeOrigin + performance.now();

/** Bodies are padded to a chat-like size so frames are not unrealistically tiny. */
export const BODY_BYTES = 120;

/** Timer tick of the sender loop: fine enough for 1000 msg/s, coarse enough not to burn a core. */
const SEND_TICK_MS = 5;

export interface LoadPlan {
  readonly tag: string;
  readonly sender: string;
  /** Wall-clock ms at which every sender starts, so senders of one group run together. */
  readonly startAt: number;
  readonly durationMs: number;
  readonly ratePerSec: number;
}

export interface LoadOutcome {
  readonly sent: number;
  /** What the sender really managed per second (a CPU-starved sender falls behind its offer). */
  readonly achievedPerSec: number;
  /** Sends that threw or rejected; counted, never silently lost. */
  readonly failedSends: number;
}

export const makeBody = (tag: string, sender: string, seq: number, stamp: number): string => {
  const head = `${tag}|${sender}|${seq}|${stamp.toFixed(3)}|`;
  return head + 'x'.repeat(Math.max(0, BODY_BYTES - head.length));
};

export interface ParsedBody {
  readonly tag: string;
  readonly sender: string;
  readonly seq: number;
  readonly stamp: number;
}

export const parseBody = (body: string): ParsedBody | null => {
  const parts = body.split('|', 4);
  if (parts.length < 4) return null;
  const seq = Number(parts[2]);
  const stamp = Number(parts[3]);
  if (!Number.isFinite(seq) || !Number.isFinite(stamp)) return null;
  return { tag: parts[0] ?? '', sender: parts[1] ?? '', seq, stamp };
};

/**
 * Sends `ratePerSec` messages per second for `durationMs`, catching up in
 * bursts when a tick runs late (so the offered rate holds unless the CPU
 * cannot keep up, which `achievedPerSec` then shows).
 */
export const runLoad = async (plan: LoadPlan, send: (body: string) => unknown): Promise<LoadOutcome> => {
  const wait = plan.startAt - wallNow();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const begin = wallNow();
  const total = Math.max(1, Math.round((plan.ratePerSec * plan.durationMs) / 1000));
  let sent = 0;
  let failed = 0;
  const inFlight: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((wallNow() - begin) * plan.ratePerSec) / 1000) + 1);
    while (sent < due) {
      sent += 1;
      try {
        const r = send(makeBody(plan.tag, plan.sender, sent, wallNow()));
        if (r instanceof Promise)
          inFlight.push(
            r.catch(() => {
              failed += 1;
            }),
          );
      } catch {
        failed += 1;
      }
    }
    if (sent < total) await new Promise((r) => setTimeout(r, SEND_TICK_MS));
  }
  const elapsed = Math.max(1, wallNow() - begin);
  await Promise.all(inFlight);
  return { sent, achievedPerSec: (sent * 1000) / Math.max(elapsed, plan.durationMs), failedSends: failed };
};

export interface Received {
  readonly count: number;
  /** One-way latencies (ms) of messages stamped after the warm-up. */
  readonly latencies: number[];
  readonly outOfOrder: number;
  /** Wall-clock ms of the first arrival, or null if none came. */
  readonly firstAt: number | null;
}

/** Records arrivals per tag; the driver asks for them once the senders are done. */
export class Recorder {
  private readonly byTag = new Map<
    string,
    {
      count: number;
      latencies: number[];
      lastSeq: Map<string, number>;
      outOfOrder: number;
      warmUntil: number;
      firstAt: number | null;
    }
  >();
  private readonly waiters: { tag: string; count: number; resolve: () => void }[] = [];

  /** Start listening for a tag; samples stamped before `warmUntil` are counted but not timed. */
  expectTag(tag: string, warmUntil: number): void {
    this.byTag.set(tag, { count: 0, latencies: [], lastSeq: new Map(), outOfOrder: 0, warmUntil, firstAt: null });
  }

  record(body: string, at = wallNow()): void {
    const parsed = parseBody(body);
    if (parsed === null) return;
    const entry = this.byTag.get(parsed.tag);
    if (entry === undefined) return;
    entry.count += 1;
    entry.firstAt ??= at;
    if (parsed.stamp >= entry.warmUntil) entry.latencies.push(at - parsed.stamp);
    const last = entry.lastSeq.get(parsed.sender) ?? 0;
    if (parsed.seq <= last) entry.outOfOrder += 1;
    else entry.lastSeq.set(parsed.sender, parsed.seq);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w !== undefined && w.tag === parsed.tag && entry.count >= w.count) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  count(tag: string): number {
    return this.byTag.get(tag)?.count ?? 0;
  }

  firstAt(tag: string): number | null {
    return this.byTag.get(tag)?.firstAt ?? null;
  }

  /** Resolves true once `count` messages of `tag` arrived, false after `timeoutMs`. */
  waitFor(tag: string, count: number, timeoutMs: number): Promise<boolean> {
    if (this.count(tag) >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        tag,
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  take(tag: string): Received {
    const e = this.byTag.get(tag);
    this.byTag.delete(tag);
    return {
      count: e?.count ?? 0,
      latencies: e?.latencies ?? [],
      outOfOrder: e?.outOfOrder ?? 0,
      firstAt: e?.firstAt ?? null,
    };
  }
}
