// One deterministic run of a scenario. The simulator plays everything around
// the engines: the data channels (network.ts), the tracker (model-tracker.ts),
// and the runtime of each node — it routes Outbound frames, signs drafts,
// installs views, hands a joiner its sponsor's history and state once the
// joiner's engine has installed the view they were made for, and ticks. The checker sees every delivery and every installed view as it
// happens; after the faults heal the run goes on until only ticks are left
// and then liveness is checked.

import type { GroupId, LeaveReason, PeerId } from '../src/ids.ts';
import { asGroupId, asPeerId } from '../src/ids.ts';
import type { Delivery, EngineResult, OrderingEngine } from '../src/ordering/engine.ts';
import { isRejection } from '../src/ordering/engine.ts';
import type { View } from '../src/tracker/events.ts';
import type { DataFrame, EngineFrame, JoinerState } from '../src/wire/frames.ts';
import { Checker, ViolationError } from './checker.ts';
import type { Guarantee, Violation } from './checker.ts';
import type { EngineFactory } from './engine-factory.ts';
import { readCounters } from './engine-factory.ts';
import { EventQueue } from './event-queue.ts';
import { fakeSign } from './fake-signature.ts';
import { ModelTracker } from './model-tracker.ts';
import { Network } from './network.ts';
import { Prng } from './prng.ts';
import type { Action, Scenario } from './scenario.ts';
import { isFault } from './scenario.ts';

/** The tracker notices a crash between these (the product default is ≤ 10 s; shorter keeps runs small). */
export const DETECT_MIN_MS = 200;
export const DETECT_MAX_MS = 1500;
/** A link down longer than this gets the younger member evicted (DESIGN §3). */
export const LINK_GRACE_MS = 2000;
/** Tracker-to-peer socket latency; every node sees views in order but at different times. */
const VIEW_MIN_DELAY_MS = 1;
const VIEW_MAX_DELAY_MS = 120;
/** Signaling plus ICE until a joiner's data channel is open. */
const SIGNALING_MIN_MS = 10;
const SIGNALING_MAX_MS = 300;
/** A graceful leave reaches the tracker after one socket hop. */
const LEAVE_NOTICE_MS = 5;
/** Runtime tick period (resends, stability); engines must not finalize on it. */
export const TICK_MS = 250;
/** After the last action, armed crash points are disarmed: faults stop. */
const HEAL_AFTER_MS = 1000;
/** With only ticks left for this long, the run is quiescent. */
const QUIET_MS = 3 * TICK_MS;
/** A run that never quiesces is a liveness bug, not a hang of the test. */
const MAX_EVENTS = 200_000;
/** Far above any resend or flush round here (tens of ms per hop, 1 s stability announcements). */
const MAX_MS_AFTER_HEAL = 30_000;

const GROUP: GroupId = asGroupId('g-sim');

type Status = 'joining' | 'member' | 'crashed' | 'left' | 'removed';

interface SimNode {
  readonly id: PeerId;
  readonly name: string;
  readonly engine: OrderingEngine;
  status: Status;
  /** True once the runtime called installView the first time. */
  started: boolean;
  /** Joined after the group was founded (gets history from a sponsor). */
  readonly joiner: boolean;
  /** The sponsor's hand-over, kept until the engine has installed the view it was made for. */
  pendingHistory: HistoryEvent | null;
  /** The latest view the tracker told this node about. */
  latestView: View | null;
  readonly log: Delivery[];
  readonly outbox: string[];
  /** Crash after putting this many more frames on links (null = not armed). */
  crashAfter: number | null;
}

interface HistoryEvent {
  readonly k: 'history';
  readonly from: PeerId;
  readonly to: PeerId;
  readonly epoch: number;
  readonly items: readonly Delivery[];
  readonly state: JoinerState;
  readonly viewId: number;
}

