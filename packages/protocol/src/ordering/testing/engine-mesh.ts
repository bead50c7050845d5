// A hand-wired mesh of engines for tests, in the style of h11's
// ConnectionPair: no network, no clock, no randomness. Each directed link is
// a FIFO queue the test drains, holds or cuts explicitly, so every scenario
// is one deterministic interleaving. Signing is out of scope for engines, so
// the signature here is a readable placeholder.

import { GENESIS_PREV } from '../../wire/chain.ts';
import { asGroupId, asPeerId, asViewId } from '../../ids.ts';
import type { MemberChange, Ordering, PeerId } from '../../ids.ts';
import type { MemberInfo, View } from '../../tracker/events.ts';
import type { DataFrame, EngineFrame } from '../../wire/frames.ts';
import type { Delivery, EngineEvent, EngineResult, Rejection } from '../engine.ts';
import { createEngine } from '../create-engine.ts';
import type { EngineClass, EngineResume } from '../create-engine.ts';
import type { EngineHooks } from '../engine-hooks.ts';
import type { GroupEngine } from '../group-engine.ts';

export const GROUP = asGroupId('g1');

const member = (id: string): MemberInfo => ({ peerId: asPeerId(id), name: id, publicKey: `key-${id}` });

export const makeView = (
  viewId: number,
  members: readonly string[],
  changes: readonly [string, MemberChange][] = [],
): View => ({
  groupId: GROUP,
  viewId: asViewId(viewId),
  members: members.map(member),
  changes: changes.map(([p, c]) => ({ peerId: asPeerId(p), change: c })),
});

export interface RejectionRecord {
  readonly at: string;
  readonly from: string;
  readonly frame: string;
  readonly rejection: Rejection;
}

export class EngineMesh {
  readonly engines = new Map<string, GroupEngine>();
  readonly logs = new Map<string, Delivery[]>();
  readonly events = new Map<string, EngineEvent[]>();
  readonly rejections: RejectionRecord[] = [];
  private readonly links = new Map<string, EngineFrame[]>();
  private readonly cut = new Set<string>();
  now = 0;

  constructor(
    readonly mode: Ordering,
    ids: readonly string[],
    hooks: Partial<EngineHooks> = {},
    Engine?: EngineClass,
  ) {
    for (const id of ids) this.add(id, hooks, undefined, Engine);
  }

  /**
   * A new engine for `id` (replacing any earlier one: a re-join with the same peer id); `resume` as the
   * runtime would pass it; `Engine` a broken variant from sim/broken/ (GroupEngine when left out).
   */
  add(id: string, hooks: Partial<EngineHooks> = {}, resume?: EngineResume, Engine?: EngineClass): GroupEngine {
    const e = createEngine(
      { mode: this.mode, self: asPeerId(id), groupId: GROUP, hooks, ...(resume === undefined ? {} : { resume }) },
      Engine,
    );
    this.engines.set(id, e);
    this.logs.set(id, []);
    this.events.set(id, []);
    return e;
  }

  engine(id: string): GroupEngine {
    const e = this.engines.get(id);
    if (e === undefined) throw new Error(`no engine ${id}`);
    return e;
  }

  /** Bodies delivered at `id`, in delivery order. */
  bodies(id: string): string[] {
    return (this.logs.get(id) ?? []).map((d) => d.frame.body);
  }

  orders(id: string): string[] {
    return (this.logs.get(id) ?? []).map((d) => d.order);
  }

  /** Apply an engine result at `at`: queue its frames, record deliveries and events. */
  apply(at: string, r: EngineResult): EngineResult {
    if ('rejected' in r) return r;
    const e = this.engine(at);
    for (const o of r.frames) {
      const targets = o.to === 'all' ? (e.view?.members ?? []).map((m) => m.peerId).filter((p) => p !== at) : [o.to];
      for (const t of targets) if (this.engines.has(t)) this.queue(at, t).push(o.frame);
    }
    this.logs.get(at)?.push(...r.deliveries);
    this.events.get(at)?.push(...r.events);
    return r;
  }

  private queue(from: string, to: string): EngineFrame[] {
    const k = `${from}>${to}`;
    let q = this.links.get(k);
    if (q === undefined) {
      q = [];
      this.links.set(k, q);
    }
    return q;
  }

