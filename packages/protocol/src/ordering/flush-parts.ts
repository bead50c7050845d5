// A FLUSH report outgrows one frame when a member keeps thousands of unstable
// messages (a burst, a member lagging behind, a joiner arriving before the
// high-water marks caught up): in one frame it would be refused at the wire
// caps and the view change would never end. Here a report is cut into parts
// that each fit, and the parts a peer sent are put together again. State: at
// most one partial report per peer; nothing about views or ordering.

import type { PeerId } from '../ids.ts';
import type { FlushFrame } from '../wire/frames.ts';
import { MAX_FLUSH_ITEMS, MAX_FRAME_BYTES } from '../wire/caps.ts';
import { jsonBytes, packBySize } from '../wire/parts.ts';
import type { Rejection } from './engine.ts';
import { reject } from './rejection.ts';

/**
 * Bytes of unstable messages and pending reports per FLUSH part. A quarter of
 * MAX_FRAME_BYTES leaves room for the repeated header (a delivered map of up
 * to 1024 senders) and for a message of maximum length, and keeps one part
 * from hogging a channel that also carries live messages.
 */
export const FLUSH_PART_BYTES = MAX_FRAME_BYTES / 4;

/**
 * Bytes (JSON, UTF-8) of one peer's unfinished report. Without it a peer could
 * announce MAX_PARTS parts of up to a frame each (1 GiB) and have us hold them.
 * An honest report carries the messages its member holds unstable: 64 MiB is
 * ~5 000 maximum-length messages (4000 characters, 3 bytes each) or several
 * hundred thousand ordinary ones, far beyond a burst at a view change. Over it
 * the report is refused (`too-large`) and its parts are dropped.
 */
export const MAX_FLUSH_REPORT_BYTES = 64 * 1024 * 1024;

type Entry = { readonly u: FlushFrame['unstable'][number] } | { readonly p: FlushFrame['pending'][number] };

/**
 * The frames that carry `report`: the report itself when it fits one frame,
 * else parts with `part: {index, count}`. Deterministic, so a resend of the
 * same report sends the same parts.
 */
export function splitFlush(report: FlushFrame): FlushFrame[] {
  const { unstable, pending, part: _part, ...header } = report;
  const whole = { ...header, unstable, pending };
  if (unstable.length <= MAX_FLUSH_ITEMS && pending.length <= MAX_FLUSH_ITEMS && jsonBytes(whole) <= FLUSH_PART_BYTES)
    return [whole];
  const entries: Entry[] = [...unstable.map((u) => ({ u })), ...pending.map((p) => ({ p }))];
  const runs = packBySize(entries, FLUSH_PART_BYTES, MAX_FLUSH_ITEMS, (e) => jsonBytes('u' in e ? e.u : e.p));
  return runs.map((run, index) => ({
    ...header,
    unstable: run.flatMap((e) => ('u' in e ? [e.u] : [])),
    pending: run.flatMap((e) => ('p' in e ? [e.p] : [])),
    part: { index, count: runs.length },
  }));
}

/** The fields every part of one report repeats, as comparable text. */
const headerKey = (f: FlushFrame): string => {
  const { unstable: _u, pending: _p, part: _part, ...header } = f;
  return JSON.stringify(header);
};

interface Partial {
  readonly viewId: number;
  readonly header: string;
  readonly parts: (FlushFrame | undefined)[];
  have: number;
  bytes: number;
}

/** Parts of FLUSH reports per sending peer, until each report is whole. */
export class FlushAssembler {
  readonly #partial = new Map<PeerId, Partial>();

  /** `maxBytes`: per peer, see MAX_FLUSH_REPORT_BYTES (tests pass a smaller one). */
  constructor(private readonly maxBytes = MAX_FLUSH_REPORT_BYTES) {}

  /**
   * One frame from `from`: the whole report once every part is in, null while
   * parts are due, or a rejection (and nothing kept) when the part contradicts
   * the others of its report. A part of a report for another view replaces the
   * unfinished one (the peer moved on to a newer view change). Repeated parts
   * (a resend after a link came back) are no-ops.
   */
  add(from: PeerId, f: FlushFrame): FlushFrame | Rejection | null {
    const part = f.part;
    if (part === undefined) return f;
    const header = headerKey(f);
    let p = this.#partial.get(from);
    if (p !== undefined && p.viewId === f.viewId && (p.header !== header || p.parts.length !== part.count))
      return reject('remote', 'bad-state', `${from} sent parts of one FLUSH for view ${f.viewId} that disagree.`);
    if (p === undefined || p.viewId !== f.viewId) {
      p = {
        viewId: f.viewId,
        header,
        parts: new Array<FlushFrame | undefined>(part.count).fill(undefined),
        have: 0,
        bytes: 0,
      };
      this.#partial.set(from, p);
    }
    if (p.parts[part.index] !== undefined) return null;
    const bytes = jsonBytes(f);
    if (p.bytes + bytes > this.maxBytes) {
      this.#partial.delete(from);
      return reject(
        'remote',
        'too-large',
        `${from}'s FLUSH for view ${f.viewId} in parts is over ${this.maxBytes} bytes; its parts are dropped.`,
      );
    }
    p.bytes += bytes;
    p.parts[part.index] = f;
    p.have += 1;
    if (p.have < p.parts.length) return null;
    this.#partial.delete(from);
    const parts = p.parts as FlushFrame[];
    const { part: _part, ...first } = parts[0]!;
    return { ...first, unstable: parts.flatMap((x) => x.unstable), pending: parts.flatMap((x) => x.pending) };
  }

  /** Drop unfinished reports of peers gone from the view and of views older than `viewId`. */
  prune(members: ReadonlySet<PeerId>, viewId: number): void {
    for (const [peer, p] of this.#partial) if (!members.has(peer) || p.viewId < viewId) this.#partial.delete(peer);
  }

  /** Bytes of `peer`'s unfinished report (0 when none). */
  bytesOf(peer: PeerId): number {
    return this.#partial.get(peer)?.bytes ?? 0;
  }

  /** Per peer, its unfinished report as `viewId:parts held/count:bytes` (for debugState). */
  debug(): Record<string, string> {
    const rows = [...this.#partial].map(([peer, p]): [string, string] => [
      peer,
      `${p.viewId}:${p.have}/${p.parts.length}:${p.bytes}`,
    ]);
    return Object.fromEntries(rows.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }

  /** Unfinished reports held (for debugState). */
  get size(): number {
    return this.#partial.size;
  }
}