type SimEvent =
  | { readonly k: 'action'; readonly action: Action }
  | { readonly k: 'frame'; readonly from: PeerId; readonly to: PeerId; readonly epoch: number; readonly frame: EngineFrame }
  | HistoryEvent
  | { readonly k: 'view'; readonly to: PeerId; readonly view: View }
  | { readonly k: 'removed'; readonly to: PeerId; readonly reason: LeaveReason }
  | { readonly k: 'link-up'; readonly a: PeerId; readonly b: PeerId; readonly reconnect: boolean }
  | { readonly k: 'detect'; readonly peer: PeerId }
  | { readonly k: 'leave-notice'; readonly peer: PeerId }
  | { readonly k: 'link-grace'; readonly a: PeerId; readonly b: PeerId; readonly epoch: number }
  | { readonly k: 'heal' }
  | { readonly k: 'tick'; readonly node: PeerId };

export interface SimStats {
  steps: number;
  /** Messages a sender committed (engine.send accepted). */
  messages: number;
  deliveries: number;
  frames: number;
  faults: number;
  views: number;
  /** Inputs an engine refused (counted, never fatal: a refused input leaves state unchanged). */
  rejections: number;
  virtualMs: number;
}

export interface SimResult {
  readonly scenario: Scenario;
  readonly violation: Violation | null;
  /** Violations of tolerated guarantees (known engine gaps), in the order they happened. */
  readonly tolerated: readonly Violation[];
  readonly stats: SimStats;
  readonly trace: readonly string[];
}

export interface SimOptions {
  readonly factory: EngineFactory;
  /** Record a line per step (for `npm run sim -- --seed N`). */
  readonly trace?: boolean;
  /** Guarantees recorded rather than fatal (only S4U supports it: a known engine gap). */
  readonly tolerate?: readonly Guarantee[];
}

const describeFrame = (f: EngineFrame): string => {
  switch (f.t) {
    case 'data':
      return `DATA ${f.sender}:${f.seq} v${f.viewId} "${f.body}"`;
    case 'propose':
      return `PROPOSE ${f.sender}:${f.seq} v${f.viewId} (${f.priority.p},${f.priority.by})`;
    case 'final':
      return `FINAL ${f.sender}:${f.seq} v${f.viewId} (${f.priority.p},${f.priority.by})`;
    case 'flush':
      return `FLUSH v${f.viewId}${f.joining === true ? ' (joining)' : ''} unstable=${f.unstable.length} pending=${f.pending.length} A=${f.agreed} delivered=${JSON.stringify(f.delivered)}`;
    case 'flush-ok':
      return `FLUSH-OK v${f.viewId}`;
    case 'hwm':
      return `HWM v${f.viewId} ${JSON.stringify(f.delivered)}`;
  }
};

export class Simulation {
  private readonly rng: Prng;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly net: Network;
  private readonly tracker = new ModelTracker(GROUP);
  private readonly checker: Checker;
  private readonly nodes = new Map<PeerId, SimNode>();
  /** Creation order, so scenario indices resolve the same way every run. */
  private readonly order: PeerId[] = [];
  private readonly viewArrival = new Map<PeerId, number>();
  private readonly trace: string[] = [];
  private readonly stats: SimStats = {
    steps: 0, messages: 0, deliveries: 0, frames: 0, faults: 0, views: 0, rejections: 0, virtualMs: 0,
  };
  private now = 0;
  private pendingNonTick = 0;
  private healed = false;
  private healedAt = 0;
  private bodyCounter = 0;
  private nameCounter = 0;
  private readonly sessions = new Map<string, number>();
  private readonly draining = new Set<PeerId>();
  private readonly founders: PeerId[] = [];

  constructor(private readonly scenario: Scenario, private readonly options: SimOptions) {
    this.rng = new Prng(scenario.seed);
    this.net = new Network(this.rng);
    this.checker = new Checker(scenario.mode, new Set(options.tolerate ?? []));
  }

  private log(line: string): void {
    if (this.options.trace === true) this.trace.push(`[${String(this.now).padStart(6)}ms] ${line}`);
  }

  private schedule(at: number, event: SimEvent): void {
    if (event.k !== 'tick') this.pendingNonTick++;
    this.queue.push(at, event);
  }

  // ---------------------------------------------------------------- run

