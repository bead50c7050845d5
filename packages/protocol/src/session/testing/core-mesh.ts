// Several SessionCores wired to each other without a network, in the style of
// h11's ConnectionPair: each directed link is a FIFO queue the test drains,
// filters or holds; time moves only when the test says so; signatures are
// placeholders; each node's store is a map keyed like the real stores (by
// message id) and pages by order key. Every command a core returns is carried
// out here, synchronously unless the test holds it.

import { asGroupId, asPeerId, asViewId } from '../../ids.ts';
import type { MemberChange, MessageId, Ordering, PeerId } from '../../ids.ts';
import type { MemberInfo, View } from '../../tracker/events.ts';
import type { GroupFrame, HistoryRequestFrame, HistoryResponseFrame, JoinerState } from '../../wire/frames.ts';
import { readHeldSync, readHistoryPageSync, type HistorySource, type StorePage } from '../../history/history-reader.ts';
import { createEngine } from '../../ordering/create-engine.ts';
import { TICK_MS } from '../policy.ts';
import { SessionCore } from '../session-core.ts';
import type {
  SessionCommand,
  SessionCommands,
  SessionMessage,
  SessionPhase,
  SessionProblem,
  SessionRecord,
} from '../session-types.ts';

export const CORE_GROUP = asGroupId('g1');

export const memberInfo = (id: string): MemberInfo => ({
  peerId: asPeerId(id),
  name: `name-${id}`,
  publicKey: `key-${id}`,
});

export const coreView = (
  viewId: number,
  members: readonly string[],
  changes: readonly [string, MemberChange][] = [],
): View => ({
  groupId: CORE_GROUP,
  viewId: asViewId(viewId),
  members: members.map(memberInfo),
  changes: changes.map(([p, c]) => ({ peerId: asPeerId(p), change: c })),
});

/** A frame on its way, as the test's filter sees it. */
export interface InFlight {
  readonly from: string;
  readonly to: string;
  readonly frame: GroupFrame;
}

export class CoreNode {
  readonly id: string;
  readonly core: SessionCore;
  /** The store: message id → record, first copy kept (as the real stores do). */
  readonly store = new Map<MessageId, SessionRecord>();
  /** What a person would see: the last version of each message by id. */
  readonly shown = new Map<MessageId, SessionMessage>();
  readonly phases: SessionPhase[] = [];
  readonly problems: { readonly problem: SessionProblem; readonly remote: boolean }[] = [];
  readonly submitted = new Map<number, SessionMessage>();
  readonly failed = new Map<number, string>();
  readonly views: View[] = [];
  /** flush-store tickets held by the test (`holdStoreFlush`), answered by `releaseStoreFlush`. */
  readonly heldFlushes: number[] = [];
  holdStoreFlush = false;
  /** Whether the store held every history message when the node became a member. */
  storeAtMember: number | null = null;

  constructor(id: string, mode: Ordering) {
    this.id = id;
    this.core = new SessionCore({
      groupId: CORE_GROUP,
      self: memberInfo(id),
      groupName: 'g1',
      engine: createEngine({ mode, self: asPeerId(id), groupId: CORE_GROUP }),
    });
  }

  /** Delivered bodies in order-key order, as the store pages them. */
  storedBodies(): string[] {
    return [...this.store.values()]
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
      .map((r) => r.frame.body);
  }

  shownBodies(): string[] {
    return [...this.shown.values()]
      .filter((m) => m.state === 'delivered')
      .sort((a, b) => (a.order < b.order ? -1 : 1))
      .map((m) => m.body);
  }

  get phase(): SessionPhase {
    return this.core.phase;
  }
}

export class CoreMesh {
  now = 0;
  readonly nodes = new Map<string, CoreNode>();
  readonly sent: (InFlight & { readonly at: number })[] = [];
  readonly #queues = new Map<string, InFlight[]>();
  readonly #mode: Ordering;
  #ticket = 0;
  /** Return true to drop a frame as it is sent (a lossy or hostile link). */
  drop: ((f: InFlight) => boolean) | null = null;
  /** Return true to hold a frame back (a slow link) until `release()`; later frames on its link wait behind it. */
  hold: ((f: InFlight) => boolean) | null = null;
  readonly #held: InFlight[] = [];

  constructor(mode: Ordering) {
    this.#mode = mode;
  }

  add(id: string): CoreNode {
    const n = new CoreNode(id, this.#mode);
    this.nodes.set(id, n);
    return n;
  }

  node(id: string): CoreNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** The tracker installs `view`: every member named in it hears of it (others are gone). */
  view(viewId: number, members: readonly string[], changes: readonly [string, MemberChange][] = []): View {
    const v = coreView(viewId, members, changes);
    for (const id of members) this.run(this.node(id), (c) => c.trackerView(v, this.now));
    return v;
  }

  send(id: string, text: string): number {
    this.#ticket += 1;
    const ticket = this.#ticket;
    this.run(this.node(id), (c) => c.submit(ticket, text, this.now));
    return ticket;
  }

  /** Delivers queued frames until every link is empty (round robin, each link in order). */
  deliver(maxFrames = 100_000): void {
    for (let n = 0; n < maxFrames; n += 1) {
      const key = [...this.#queues.keys()].find((k) => (this.#queues.get(k)?.length ?? 0) > 0);
      if (key === undefined) return;
      const f = this.#queues.get(key)?.shift() as InFlight;
      const to = this.nodes.get(f.to);
      if (to) this.run(to, (c) => c.receive(asPeerId(f.from), f.frame, this.now));
    }
    throw new Error('deliver: the mesh did not go quiet');
  }

  /** Moves time in TICK_MS steps, ticking every core and delivering after each. */
  advance(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + TICK_MS);
      for (const n of this.nodes.values()) this.run(n, (c) => c.tick(this.now));
      this.deliver();
    }
  }