  /** Draft, "sign", commit: what the runtime does for one composer send. */
  send(id: string, body: string): DataFrame {
    const e = this.engine(id);
    this.now += 1;
    const fields = e.draft(body, this.now);
    if ('rejected' in fields) throw new Error(`draft refused: ${fields.error.message}`);
    // Engines do not look at chains (the session does, PROTOCOL.md §1.5): every frame starts one, so it parses.
    const frame: DataFrame = { t: 'data', ...fields, prev: GENESIS_PREV, sig: `sig:${fields.sender}:${fields.seq}` };
    const r = this.apply(id, e.send(frame, this.now));
    if ('rejected' in r) throw new Error(`send refused: ${r.error.message}`);
    return frame;
  }

  installView(view: View, at: readonly string[] = view.members.map((m) => m.peerId)): void {
    for (const id of at) if (this.engines.has(id)) this.apply(id, this.engine(id).installView(view, this.now));
  }

  pending(from: string, to: string): readonly EngineFrame[] {
    return this.links.get(`${from}>${to}`) ?? [];
  }

  /** Deliver the next frame queued on from>to; false when the link is empty or cut. */
  step(from: string, to: string): boolean {
    if (this.cut.has(`${from}>${to}`)) return false;
    const q = this.links.get(`${from}>${to}`);
    const f = q?.shift();
    if (f === undefined || !this.engines.has(to)) return false;
    this.now += 1;
    const r = this.apply(to, this.engine(to).receive(asPeerId(from), f, this.now));
    if ('rejected' in r) this.rejections.push({ at: to, from, frame: f.t, rejection: r });
    return true;
  }

  /** Drain every link, round-robin, until nothing moves. */
  run(maxSteps = 100_000): void {
    for (let n = 0; n < maxSteps;) {
      let moved = false;
      for (const k of [...this.links.keys()].sort()) {
        const [from, to] = k.split('>') as [string, string];
        if (this.step(from, to)) {
          moved = true;
          n += 1;
        }
      }
      if (!moved) return;
    }
    throw new Error('mesh did not settle');
  }

  /** Like run(), but frames on from>to stay queued from the first one `hold` matches (say, a FLUSH-OK that is late). */
  runHolding(from: string, to: string, hold: (f: EngineFrame) => boolean, maxSteps = 100_000): void {
    const held = `${from}>${to}`;
    for (let n = 0; n < maxSteps;) {
      let moved = false;
      for (const k of [...this.links.keys()].sort()) {
        const head = this.links.get(k)?.[0];
        if (k === held && head !== undefined && hold(head)) continue;
        const [a, b] = k.split('>') as [string, string];
        if (this.step(a, b)) {
          moved = true;
          n += 1;
        }
      }
      if (!moved) return;
    }
    throw new Error('mesh did not settle');
  }

  /** Remove and return everything queued on from>to, so a test can hand it over in its own order. */
  take(from: string, to: string): EngineFrame[] {
    const q = this.links.get(`${from}>${to}`) ?? [];
    return q.splice(0, q.length);
  }

  /** Hand one frame to `to` as if it came from `from`; rejections are returned, not recorded. */
  deliverFrame(from: string, to: string, frame: EngineFrame): EngineResult {
    this.now += 1;
    return this.apply(to, this.engine(to).receive(asPeerId(from), frame, this.now));
  }

  /** Lose everything queued on from>to (a data channel that died with frames in flight). */
  lose(from: string, to: string): number {
    const q = this.links.get(`${from}>${to}`) ?? [];
    const n = q.length;
    q.length = 0;
    return n;
  }

  /** While cut, frames queue up but do not move. */
  setCut(from: string, to: string, isCut: boolean): void {
    if (isCut) this.cut.add(`${from}>${to}`);
    else this.cut.delete(`${from}>${to}`);
  }

  /** A crashed peer: its engine is gone and nothing more leaves or reaches it. */
  crash(id: string): void {
    this.engines.delete(id);
    for (const k of this.links.keys()) if (k.startsWith(`${id}>`) || k.endsWith(`>${id}`)) this.links.delete(k);
  }

  linkUp(a: string, b: string): void {
    this.apply(a, this.engine(a).linkUp(asPeerId(b), this.now));
    this.apply(b, this.engine(b).linkUp(asPeerId(a), this.now));
  }

  tick(id: string, now: number): void {
    this.now = Math.max(this.now, now);
    this.apply(id, this.engine(id).tick(now));
  }

  /** Start a group whose members all begin together with empty state. */
  static started(
    mode: Ordering,
    ids: readonly string[],
    hooks: Partial<EngineHooks> = {},
    Engine?: EngineClass,
  ): EngineMesh {
    const m = new EngineMesh(mode, ids, hooks, Engine);
    m.installView(makeView(1, ids));
    m.run();
    return m;
  }
}

export const peer = asPeerId;
export type { PeerId };