  run(): SimResult {
    let violation: Violation | null = null;
    try {
      this.found();
      this.loop(() => this.formed());
      let at = this.now;
      for (const step of this.scenario.steps) {
        at += step.gap;
        this.schedule(at, { k: 'action', action: step.action });
      }
      this.schedule(at + HEAL_AFTER_MS, { k: 'heal' });
      this.loop();
      this.checkLiveness();
    } catch (e) {
      if (!(e instanceof ViolationError)) throw e;
      violation = e.violation;
      this.log(`VIOLATION ${e.message}`);
    }
    this.stats.virtualMs = this.now;
    return { scenario: this.scenario, violation, tolerated: this.checker.tolerated, stats: this.stats, trace: this.trace };
  }

  /** Runs events until `until` holds (or, without it, until quiescence after the faults healed). */
  private loop(until?: () => boolean): void {
    let quietSince: number | null = null;
    for (;;) {
      if (until?.() === true) return;
      const next = this.queue.pop();
      if (next === undefined) return;
      this.now = next.at;
      this.stats.steps++;
      if (next.event.k !== 'tick') this.pendingNonTick--;
      this.handle(next.event);
      if (this.stats.steps > MAX_EVENTS || (this.healed && this.now > this.healedAt + MAX_MS_AFTER_HEAL)) {
        throw new ViolationError({
          rule: 'L2', node: null,
          message: `no quiescence after ${this.stats.steps} events and ${this.now} virtual ms`,
        });
      }
      if (this.healed && this.pendingNonTick === 0) {
        quietSince ??= this.now;
        if (this.now - quietSince >= QUIET_MS) return;
      } else {
        quietSince = null;
      }
    }
  }

  // ---------------------------------------------------------------- nodes

  private newNode(name: string, joiner: boolean): SimNode {
    const session = (this.sessions.get(name) ?? 0) + 1;
    this.sessions.set(name, session);
    // A random prefix so the lowest peer id (sponsor, tie-breaks) is not always the oldest member.
    const id = asPeerId(`${this.rng.hex(3)}-${name}${session}`);
    const node: SimNode = {
      id,
      name,
      engine: this.options.factory({ mode: this.scenario.mode, self: id, groupId: GROUP }),
      status: joiner ? 'joining' : 'member',
      started: false,
      joiner,
      pendingHistory: null,
      latestView: null,
      log: [],
      outbox: [],
      crashAfter: null,
    };
    this.nodes.set(id, node);
    this.order.push(id);
    return node;
  }

  private nextName(): string {
    const n = this.nameCounter++;
    return n < 26 ? String.fromCharCode(97 + n) : `u${n}`;
  }

  private active(n: SimNode): boolean {
    return n.status === 'joining' || n.status === 'member';
  }

  /** Live nodes that have installed a view, in creation order. */
  private members(): SimNode[] {
    return this.order.map((id) => this.nodes.get(id) as SimNode).filter((n) => n.status === 'member' && n.started);
  }

  private pick(index: number): SimNode | null {
    const m = this.members();
    return m.length === 0 ? null : (m[index % m.length] as SimNode);
  }

  /**
   * The group forms as the tracker makes it: the creator alone in view 1,
   * then every other founder joins (two-phase, with history) at once.
   * Actions start once all of them are members.
   */
  private found(): void {
    const creator = this.newNode(this.nextName(), false);
    const view = this.tracker.found([{ peer: creator.id, name: creator.name }]);
    this.log(`${creator.id} creates the group (${this.scenario.mode}) as view ${view.viewId}`);
    creator.latestView = view;
    this.checker.onFreshStart(creator.id, view.viewId);
    this.installAt(creator, view);
    for (let i = 1; i < this.scenario.size; i++) this.founders.push(this.join(0, this.nextName()).id);
  }

  private formed(): boolean {
    return this.founders.every((p) => {
      const n = this.nodes.get(p) as SimNode;
      return n.status === 'member' && n.engine.view?.viewId === this.tracker.currentViewId;
    });
  }

  // ---------------------------------------------------------------- engine I/O