  /** Removes a node: its queues are dropped and it hears nothing more (a crash). */
  crash(id: string): void {
    this.nodes.delete(id);
    for (const k of [...this.#queues.keys()])
      if (k.startsWith(`${id}>`) || k.endsWith(`>${id}`)) this.#queues.delete(k);
  }

  /** Lets held frames go, in the order they were sent, and stops holding. */
  release(): void {
    this.hold = null;
    for (const f of this.#held.splice(0)) {
      const key = `${f.from}>${f.to}`;
      this.#queues.set(key, [...(this.#queues.get(key) ?? []), f]);
    }
  }

  releaseStoreFlush(id: string): void {
    const n = this.node(id);
    n.holdStoreFlush = false;
    for (const t of n.heldFlushes.splice(0)) this.run(n, (c) => c.storeFlushed(t, this.now));
  }

  /** Frames of kind `t` sent so far from `from` to `to`. */
  count(t: GroupFrame['t'], from: string, to: string): number {
    return this.sent.filter((s) => s.frame.t === t && s.from === from && s.to === to).length;
  }

  /**
   * History requests sent so far from `from` to `to` as `role`: to a sponsor, or to a witness (one item, the
   * newest page: corroboration.ts; a sponsor is always asked for a full page).
   */
  asks(from: string, to: string, role: 'sponsor' | 'witness'): number {
    return this.sent.filter(
      (s) =>
        s.frame.t === 'history-req' && s.from === from && s.to === to && (s.frame.limit === 1) === (role === 'witness'),
    ).length;
  }

  /** Carries out one input's commands; when the outermost is done, the turn ends (SessionCore.endTurn). */
  run(n: CoreNode, input: (core: SessionCore) => SessionCommands): void {
    this.#depth++;
    try {
      for (const c of input(n.core)) this.#carryOut(n, c);
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0 && n.core.turnOpen) this.run(n, (core) => core.endTurn(this.now));
  }

  #depth = 0;

  #carryOut(n: CoreNode, c: SessionCommand): void {
    switch (c.type) {
      case 'send': {
        const f: InFlight = { from: n.id, to: c.to, frame: c.frame };
        this.sent.push({ ...f, at: this.now });
        if (this.drop?.(f) === true) return;
        if (this.#held.some((h) => h.from === f.from && h.to === f.to) || this.hold?.(f) === true) {
          this.#held.push(f);
          return;
        }
        const key = `${n.id}>${c.to}`;
        const q = this.#queues.get(key) ?? [];
        q.push(f);
        this.#queues.set(key, q);
        return;
      }
      case 'sign':
        return this.run(n, (core) => core.signed(c.draft, `sig-${n.id}-${c.draft.seq}`, this.now));
      case 'sign-final':
        return this.run(n, (core) => core.wordSigned(c, `final-${n.id}-${c.final.seq}`, this.now));
      case 'sign-flush':
        return this.run(n, (core) => core.wordSigned(c, `flush-${n.id}-${c.statement.viewId}`, this.now));
      case 'sign-flush-ok':
        return this.run(n, (core) => core.wordSigned(c, `flush-ok-${n.id}-${c.statement.viewId}`, this.now));
      case 'read-held':
        return this.run(n, (core) => core.heldRead(readHeldSync(this.#source(n), CORE_GROUP), this.now));
      case 'read-history':
        return this.run(n, (core) => core.historyRead(c.to, this.#page(n, c.state, c.req), this.now));
      case 'store':
        for (const r of c.messages) if (!n.store.has(r.id)) n.store.set(r.id, r);
        return;
      case 'flush-store':
        if (n.holdStoreFlush) n.heldFlushes.push(c.ticket);
        else this.run(n, (core) => core.storeFlushed(c.ticket, this.now));
        return;
      case 'message':
        n.shown.set(c.message.id, c.message);
        return;
      case 'phase':
        n.phases.push(c.phase);
        if (c.phase === 'member') n.storeAtMember = n.store.size;
        return;
      case 'problem':
        n.problems.push({ problem: c.problem, remote: c.remote });
        return;
      case 'submitted':
        n.submitted.set(c.ticket, c.message);
        return;
      case 'submit-failed':
        n.failed.set(c.ticket, c.code);
        return;
      case 'view':
        n.views.push(c.view);
        return;
      case 'system':
        return;
    }
  }

  /** The node's store as the shared readers see it: pages by order key. */
  #source(n: CoreNode): HistorySource {
    return {
      page: (_groupId, read): StorePage => {
        const list = [...n.store.values()]
          .filter((r) => read.after === null || r.order > read.after)
          .sort((a, b) => (a.order < b.order ? -1 : 1));
        const items = list.slice(0, read.limit);
        return { items, next: list.length > read.limit ? (items.at(-1)?.order ?? null) : null };
      },
    };
  }

  /** The sponsor's page, read from its store by the product's reader (history-reader.ts). */
  #page(n: CoreNode, state: JoinerState, req: HistoryRequestFrame): HistoryResponseFrame {
    return readHistoryPageSync(this.#source(n), { groupId: CORE_GROUP, state, req, keyOf: () => null });
  }
}

export const peer = (id: string): PeerId => asPeerId(id);