  /** Every engine call goes through here: a throw is a bug, a rejection is counted. */
  private call(node: SimNode, what: string, fn: () => EngineResult): void {
    let result: EngineResult;
    try {
      result = fn();
    } catch (e) {
      throw new ViolationError({ rule: 'ENGINE', node: node.id, message: `${what} threw: ${(e as Error).message}` });
    }
    this.apply(node, result, what);
  }

  private apply(node: SimNode, result: EngineResult, what: string): void {
    if (isRejection(result)) {
      this.stats.rejections++;
      this.log(`${node.id} ${what} rejected (${result.fault}) ${result.error.code}: ${result.error.message}`);
      return;
    }
    const counters = readCounters(node.engine);
    this.checker.onCounters(node.id, counters);
    if (node.status === 'joining' && counters.adopted === true) {
      // No flush participant had any state (no deliveries anywhere yet, or every old member is gone):
      // the engine starts afresh with an empty log. With a live member holding state this would be
      // a lost history, and S4/S7 will say so; with none, it is a new era of the group's log.
      // Only members of the view it starts in could have handed it a history.
      const withState = (node.engine.view?.members ?? []).flatMap((m) => {
        const n = this.nodes.get(m.peerId);
        return n !== undefined && n !== node && n.status === 'member' ? [n] : [];
      });
      const holder = withState.some((n) => n.log.length > 0);
      this.log(`${node.id} starts with empty state (${holder ? 'although a live member has state' : 'no live member has any'})`);
      node.status = 'member';
      // A member with state in the view: the node joins its incarnation (PROTOCOL.md §3.11) — the flush
      // told the engine which — and must then deliver that era's log from its start (S4 says if it
      // does not). A member of the same flush may have delivered already (seed 1168085).
      const peer = withState[0];
      if (peer !== undefined) this.checker.onSameEra(node.id, peer.id);
      else this.checker.onFreshStart(node.id, counters.incarnation ?? node.engine.view?.viewId ?? 0);
      this.checker.onAdopted(node.id);
    }
    // Deliveries of a view come before that view's installation in one result:
    // replay them in view order so S5 sees what the engine meant.
    const installs = result.events.filter((e) => e.type === 'view-installed');
    let nextInstall = 0;
    const install = (view: View): void => {
      this.log(`${node.id} installed view ${view.viewId} [${view.members.map((m) => m.peerId).join(' ')}]`);
      this.checker.onViewInstalled(node.id, view.viewId, node.status === 'member');
    };
    for (const d of result.deliveries) {
      for (let e = installs[nextInstall]; e !== undefined && e.type === 'view-installed' && d.viewId >= e.view.viewId; e = installs[++nextInstall]) {
        install(e.view);
      }
      this.checker.onDeliver(node.id, d, false);
      node.log.push(d);
      this.stats.deliveries++;
      this.log(`${node.id} delivered ${d.id} "${d.frame.body}" order=${d.order} v${d.viewId}`);
    }
    for (let e = installs[nextInstall]; e !== undefined; e = installs[++nextInstall]) {
      if (e.type === 'view-installed') install(e.view);
    }
    for (const e of result.events) {
      if (e.type === 'message-dropped') this.log(`${node.id} dropped ${e.id}: ${e.reason}`);
    }
    // The hand-over is made after the whole call, as a runtime does once it stored the
    // call's deliveries: the log and joinerState() then describe the same moment.
    if (installs.length > 0) this.sponsor(node);
    for (const out of result.frames) {
      const targets = out.to === 'all' ? this.allOf(node) : [out.to];
      for (const to of targets) {
        if (!this.active(node)) return; // crashed mid-multicast: the rest never leaves
        if (node.crashAfter !== null) {
          if (node.crashAfter === 0) {
            this.crash(node, 'armed crash point reached');
            return;
          }
          node.crashAfter--;
        }
        this.transmit(node.id, to, out.frame);
      }
    }
    // A view installed by this call (a flush that completed on a FLUSH frame, not only on a
    // view from the tracker) may be the one a waiting hand-over was made for.
    if (installs.length > 0) this.tryAdopt(node);
    this.drain(node);
  }

  /** `to: 'all'`: every other member of the node's installed view (the tracker's latest before the first install). */
  private allOf(node: SimNode): PeerId[] {
    const view = node.engine.view ?? node.latestView;
    if (view === null) return [];
    return view.members.map((m) => m.peerId).filter((p) => p !== node.id);
  }

  private transmit(from: PeerId, to: PeerId, frame: EngineFrame): void {
    const arrival = this.net.schedule(from, to, this.now);
    this.stats.frames++;
    if (arrival === null) {
      this.log(`${from} -> ${to} ${describeFrame(frame)} LOST (link down)`);
      return;
    }
    const ev: SimEvent = { k: 'frame', from, to, epoch: arrival.epoch, frame };
    this.schedule(arrival.at, ev);
    if (arrival.twice) this.schedule(arrival.at, ev);
  }

  /** The runtime's composer queue: a message waits while the engine refuses drafts (view change). */
  private drain(node: SimNode): void {
    if (this.draining.has(node.id)) return;
    this.draining.add(node.id);
    try {
      while (node.outbox.length > 0 && node.status === 'member' && node.started && node.engine.view !== null) {
        const body = node.outbox[0] as string;
        let fields;
        try {
          fields = node.engine.draft(body, this.now);
        } catch (e) {
          throw new ViolationError({ rule: 'ENGINE', node: node.id, message: `draft threw: ${(e as Error).message}` });
        }
        if (isRejection(fields)) return;
        node.outbox.shift();
        const frame: DataFrame = { ...fields, t: 'data', sig: fakeSign(fields) };
        this.checker.onSent(frame);
        this.stats.messages++;
        this.log(`${node.id} sends ${frame.sender}:${frame.seq} "${body}" in view ${frame.viewId}`);
        let result: EngineResult;
        try {
          result = node.engine.send(frame, this.now);
        } catch (e) {
          throw new ViolationError({ rule: 'ENGINE', node: node.id, message: `send threw: ${(e as Error).message}` });
        }
        if (isRejection(result)) {
          throw new ViolationError({
            rule: 'ENGINE', node: node.id,
            message: `send refused the frame built from its own draft: ${result.error.code} ${result.error.message}`,
          });
        }
        this.apply(node, result, 'send');
      }
    } finally {
      this.draining.delete(node.id);
    }
  }

  // ---------------------------------------------------------------- joiners

  /**
   * On installing `view`, a member with state hands each member of the view
   * that still waits for state its log and engine state. Every such member
   * does it, not only the lowest: which members have state when is a matter of
   * timing, and a rule by peer id alone can name a sponsor that has none yet
   * (a joiner of the previous view whose sponsor crashed). The joiner adopts
   * the first hand-over made for the view its engine installed.
   */
  private sponsor(node: SimNode): void {
    const view = node.engine.view;
    if (node.status !== 'member' || view === null) return;
    const state = node.engine.joinerState();
    const waiting = view.members.map((m) => m.peerId).filter((p) => p !== node.id && this.nodes.get(p)?.status === 'joining');
    for (const j of waiting) {
      const arrival = this.net.schedule(node.id, j, this.now);
      if (arrival === null) {
        this.log(`${node.id} cannot sponsor ${j}: link down`);
        continue;
      }
      this.log(`${node.id} sponsors ${j}: ${node.log.length} messages for view ${state.viewId}`);
      this.schedule(arrival.at, {
        k: 'history', from: node.id, to: j, epoch: arrival.epoch,
        items: [...node.log], state, viewId: state.viewId,
      });
    }
  }

  private installAt(node: SimNode, view: View): void {
    if (!this.active(node)) return;
    const first = !node.started;
    node.started = true;
    this.call(node, 'installView', () => node.engine.installView(view, this.now));
    if (first) this.schedule(this.now + TICK_MS, { k: 'tick', node: node.id });
    this.tryAdopt(node);
  }

  /** A joiner adopts its sponsor's hand-over once its engine has installed the view it was made for. */
  private tryAdopt(node: SimNode): void {
    const h = node.pendingHistory;
    if (h === null || node.status !== 'joining') return;
    const installed = node.engine.view?.viewId ?? -1;
    if (installed > h.viewId) {
      this.log(`${node.id} drops history for view ${h.viewId}: view ${installed} is installed, a newer sponsor will hand over`);
      node.pendingHistory = null;
      return;
    }
    if (installed < h.viewId) return;
    node.pendingHistory = null;
    this.log(`${node.id} adopts history from ${h.from}: ${h.items.length} messages, view ${h.viewId}`);
    this.checker.onHistory(node.id, h.items, h.from);
    node.log.push(...h.items);
    node.status = 'member';
    this.checker.onAdopted(node.id);
    this.call(node, 'adoptJoinerState', () => node.engine.adoptJoinerState(h.state));
  }

  // ---------------------------------------------------------------- faults and membership

  private crash(node: SimNode, why: string): void {
    if (!this.active(node)) return;
    node.status = 'crashed';
    node.crashAfter = null;
    this.checker.onGone(node.id);
    this.log(`${node.id} CRASHES (${why})`);
    this.schedule(this.now + this.rng.int(DETECT_MIN_MS, DETECT_MAX_MS), { k: 'detect', peer: node.id });
  }

  private sendView(view: View | null | 'joiner', removed?: { peer: PeerId; reason: LeaveReason }): void {
    if (removed !== undefined && view !== null) {
      const r = this.nodes.get(removed.peer);
      if (r !== undefined && this.active(r)) this.schedule(this.viewTime(removed.peer), { k: 'removed', to: removed.peer, reason: removed.reason });
    }
    if (view === null || view === 'joiner') return;
    this.stats.views++;
    this.log(`tracker issues view ${view.viewId} [${view.members.map((m) => m.peerId).join(' ')}] ${view.changes.map((c) => `${c.change}:${c.peerId}`).join(' ')}`);
    for (const m of view.members) this.schedule(this.viewTime(m.peerId), { k: 'view', to: m.peerId, view });
  }

  /** Tracker-to-node delivery time: random, but in order per node (one socket). */
  private viewTime(peer: PeerId): number {
    const at = Math.max(this.now + this.rng.int(VIEW_MIN_DELAY_MS, VIEW_MAX_DELAY_MS), this.viewArrival.get(peer) ?? 0);
    this.viewArrival.set(peer, at);
    return at;
  }

  private removeFromGroup(peer: PeerId, reason: LeaveReason): void {
    // Out of the group from the tracker's decision on, even before it hears so (false suspicion,
    // eviction): what it delivers still counts as a gone member's log (S4U), its keys bind nobody.
    this.checker.onGone(peer);
    this.sendView(this.tracker.remove(peer, reason), { peer, reason });
    this.admitReady();
  }

  /** Phase two for every joiner whose links to all members are up. */
  private admitReady(): void {
    for (const j of [...this.tracker.joining]) {
      if (this.tracker.members.every((m) => this.net.isUp(j, m))) this.sendView(this.tracker.admit(j));
    }
  }

  private join(sendOnArrival: number, name: string): SimNode {
    const node = this.newNode(name, true);
    const installed = this.tracker.askToJoin(node.id, name);
    this.log(`${node.id} asks to join`);
    for (let i = 0; i < sendOnArrival; i++) node.outbox.push(this.body());
    const peers = [...this.tracker.members, ...this.tracker.joining].filter((p) => p !== node.id);
    for (const p of peers) {
      this.schedule(this.now + this.rng.int(SIGNALING_MIN_MS, SIGNALING_MAX_MS), { k: 'link-up', a: node.id, b: p, reconnect: false });
    }
    if (installed !== null) this.sendView(installed); // an empty group: nobody to link to
    return node;
  }

  private body(): string {
    return `m${++this.bodyCounter}`;
  }

  private queueSend(node: SimNode, count: number): void {
    for (let i = 0; i < count; i++) node.outbox.push(this.body());
    this.drain(node);
  }

  private runAction(a: Action): void {
    if (isFault(a)) this.stats.faults++;
    this.log(`ACTION ${JSON.stringify(a)}`);
    switch (a.k) {
      case 'send': {
        const n = this.pick(a.node);
        if (n !== null) this.queueSend(n, a.count);
        return;
      }
      case 'send-all':
        for (const n of this.members()) this.queueSend(n, 1);
        return;
      case 'crash': {
        const n = this.pick(a.node);
        if (n !== null) this.crash(n, 'scenario');
        return;
      }
      case 'crash-after': {
        const n = this.pick(a.node);
        if (n === null) return;
        if (a.frames === 0 && !a.send) {
          this.crash(n, 'scenario');
          return;
        }
        n.crashAfter = a.frames;
        if (a.send) this.queueSend(n, 1);
        return;
      }
      case 'crash-many': {
        const keep = this.pick(a.node);
        for (const n of this.members()) if (n !== keep) this.crash(n, 'n-1 crash');
        return;
      }
      case 'leave': {
        const n = this.pick(a.node);
        if (n !== null) this.leave(n);
        return;
      }
      case 'join': {
        const j = this.join(a.send, this.nextName());
        if (a.send > 0) for (const n of this.members()) if (n !== j) this.queueSend(n, 1);
        return;
      }
      case 'rejoin': {
        const n = this.pick(a.node);
        if (n === null) return;
        if (a.graceful) this.leave(n);
        else this.crash(n, 'before rejoining');
        this.join(0, n.name);
        return;
      }
      case 'suspect': {
        const n = this.pick(a.node);
        if (n === null || !this.tracker.isMember(n.id)) return;
        this.log(`tracker falsely suspects ${n.id}`);
        this.removeFromGroup(n.id, 'failed');
        return;
      }
      case 'link-fail': {
        const x = this.pick(a.a);
        const y = this.pick(a.b);
        if (x === null || y === null || x === y || !this.net.isUp(x.id, y.id)) return;
        this.net.down(x.id, y.id);
        this.log(`link ${x.id}~${y.id} DOWN for ${a.downMs}ms`);
        if (a.downMs > LINK_GRACE_MS) {
          this.schedule(this.now + LINK_GRACE_MS, { k: 'link-grace', a: x.id, b: y.id, epoch: this.net.epochOf(x.id, y.id) });
        }
        this.schedule(this.now + a.downMs, { k: 'link-up', a: x.id, b: y.id, reconnect: true });
        return;
      }
      case 'duplicate': {
        const x = this.pick(a.a);
        const y = this.pick(a.b);
        if (x !== null && y !== null && x !== y) this.net.markDuplicate(x.id, y.id);
        return;
      }
      case 'tracker-restart':
        this.log('tracker restarts and re-sends views');
        this.sendView(this.tracker.restart());
        return;
    }
  }

  private leave(n: SimNode): void {
    if (!this.active(n)) return;
    n.status = 'left';
    this.checker.onGone(n.id);
    this.log(`${n.id} leaves`);
    this.schedule(this.now + LEAVE_NOTICE_MS, { k: 'leave-notice', peer: n.id });
  }

  // ---------------------------------------------------------------- events

  private handle(ev: SimEvent): void {
    switch (ev.k) {
      case 'action':
        this.runAction(ev.action);
        return;
      case 'heal':
        this.healed = true;
        this.healedAt = this.now;
        for (const n of this.nodes.values()) n.crashAfter = null;
        this.log('faults healed');
        return;
      case 'tick': {
        const n = this.nodes.get(ev.node) as SimNode;
        if (!this.active(n)) return;
        this.call(n, 'tick', () => n.engine.tick(this.now));
        this.schedule(this.now + TICK_MS, { k: 'tick', node: n.id });
        return;
      }
      case 'frame': {
        const n = this.nodes.get(ev.to) as SimNode;
        if (!this.net.current(ev.from, ev.to, ev.epoch) || !this.active(n)) return;
        this.log(`${ev.from} -> ${ev.to} ${describeFrame(ev.frame)}`);
        this.call(n, `receive from ${ev.from}`, () => n.engine.receive(ev.from, ev.frame, this.now));
        return;
      }
      case 'history': {
        const n = this.nodes.get(ev.to) as SimNode;
        if (!this.net.current(ev.from, ev.to, ev.epoch) || n.status !== 'joining') return;
        if (n.pendingHistory === null || n.pendingHistory.viewId < ev.viewId) n.pendingHistory = ev;
        this.tryAdopt(n);
        return;
      }
      case 'view':
        this.onView(ev.to, ev.view);
        return;
      case 'removed': {
        const n = this.nodes.get(ev.to) as SimNode;
        if (!this.active(n)) return;
        n.status = 'removed';
        this.checker.onGone(n.id);
        this.log(`${n.id} is told it was removed (${ev.reason}) while alive`);
        return;
      }
      case 'link-up': {
        const a = this.nodes.get(ev.a) as SimNode;
        const b = this.nodes.get(ev.b) as SimNode;
        if (!this.active(a) || !this.active(b)) return;
        this.net.up(a.id, b.id);
        this.log(`link ${a.id}~${b.id} UP${ev.reconnect ? ' again' : ''}`);
        if (ev.reconnect) {
          for (const [x, y] of [[a, b], [b, a]] as const) {
            if (x.status === 'member' && x.started && this.active(y)) this.call(x, `linkUp ${y.id}`, () => x.engine.linkUp(y.id, this.now));
          }
        }
        this.admitReady();
        return;
      }
      case 'detect':
        this.log(`tracker detects ${ev.peer} failed`);
        this.removeFromGroup(ev.peer, 'failed');
        return;
      case 'leave-notice':
        this.removeFromGroup(ev.peer, 'left');
        return;
      case 'link-grace': {
        if (this.net.isUp(ev.a, ev.b) || this.net.epochOf(ev.a, ev.b) !== ev.epoch) return;
        if (!this.tracker.isMember(ev.a) || !this.tracker.isMember(ev.b)) return;
        const evict = this.tracker.younger(ev.a, ev.b);
        this.log(`link ${ev.a}~${ev.b} down past grace: tracker evicts ${evict}`);
        this.removeFromGroup(evict, 'evicted');
        return;
      }
    }
  }

  private onView(to: PeerId, view: View): void {
    const n = this.nodes.get(to) as SimNode;
    if (!this.active(n)) return;
    const previous = n.latestView;
    n.latestView = view;
    // The mesh closes channels to peers the view no longer has; what was in flight is lost.
    if (previous !== null) {
      const now = new Set(view.members.map((m) => m.peerId));
      for (const m of previous.members) if (!now.has(m.peerId)) this.net.down(n.id, m.peerId);
    }
    this.log(`${n.id} gets view ${view.viewId} from the tracker`);
    this.installAt(n, view);
  }

  // ---------------------------------------------------------------- liveness

  private checkLiveness(): void {
    const survivors = this.tracker.members.filter((p) => this.nodes.get(p)?.status === 'member');
    const holdBack = new Map<PeerId, number>();
    for (const s of survivors) {
      const n = this.nodes.get(s) as SimNode;
      if (n.engine.view?.viewId !== this.tracker.currentViewId) {
        throw new ViolationError({
          rule: 'L2', node: s,
          message: `ends in view ${n.engine.view?.viewId ?? 'none'}, the tracker's view is ${this.tracker.currentViewId}`,
        });
      }
      if (n.outbox.length > 0) {
        throw new ViolationError({ rule: 'L1', node: s, message: `${n.outbox.length} messages never left its composer (drafts refused)` });
      }
      const c = readCounters(n.engine);
      if (c.holdBack !== undefined) holdBack.set(s, c.holdBack);
    }
    const joiners = new Set(survivors.filter((s) => this.nodes.get(s)?.joiner === true && !this.founders.includes(s)));
    this.checker.checkLiveness(survivors, joiners, holdBack);
    this.log(`quiescent: ${survivors.length} survivors with ${survivors.map((s) => this.checker.logOf(s).length).join('/')} messages`);
  }
}

export const runScenario = (scenario: Scenario, options: SimOptions): SimResult => new Simulation(scenario, options).run();
