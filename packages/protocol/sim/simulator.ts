// One deterministic run of a scenario. The simulator plays everything around
// the engines: the data channels (network.ts, one mesh per group), the
// tracker (model-tracker.ts, one per group), each node's store (store-model.ts)
// and the runtime of each node's sessions. A node is one peer id (a tab, a
// process) with a session per group it is in, 1-3 at once, all writing one
// store; a tab pair is two nodes of one identity over one store. A session
// routes Outbound frames, signs drafts, installs views, hands a joiner its
// history (read from its store) and state once the joiner's engine has
// installed the view they were made for, writes deliveries to the store in
// batches, and ticks. The checkers see every delivery and every installed view
// as it happens, every store write and every restart; after the faults heal
// the run goes on until only ticks are left and then liveness is checked.

import type { GroupId, LeaveReason, MessageId, Ordering, PeerId, ViewId } from '../src/ids.ts';
import { asGroupId, asPeerId, asViewId, frameMessageId } from '../src/ids.ts';
import type { Delivery, EngineResult, OrderingEngine } from '../src/ordering/engine.ts';
import { isRejection } from '../src/ordering/engine.ts';
import {
  readHeldSync,
  readHistoryPageSync,
  recordFloors,
  settledHeld,
  settledAbove,
  type HistorySource,
} from '../src/history/history-reader.ts';
import { resumeAfterSent, sponsorOrder, TICK_MS } from '../src/session/policy.ts';
import { SessionCore } from '../src/session/session-core.ts';
import type { SessionCommand, SessionCommands, SessionRecord } from '../src/session/session-types.ts';
import type { MemberInfo, View } from '../src/tracker/events.ts';
import type {
  DataFrame,
  GroupFrame,
  HistoryRequestFrame,
  HistoryResponseFrame,
  JoinerState,
} from '../src/wire/frames.ts';
import { Checker, ViolationError } from './checker.ts';
import type { Guarantee, Violation } from './checker.ts';
import type { EngineFactory } from './engine-factory.ts';
import { readCounters } from './engine-factory.ts';
import { EventQueue } from './event-queue.ts';
import {
  fakeSign,
  fakeSignFinal,
  fakeSignFlush,
  fakeSignFlushOk,
  fakeVerify,
  fakeVerifyFinal,
} from './fake-signature.ts';
import { accusedBy, contradicts } from '../src/ordering/final-proof.ts';
import { isFlushProof, type AccusationProof } from '../src/ordering/flush-proof.ts';
import { flushProofHolds } from './hostile-wire.ts';
import { WireLinks } from './wire-links.ts';
import * as membership from '../src/membership/index.ts';
import { ModelTracker } from './model-tracker.ts';
import { Network, LINK_MAX_DELAY_MS, LINK_MIN_DELAY_MS } from './network.ts';
import { SIM_RELAY_AFTER_MS, SimRelays } from './relay-links.ts';
import type { RelayCounts, RelayEnvelopeEvent, RelayFault, RelayHost, RelayProbeEvent } from './relay-links.ts';
import { observeEngine } from './observed-engine.ts';
import { beforeTarget, compareFolds, noOpCounts, opBody, type OpCounts } from './op-bodies.ts';
import { Prng } from './prng.ts';
import type { Action, Scenario } from './scenario.ts';
import { groupModes, isFault } from './scenario.ts';
import type { SessionVariant } from './session-variant.ts';
import { CORRECT_SESSION } from './session-variant.ts';
import type { StoredRecord } from './store-model.ts';
import { resumeFromStore, StoreModel } from './store-model.ts';
import { Liar, LIAR_ID } from './hostile.ts';
import { EVICTED_KINDS } from './hostile-scenario.ts';
import { LiarWire, verifyLikePeer } from './hostile-wire.ts';
import {
  MAX_BUFFERED_BYTES_GONE,
  MAX_BUFFERED_BYTES_PER_PEER,
  MAX_BUFFERED_FRAMES,
  MAX_GONE_VIEWS,
  MAX_HELD_BYTES_PER_SENDER,
} from '../src/ordering/group-engine.ts';
import { MAX_OUTSTANDING_CHUNKED_FRAMES } from '../src/wire/caps.ts';
import { MAX_FALSE_REPORTS } from '../src/membership/index.ts';

/** The tracker notices a crash between these (the product default is ≤ 10 s; shorter keeps runs small). */
export const DETECT_MIN_MS = 200;
export const DETECT_MAX_MS = 1500;
/** A link down longer than this gets the younger member evicted (docs/design.md §3). */
export const LINK_GRACE_MS = 2000;
/** Tracker-to-peer socket latency; every node sees views in order but at different times. */
const VIEW_MIN_DELAY_MS = 1;
const VIEW_MAX_DELAY_MS = 120;
/** Signaling plus ICE until a joiner's data channel is open. */
const SIGNALING_MIN_MS = 10;
const SIGNALING_MAX_MS = 300;
/** After a tracker restart a member is back within this (socket.io reconnects with a backoff of up to seconds). */
const RECONNECT_MAX_MS = 1500;
/** A graceful leave reaches the tracker after one socket hop. */
const LEAVE_NOTICE_MS = 5;
/** The session's tick period is the product's (session/policy.ts), imported, never copied. */
export { TICK_MS };
/** Deliveries reach the store in batches this far apart (the product's writer batches per 50 ms). */
export const STORE_BATCH_MS = 50;
/** A broken joiner's late history write lands after the next batch. */
const LATE_HISTORY_WRITE_MS = 3 * STORE_BATCH_MS;
/** A flood keeps one link of its sender down this long (under LINK_GRACE_MS: no eviction), so little becomes stable. */
const FLOOD_LINK_DOWN_MS = 1500;
/** After the last action, armed crash points are disarmed: faults stop. */
const HEAL_AFTER_MS = 1000;
/** With only ticks left for this long, the run is quiescent. */
const QUIET_MS = 3 * TICK_MS;
/** A run that never quiesces is a liveness bug, not a hang of the test. */
const MAX_EVENTS = 200_000;
/** Long-history runs get this many more events per message flooded. */
const EVENTS_PER_FLOODED_MESSAGE = 400;
/** Far above any resend or flush round here (tens of ms per hop, 1 s stability announcements). */
const MAX_MS_AFTER_HEAL = 30_000;

const groupIdOf = (index: number): GroupId => asGroupId(index === 0 ? 'g-sim' : `g-sim-${index}`);

type Status = 'joining' | 'member' | 'crashed' | 'left' | 'removed';

interface SimGroup {
  readonly index: number;
  readonly id: GroupId;
  readonly mode: Ordering;
  readonly tracker: ModelTracker;
  readonly checker: Checker;
  readonly net: Network;
  readonly founders: PeerId[];
  readonly viewArrival: Map<PeerId, number>;
  /** Bumped when an in-memory tracker restarts: its notices still in flight died with the sockets. */
  trackerEpoch: number;
}

/** One store shared by every session of one identity in one browser profile (or one process). */
interface SimStore {
  readonly id: number;
  readonly model: StoreModel;
  /** Every session that ever wrote here, per group (what the store may hold). */
  readonly delivered: Map<GroupId, Set<MessageId>>;
  flushAt: number | null;
}

interface SimNode {
  readonly id: PeerId;
  readonly name: string;
  /** Bumped when the same peer id restarts; events for an earlier incarnation are dropped. */
  readonly inc: number;
  readonly store: SimStore;
  readonly sessions: Map<number, Session>;
  alive: boolean;
  /** Crash after putting this many more frames on links (null = not armed). */
  crashAfter: number | null;
  /** Restart from the store once the tracker has dropped it (a reload). */
  reboot: { readonly samePeer: boolean } | null;
  tickArmed: boolean;
}

/**
 * One group on one node: the product's SessionCore, driven as packages/peer
 * GroupSession drives it (views, verified frames, links, ticks, the store's
 * answers), with its engine observed (not changed) for the checker.
 */
interface Session {
  readonly node: SimNode;
  readonly g: SimGroup;
  readonly core: SessionCore;
  readonly engine: OrderingEngine;
  /** The simulator's view of the lifecycle: 'member' once the engine has state (adopted or afresh). */
  status: Status;
  /** True once the runtime handed it a view. */
  started: boolean;
  /** Joined after the group was founded (gets history from a sponsor). */
  readonly joiner: boolean;
  /** The view it had installed when it got state (-1 while joining). */
  memberSince: number;
  /** What the session shows: the stored log it started from, history, then deliveries. */
  log: Delivery[];
  /** History shown while syncing (by id, first copy), handed to the checker when the engine adopts the state. */
  readonly history: Map<MessageId, Delivery>;
  /** The latest view the tracker told this node about. */
  latestView: View | null;
  /** The view the checker last saw its engine install (-1 before any). */
  checkedView: number;
  /** The peer whose history pages it took last. */
  sponsor: PeerId | null;
  /** Every peer it took history pages from in this join (more than one: it dropped a sponsor). */
  readonly pagedBy: Set<PeerId>;
  /** Sponsors that handed it history items its signature checks refused (only a forging liar does). */
  readonly forgedBy: Set<PeerId>;
  /** Records given to `store` and not written yet (lost if the node dies). */
  unwritten: StoredRecord[];
  /** Ids among `unwritten` from a sponsor's history in a total-order group: their keys replace the stored ones. */
  rekey: Set<string>;
  /** A broken joiner's history, written late. */
  lateHistory: StoredRecord[];
  /** Frames signed for this session, by seq, until the core says whether the engine took them. */
  readonly signing: Map<number, DataFrame>;
}

type SimEvent =
  | { readonly k: 'action'; readonly action: Action }
  | {
      readonly k: 'frame';
      readonly g: number;
      readonly from: PeerId;
      readonly to: PeerId;
      readonly epoch: number;
      readonly frame: GroupFrame;
    }
  /** SimOptions.wire: one data-channel message; `dup` for the copy a duplicate fault adds. */
  | {
      readonly k: 'message';
      readonly g: number;
      readonly from: PeerId;
      readonly to: PeerId;
      readonly epoch: number;
      readonly text: string;
      readonly dup: boolean;
    }
  | {
      readonly k: 'view';
      readonly g: number;
      readonly to: PeerId;
      readonly inc: number;
      readonly view: View;
      readonly tracker: number;
    }
  | {
      readonly k: 'removed';
      readonly g: number;
      readonly to: PeerId;
      readonly inc: number;
      readonly reason: LeaveReason;
      readonly tracker: number;
    }
  /**
   * After an in-memory tracker restart: the member finds its group gone and re-joins it (restoring it if nobody has
   * yet).
   */
  | { readonly k: 'restore'; readonly g: number; readonly node: PeerId; readonly inc: number; readonly tracker: number }
  | { readonly k: 'link-up'; readonly g: number; readonly a: PeerId; readonly b: PeerId; readonly reconnect: boolean }
  | { readonly k: 'detect'; readonly peer: PeerId; readonly inc: number }
  | { readonly k: 'leave-notice'; readonly g: number; readonly peer: PeerId }
  | { readonly k: 'link-grace'; readonly g: number; readonly a: PeerId; readonly b: PeerId; readonly epoch: number }
  /** Relayed links (PROTOCOL.md §1.6, relay-links.ts): a probe round, an envelope, a fault, the channel opens. */
  | RelayProbeEvent
  | RelayEnvelopeEvent
  | {
      readonly k: 'relay-fault';
      readonly g: number;
      readonly a: PeerId;
      readonly b: PeerId;
      readonly fault: Exclude<RelayFault, 'none'>;
    }
  | { readonly k: 'relay-end'; readonly g: number; readonly a: PeerId; readonly b: PeerId }
  | { readonly k: 'heal' }
  | { readonly k: 'store-flush'; readonly store: number }
  | { readonly k: 'late-history'; readonly node: PeerId; readonly inc: number; readonly g: number }
  | { readonly k: 'tick'; readonly node: PeerId; readonly inc: number }
  /** Hostile runs: the liar's channel messages (encoded by the product's encoder) reach an honest node's parser. */
  | {
      readonly k: 'wire';
      readonly g: number;
      readonly from: PeerId;
      readonly to: PeerId;
      readonly epoch: number;
      readonly texts: readonly string[];
    }
  /** Hostile runs: the tracker's grace timer of a reported link (membership `linkCheck`). */
  | { readonly k: 'hostile-grace'; readonly a: PeerId; readonly b: PeerId; readonly g?: number }
  /** Hostile runs: the liar keeps its false report standing (every half grace time while it lies). */
  | { readonly k: 'liar-tick' }
  /** Hostile runs: by now the link rules must have evicted a liar they can see (H3). */
  | { readonly k: 'hostile-deadline' };

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
  /** Nodes restarted from their store (reloads and second tabs). */
  restarts: number;
  /** Own stored messages a re-joined session sent again (PROTOCOL.md §3.1 "Re-issue"). */
  reissued: number;
  /** Records written to stores. */
  stored: number;
  /** Joiners that adopted a state before their older history pages came (PROTOCOL.md §4), and how many finished. */
  backfills: number;
  backfilled: number;
  /** Messages a backfilling joiner's engine delivered before its older pages were all in. */
  deliveredDuringBackfill: number;
  virtualMs: number;
  /** SimOptions.wire: data-channel messages that carried the frames (batches, lone frames, chunks). */
  wireTexts: number;
  /** Cumulative PROPOSE and FINAL frames sent, and the single ones they carried (PROTOCOL.md §1.2c). */
  cumulative: number;
  cumulated: number;
  /** What the relay layer's routes did (relay-links.ts). */
  readonly relay: RelayCounts;
  /**
   * Hostile runs: the most bytes one peer had waiting for a later view in an honest engine (its budget is
   * MAX_BUFFERED_BYTES_PER_PEER).
   */
  maxBufferedBytes: number;
  /** Hostile runs: the most bytes of one sender's DATA an honest engine held behind a gap. */
  maxHeldBytes: number;
  /** Hostile runs: frames of the liar an honest node's parser, signature check or engine refused. */
  liarRefused: number;
  /** Proofs of two signed FINALs or FLUSH reports an honest node handed the tracker (each evicts the liar once). */
  accusations: number;
  /** Of those, proofs that the liar signed two FLUSH reports for one view (PROTOCOL.md §3.4). */
  flushAccusations: number;
  /** SimOptions.ops: operations delivered before their target, and what the survivors' folds held. */
  readonly ops: OpCounts;
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
  /**
   * false: sessions report no overdue agreement input (PROTOCOL.md §2 Links "Stalled"), to replay a pinned
   * path as it ran before the copies' frames moved its timing. Reported by default.
   */
  readonly stallReports?: boolean;
  /** A broken session (sim/broken/session-variants.ts); the correct one by default. */
  readonly session?: SessionVariant;
  /** Record a line per step (for `npm run sim -- --seed N`). */
  readonly trace?: boolean;
  /** Guarantees recorded rather than fatal (only S4U supports it: a known engine gap). */
  readonly tolerate?: readonly Guarantee[];
  /**
   * Links carry data-channel text, batched per turn and read back by the
   * shipped wire code (sim/wire-links.ts). Off by default: it changes arrival
   * times, so numbered seeds would replay other scenarios.
   */
  readonly wire?: boolean;
  /**
   * Some bodies are message operations on what the sender's session shows, and every survivor's log folded by
   * OpFold must end the same (OPS; sim/op-bodies.ts). Off by default: bodies change sizes, so seeds replay
   * as before only without it.
   */
  readonly ops?: boolean;
}

const describeFrame = (f: GroupFrame): string => {
  switch (f.t) {
    case 'file-want':
    case 'file-none':
      return `${f.t.toUpperCase()} ${f.hash.slice(0, 8)} [${f.chunks.join(',')}]`;
    case 'file-chunk':
      return `FILE-CHUNK ${f.hash.slice(0, 8)} #${f.index}`;
    case 'history-req':
      return `HISTORY-REQ ${f.req} after ${f.after ?? 'the start'} have ${JSON.stringify(f.have)} limit ${f.limit}`;
    case 'history-res':
      return `HISTORY-RES ${f.req}: ${f.items.length} items${f.done ? ' done' : ''}${f.state === undefined ? '' : ` state v${f.state.viewId}`}`;
    case 'data':
      return `DATA ${f.sender}:${f.seq} v${f.viewId} "${f.body}"`;
    case 'propose':
      return `PROPOSE ${f.sender}:${f.seq} v${f.viewId} (${f.priority.p},${f.priority.by})`;
    case 'final':
      return `FINAL ${f.sender}:${f.seq} v${f.viewId} (${f.priority.p},${f.priority.by})`;
    case 'proposes':
      return `PROPOSES ${f.sender} v${f.viewId} ${f.items.map(([seq, p]) => `${seq}@${p}`).join(' ')}`;
    case 'finals':
      return `FINALS ${f.sender} v${f.viewId} ${f.items.map(([seq, p, by]) => `${seq}@(${p},${by})`).join(' ')}`;
    case 'echo':
      return `ECHO v${f.viewId} ${f.finals.map((e) => `${e.sender}:${e.seq}@(${e.priority.p},${e.priority.by})`).join(' ')}`;
    case 'flush':
      return `FLUSH v${f.viewId}${f.reporter === undefined ? '' : ` of ${f.reporter} relayed`}${f.joining === true ? ' (joining)' : ''} unstable=${f.unstable.length} pending=${f.pending.length} A=${f.agreed} delivered=${JSON.stringify(f.delivered)}`;
    case 'flush-ok':
      return `FLUSH-OK v${f.viewId}${f.reports.slice(0, 6)}${f.sender === undefined ? '' : ` relayed of ${f.sender}`}`;
    case 'flush-ask':
      return `FLUSH-ASK v${f.viewId} ${f.kind === 'flush-ok' ? 'FLUSH-OK' : 'report'} of ${f.reporter}`;
    case 'hwm':
      return `HWM v${f.viewId} ${JSON.stringify(f.delivered)}${f.floor === undefined ? '' : ` floor=${f.floor}`}`;
    case 'signal':
      return `SIGNAL ${f.kind}${f.kind === 'read' ? ` ${f.seen}` : ''}`;
    case 'relay':
      return `RELAY ${f.kind} ${f.from}->${f.to} n=${f.n}`;
  }
};

function fail(rule: Guarantee, node: PeerId | null, message: string): never {
  throw new ViolationError({ rule, node, message });
}

/** The checker's stand-in for the liar's own sessions: nothing the liar delivers or shows is checked. */
const UNCHECKED = new Proxy({}, { get: () => () => undefined }) as Checker;

const asDelivery = (r: StoredRecord): Delivery => ({
  id: frameMessageId(r.frame),
  frame: r.frame,
  order: r.order,
  viewId: r.frame.viewId,
});

export class Simulation {
  private readonly rng: Prng;
  /** For the frames added after the seeds were numbered (Network.sideRng). */
  private readonly sideRng: Prng;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly groups: SimGroup[];
  private readonly variant: SessionVariant;
  private readonly nodes = new Map<PeerId, SimNode>();
  private readonly stores: SimStore[] = [];
  /** Creation order, so scenario indices resolve the same way every run. */
  private readonly order: PeerId[] = [];
  private readonly trace: string[] = [];
  private readonly stats: SimStats = {
    steps: 0,
    messages: 0,
    deliveries: 0,
    frames: 0,
    faults: 0,
    views: 0,
    rejections: 0,
    restarts: 0,
    reissued: 0,
    stored: 0,
    backfills: 0,
    backfilled: 0,
    deliveredDuringBackfill: 0,
    virtualMs: 0,
    wireTexts: 0,
    cumulative: 0,
    cumulated: 0,
    relay: { up: 0, delivered: 0, resyncs: 0, bad: 0, altered: 0 },
    maxBufferedBytes: 0,
    maxHeldBytes: 0,
    liarRefused: 0,
    accusations: 0,
    flushAccusations: 0,
    ops: noOpCounts(),
  };
  /** SimOptions.wire: the links carry text made and read by the shipped wire code. */
  private readonly wire: WireLinks | null;
  /** The hostile member (sim/hostile.ts), when the scenario has one; its wire to the honest nodes. */
  private readonly liar: Liar | null;
  private readonly liarWire = new LiarWire();
  /** When the liar first lied (virtual ms), for the eviction deadline. */
  private lieAt: number | null = null;
  /** Honest members that reported their channel to a dark liar down. */
  private readonly darkReported = new Set<PeerId>();
  private readonly maxEvents: number;
  private now = 0;
  private pendingNonTick = 0;
  private healed = false;
  private healedAt = 0;
  /** SimOptions.ops: picks the operations, apart from the other draws so they do not shift. */
  private readonly opRng: Prng;
  private bodyCounter = 0;
  private nameCounter = 0;
  private readonly sessionsOf = new Map<string, number>();
  private tickets = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: SimOptions,
  ) {
    this.rng = new Prng(scenario.seed);
    this.sideRng = new Prng(scenario.seed ^ 0x9e3779b9);
    this.opRng = new Prng(scenario.seed ^ 0x2545f491);
    this.variant = options.session ?? CORRECT_SESSION;
    this.wire = options.wire === true ? new WireLinks() : null;
    const tolerate = new Set(options.tolerate ?? []);
    this.groups = groupModes(scenario).map((mode, index) => {
      const id = groupIdOf(index);
      return {
        index,
        id,
        mode,
        tracker: new ModelTracker(id),
        checker: new Checker(mode, tolerate),
        net: new Network(this.rng, this.sideRng),
        founders: [],
        viewArrival: new Map(),
        trackerEpoch: 0,
      };
    });
    const g0 = this.groups[0] as SimGroup;
    this.liar =
      scenario.hostile === undefined ? null : new Liar(scenario.hostile, g0.id, (f) => g0.checker.onHostileSigned(f));
    const flooded = scenario.steps.reduce((n, s) => n + (s.action.k === 'flood' ? s.action.count : 0), 0);
    this.maxEvents = MAX_EVENTS + flooded * EVENTS_PER_FLOODED_MESSAGE;
  }

  private isLiar(node: SimNode): boolean {
    return this.isLiarId(node.id);
  }

  private isLiarId(p: PeerId): boolean {
    return this.liar !== null && p === LIAR_ID;
  }

  /**
   * A mute liar stays past the heal while a member and three honest members judge it: with two, one that
   * proposed before it fell silent withholds only its echoes, which one member sees (PROTOCOL.md §7.2).
   */
  private muteStays(): boolean {
    const g = this.groups[0] as SimGroup;
    return this.liar?.mute === true && g.tracker.isMember(LIAR_ID) && this.honestMembers(g).length >= 3;
  }

  /**
   * A liar that stays past the heal, lying on: the mute one (above), and one that withholds its PROPOSE from one
   * sender (`withhold`, sim/propose-withholder.ts) while a member: nobody may be evicted for it (H1), and every
   * message must still be delivered with it in the group (the L checks).
   */
  private liarStays(): boolean {
    const g = this.groups[0] as SimGroup;
    return this.muteStays() || (this.liar?.kind === 'withhold' && g.tracker.isMember(LIAR_ID));
  }

  /** Whom the checker follows: every honest session; the liar's deliveries are no guarantee's business. */
  private ck(s: Session): Checker {
    return this.isLiar(s.node) ? UNCHECKED : s.g.checker;
  }

  /** A liar the tracker's link rules can see (a false reporter, a dark member): it must be evicted. */
  private judged(): boolean {
    const l = this.liar;
    return l !== null && EVICTED_KINDS.includes(l.kind) && (l.kind !== 'silent' || l.hostile.variant % 2 === 1);
  }

  private log(line: string): void {
    if (this.options.trace === true) this.trace.push(`[${String(this.now).padStart(6)}ms] ${line}`);
  }

  private schedule(at: number, event: SimEvent): void {
    if (event.k !== 'tick') this.pendingNonTick++;
    this.queue.push(at, event);
  }

  private group(index: number | undefined): SimGroup {
    return this.groups[(index ?? 0) % this.groups.length] as SimGroup;
  }

  // ---------------------------------------------------------------- run

  run(): SimResult {
    let violation: Violation | null = null;
    try {
      this.found();
      this.loop(() => this.formed());
      let at = this.now;
      let firstLie: number | null = null;
      for (const step of this.scenario.steps) {
        at += step.gap;
        if (step.action.k === 'lie') firstLie ??= at;
        this.schedule(at, { k: 'action', action: step.action });
      }
      let healAt = at + HEAL_AFTER_MS;
      if (this.judged() && firstLie !== null) {
        // The liar the link rules can see must be out by then (H3); the faults heal after that.
        const deadline = firstLie + (MAX_FALSE_REPORTS + 2) * LINK_GRACE_MS;
        this.schedule(deadline, { k: 'hostile-deadline' });
        healAt = Math.max(healAt, deadline + 1);
      }
      this.schedule(healAt, { k: 'heal' });
      this.loop();
      this.checkLiveness();
    } catch (e) {
      if (!(e instanceof ViolationError)) throw e;
      violation = e.violation;
      this.log(`VIOLATION ${e.message}`);
    }
    this.stats.virtualMs = this.now;
    const tolerated = this.groups.flatMap((g) => g.checker.tolerated);
    return { scenario: this.scenario, violation, tolerated, stats: this.stats, trace: this.trace };
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
      if (this.stats.steps > this.maxEvents || (this.healed && this.now > this.healedAt + MAX_MS_AFTER_HEAL)) {
        this.checkMuteEvicted();
        fail('L2', null, `no quiescence after ${this.stats.steps} events and ${this.now} virtual ms`);
      }
      if (this.healed && this.pendingNonTick === 0 && !this.syncing() && this.waitingOnLiar() === null) {
        quietSince ??= this.now;
        if (this.now - quietSince >= QUIET_MS) return;
      } else {
        quietSince = null;
      }
    }
  }

  /**
   * A mute liar stays past the heal while it is a member (PROTOCOL.md §7.6): liveness returns only once the
   * tracker evicts it on the honest members' stalled reports. The first honest member still waiting on an
   * agreement input (of anyone), or null.
   */
  private waitingOnMute(): PeerId | null {
    return this.muteStays() ? this.waitingOnLiar() : null;
  }

  /** While a liar stays past the heal (liarStays): the first honest member waiting on an agreement input, or null. */
  private waitingOnLiar(): PeerId | null {
    const g = this.groups[0] as SimGroup;
    if (this.liar?.lying !== true || !this.liarStays()) return null;
    for (const p of this.honestMembers(g)) {
      const s = this.session(g, p);
      if (this.active(s) && (s.engine.agreementOverdue?.(this.now, 0).length ?? 0) > 0) return p;
    }
    return null;
  }

  /** H3 for a mute liar: an honest member still waits on an agreement input while the liar is in the view. */
  private checkMuteEvicted(): void {
    const waiting = this.waitingOnMute();
    if (waiting !== null)
      fail(
        'H3',
        LIAR_ID,
        `the mute liar is still a member ${this.now - (this.lieAt ?? 0)} ms after it began; ${waiting} waits`,
      );
  }

  /**
   * A live session still waits for history: its core re-asks on its own clock (HISTORY_RETRY_MS), so the run is not
   * quiet.
   */
  private syncing(): boolean {
    for (const n of this.nodes.values()) {
      if (!n.alive) continue;
      for (const s of n.sessions.values())
        if (this.active(s) && (s.core.phase === 'syncing' || s.core.phase === 'adopting')) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- nodes

  private newStore(): SimStore {
    const s: SimStore = { id: this.stores.length, model: new StoreModel(), delivered: new Map(), flushAt: null };
    this.stores.push(s);
    return s;
  }

  private newNode(name: string, store: SimStore, samePeer?: SimNode, fixed?: PeerId): SimNode {
    let id: PeerId;
    if (samePeer !== undefined) id = samePeer.id;
    else if (fixed !== undefined) id = fixed;
    else {
      const session = (this.sessionsOf.get(name) ?? 0) + 1;
      this.sessionsOf.set(name, session);
      // A random prefix so the lowest peer id (tie-breaks) is not always the oldest member.
      id = this.liarFirst(asPeerId(`${this.rng.hex(3)}-${name}${session}`));
    }
    const node: SimNode = {
      id,
      name,
      inc: (samePeer?.inc ?? 0) + 1,
      store,
      sessions: new Map(),
      alive: true,
      crashAfter: null,
      reboot: null,
      tickArmed: false,
    };
    this.nodes.set(id, node);
    if (samePeer === undefined) this.order.push(id);
    return node;
  }

  /**
   * Hostile runs: a newcomer's id whose order of sponsors (the shipped `sponsorOrder`, PROTOCOL.md
   * §7.2) puts the liar before every other node, so every joiner the liar is an old member for asks
   * it first — a lying sponsor meets every joiner, as when the lowest id sponsored. The drawn id, or
   * it with the first suffix `_k` that does (only while the liar is in a group); no random draw is
   * spent on it.
   */
  private liarFirst(drawn: PeerId): PeerId {
    if (this.nodes.get(LIAR_ID)?.alive !== true || !this.groups.some((g) => g.tracker.isMember(LIAR_ID))) return drawn;
    const others = [...this.nodes.keys()];
    for (let k = 0; ; k++) {
      const id = asPeerId(k === 0 ? drawn : `${drawn}_${k}`);
      if (sponsorOrder(id, others)[0] === LIAR_ID) return id;
    }
  }

  private newSession(node: SimNode, g: SimGroup, joiner: boolean, resume: boolean, sentSeq = 0): Session {
    const stored = node.store.model.list(g.id);
    const canResume = resume && this.variant.resume !== false;
    const point = canResume ? resumeAfterSent(resumeFromStore(node.store.model, g.id, node.id, g.mode), sentSeq) : null;
    const engine = this.options.factory({
      mode: g.mode,
      self: node.id,
      groupId: g.id,
      ...(point === null ? {} : { resume: point }),
    });
    const self: MemberInfo = { peerId: node.id, name: node.name, publicKey: `sim-key:${node.id}` };
    let session: Session | null = null;
    const observed = observeEngine(engine, {
      result: (what, r) => {
        if (session !== null) this.observe(session, r, what);
      },
      adopting: (state) => {
        if (session !== null) this.onAdopting(session, state);
      },
      sending: (frame) => {
        if (session !== null) this.onSending(session, frame);
      },
    });
    const s: Session = {
      node,
      g,
      // The store's floors, as packages/peer Peer reads them with the resume point (PROTOCOL.md §4).
      core: new SessionCore({
        groupId: g.id,
        self,
        engine: observed,
        groupName: g.id,
        floors: recordFloors(node.store.model.getGroup(g.id)),
        ...(this.variant.chain === undefined ? {} : { chainHooks: this.variant.chain }),
        ...(this.variant.uncorroborated === true ? { corroborate: false } : {}),
        ...(this.options.stallReports === false ? {} : { agreementWaitMs: LINK_GRACE_MS }),
      }),
      engine,
      status: joiner ? 'joining' : 'member',
      started: false,
      joiner,
      memberSince: joiner ? -1 : 0,
      log: stored.map(asDelivery),
      history: new Map(),
      latestView: null,
      checkedView: -1,
      sponsor: null,
      pagedBy: new Set(),
      forgedBy: new Set(),
      unwritten: [],
      rekey: new Set(),
      lateHistory: [],
      signing: new Map(),
    };
    session = s;
    node.sessions.set(g.index, s);
    return s;
  }

  private nextName(): string {
    const n = this.nameCounter++;
    return n < 26 ? String.fromCharCode(97 + n) : `u${n}`;
  }

  private active(s: Session | undefined): s is Session {
    return s !== undefined && s.node.alive && (s.status === 'joining' || s.status === 'member');
  }

  private session(g: SimGroup, peer: PeerId): Session | undefined {
    return this.nodes.get(peer)?.sessions.get(g.index);
  }

  /** Live sessions of `g` that have installed a view, in node creation order. */
  private members(g: SimGroup): Session[] {
    const out: Session[] = [];
    for (const id of this.order) {
      const s = this.nodes.get(id)?.sessions.get(g.index);
      if (s !== undefined && s.node.alive && s.status === 'member' && s.started) out.push(s);
    }
    return out;
  }

  private pick(index: number, g: SimGroup): Session | null {
    const m = this.members(g);
    return m.length === 0 ? null : (m[index % m.length] as Session);
  }

  /**
   * Every group forms as the tracker makes it: its creator alone in view 1,
   * then every other founder joins (two-phase, with history) at once. The
   * first group's founders are new nodes; a further group's are some of them
   * (another one creates it), so people talk in several groups at once.
   * Actions start once all of them are members.
   */
  private found(): void {
    const people: SimNode[] = [];
    for (let i = 0; i < this.scenario.size; i++) people.push(this.newNode(this.nextName(), this.newStore()));
    for (const g of this.groups) {
      const count = g.index === 0 ? people.length : Math.min(people.length, 3);
      const founders = Array.from({ length: count }, (_, i) => people[(i + g.index) % people.length] as SimNode);
      const creator = founders[0] as SimNode;
      const s = this.newSession(creator, g, false, false);
      const view = g.tracker.found([{ peer: creator.id, name: creator.name }]);
      this.log(`${creator.id} creates group ${g.id} (${g.mode}) as view ${view.viewId}`);
      s.latestView = view;
      g.checker.onFreshStart(creator.id, view.viewId);
      this.installAt(s, view);
      for (const f of founders.slice(1)) {
        this.join(g, f, 0);
        g.founders.push(f.id);
      }
      if (g.index === 0 && this.liar !== null) {
        // The hostile member joins with the founders, through the same two-phase join.
        const liar = this.newNode('liar', this.newStore(), undefined, LIAR_ID);
        this.join(g, liar, 0);
        g.founders.push(liar.id);
      }
    }
  }

  private formed(): boolean {
    return this.groups.every((g) =>
      g.founders.every((p) => {
        const s = this.session(g, p);
        return s !== undefined && s.status === 'member' && s.engine.view?.viewId === g.tracker.currentViewId;
      }),
    );
  }

  // ---------------------------------------------------------------- the session's engine, observed

  /**
   * Every engine result inside a session, as its core gets it: the checker
   * sees deliveries and view installs in the engine's order (S1-S7), and a
   * joiner whose engine got state from a flush in which nobody had any
   * starts a new era of the group's log (or goes on with its stored one).
   */
  private observe(s: Session, result: EngineResult, what: string): void {
    const node = s.node;
    const g = s.g;
    const ck = this.ck(s);
    if (isRejection(result)) {
      this.stats.rejections++;
      this.log(
        `${node.id}@${g.index} ${what} rejected (${result.fault}) ${result.error.code}: ${result.error.message}`,
      );
      return;
    }
    // Most ticks change nothing the checker reads; debugState() is not free (a copy of the engine's state).
    if (what === 'tick' && result.deliveries.length === 0 && result.events.length === 0) return;
    const counters = readCounters(s.engine);
    ck.onCounters(node.id, counters);
    if (s.status === 'joining' && counters.adopted === true) {
      const viewId = s.engine.view?.viewId ?? 0;
      // Those who became members in this very flush (starting afresh with it) hand nothing over.
      const withState = (s.engine.view?.members ?? []).flatMap((m) => {
        const o = this.session(g, m.peerId);
        return o !== undefined && o !== s && this.active(o) && o.status === 'member' && o.memberSince < viewId
          ? [o]
          : [];
      });
      const holder = withState.some((o) => o.log.length > 0);
      this.log(
        `${node.id}@${g.index} starts with ${s.log.length > 0 ? 'its stored' : 'empty'} state (${holder ? 'although a live member has state' : 'no live member has any'})`,
      );
      s.status = 'member';
      s.memberSince = viewId;
      // A member with state in the view: the node joins its incarnation (PROTOCOL.md §3.11) — the flush
      // told the engine which — and must then deliver that era's log from its start (S4 says if it
      // does not). A member of the same flush may have delivered already (seed 1168085).
      const peer = withState[0];
      if (peer !== undefined) ck.onSameEra(node.id, peer.node.id);
      else ck.onFreshStart(node.id, counters.incarnation ?? viewId, (s.engine.view?.members.length ?? 0) === 1);
      // The session still syncs: what it showed of its sponsor's history counts as shown (seed 15763).
      if (s.core.backfilling) this.backfill(s); // older pages of the hand-over still to come
      this.showHistory(s);
      ck.onAdopted(node.id);
    }
    // Deliveries of a view come before that view's installation in one result:
    // replay them in view order so S5 sees what the engine meant.
    const installs = result.events.filter((e) => e.type === 'view-installed');
    let nextInstall = 0;
    const install = (view: View): void => {
      this.log(`${node.id}@${g.index} installed view ${view.viewId} [${view.members.map((m) => m.peerId).join(' ')}]`);
      ck.onViewInstalled(node.id, view.viewId, s.status === 'member');
      s.checkedView = view.viewId;
    };
    for (const d of result.deliveries) {
      for (
        let e = installs[nextInstall];
        e !== undefined && e.type === 'view-installed' && d.viewId >= e.view.viewId;
        e = installs[++nextInstall]
      ) {
        install(e.view);
      }
      if (d.shown === true) {
        ck.onDeliveredShown(node.id, d);
        this.log(`${node.id}@${g.index} delivered ${d.id} v${d.viewId}, shown already`);
        continue;
      }
      // Before an install of a later view in the same result: the flush resolution delivered it.
      ck.onDeliver(node.id, d, false, false, installs[nextInstall] !== undefined);
      if (this.options.ops === true && beforeTarget(g.id, d, s.log)) this.stats.ops.early++;
      if (s.core.backfilling) this.stats.deliveredDuringBackfill++;
      s.log.push(d);
      this.stats.deliveries++;
      this.log(`${node.id}@${g.index} delivered ${d.id} "${d.frame.body}" order=${d.order} v${d.viewId}`);
    }
    for (let e = installs[nextInstall]; e !== undefined; e = installs[++nextInstall]) {
      if (e.type === 'view-installed') install(e.view);
    }
    // An install replays what waited for that view (a near flood's frames): the budgets hold there too.
    if (this.liar !== null && installs.some((e) => e.type === 'view-installed')) this.checkBudgets(s);
    for (const e of result.events) {
      if (e.type === 'message-dropped') this.log(`${node.id}@${g.index} dropped ${e.id}: ${e.reason}`);
      if (e.type === 'final-disputed')
        this.log(`${node.id}@${g.index} disputed ${e.id} (echo of ${e.by}): ${e.reason}`);
      if (e.type === 'flush-disputed')
        this.log(`${node.id}@${g.index} flush disputed (FLUSH-OK of ${e.by}): ${e.reason}`);
    }
  }

  /** A history page from `from` reaches the session; a witness's answer (PROTOCOL.md §7.3) is no sponsor's page. */
  private pagedFrom(s: Session, from: PeerId, page: HistoryResponseFrame): void {
    if (s.core.witnessPage(from, page)) return;
    s.sponsor = from;
    s.pagedBy.add(from);
  }

  /** The core hands its sponsor's state to the engine: the history it showed comes first in its log. */
  private onAdopting(s: Session, state: JoinerState): void {
    const all = [...s.history.values()];
    // A joiner that took pages from more than one sponsor (it dropped one) shows what the next one hands
    // in its place among what the first one's pages showed: the app's timeline is in order-key order
    // (apps/web timeline.ts), so its history is too (hostile seed 957075521: a misled sponsor left out
    // the liar's first message and was dropped for the gap; the next one handed it).
    if (s.pagedBy.size > 1) all.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    s.history.clear();
    const shown = new Set(s.log.map((d) => d.id));
    // It adopts the state of a sponsor whose forged items it refused: no other old member could hand
    // them over, so it joins with that hole, as it says (PROTOCOL.md §7.3) — misled, like an omission.
    if (s.sponsor !== null && s.forgedBy.has(s.sponsor)) this.ck(s).onMisled(s.node.id);
    // It adopts a state whose counts the liar inflated: no other old member was left to ask (§7.3).
    if (s.sponsor === LIAR_ID && this.liar?.inflated.has(s.node.id) === true) this.ck(s).onMisled(s.node.id);
    this.log(
      `${s.node.id}@${s.g.index} adopts the state of view ${state.viewId} from ${s.sponsor ?? '?'} after ${all.filter((d) => !shown.has(d.id)).length} messages of history`,
    );
    // Older pages follow (PROTOCOL.md §4): the checker takes its log whole once they are in.
    if (s.core.backfilling) this.backfill(s);
    this.takeHistory(s, all, (items) => this.ck(s).onHistory(s.node.id, items, s.sponsor ?? s.node.id, all));
    s.status = 'member';
    s.memberSince = state.viewId;
    // Adopted in the view it has installed: from here its set for that view counts (S5). Adopted while
    // flushing for the state's view, the install that follows in the same result is its first with state.
    if (s.checkedView === state.viewId) this.ck(s).onAdopted(s.node.id);
  }

  /**
   * History the session showed although its engine has state of its own (a flush gave it state while
   * the session synced, so it adopts nothing): shown as it comes, after what the engine delivered.
   */
  private showHistory(s: Session): void {
    const all = [...s.history.values()];
    s.history.clear();
    if (all.length === 0) return;
    this.log(
      `${s.node.id}@${s.g.index} shows ${all.map((d) => d.id).join(', ')} of history from ${s.sponsor ?? '?'} (its engine has state already)`,
    );
    this.takeHistory(s, all, (items) => this.ck(s).onHistoryShown(s.node.id, items));
  }

  /**
   * The history a session took, as its screen shows it: the app merges by id, so a message the
   * session showed already (from its store: what another tab wrote, seed 1014987) at the same key
   * is not shown again; one it showed at another key (a crashed session's non-uniform delivery)
   * the store now holds at the group's key, and it shows it there (PROTOCOL.md §4).
   */
  private takeHistory(s: Session, all: readonly Delivery[], check: (fresh: readonly Delivery[]) => void): void {
    const shownAt = new Map(s.log.map((d) => [d.id, d.order]));
    const moved = all.filter((d) => shownAt.has(d.id) && shownAt.get(d.id) !== d.order);
    if (moved.length === 0) {
      const fresh = all.filter((d) => !shownAt.has(d.id));
      check(fresh);
      s.log.push(...fresh);
      return;
    }
    this.log(
      `${s.node.id}@${s.g.index} shows ${moved.map((d) => d.id).join(', ')} at the group's order keys instead of its store's`,
    );
    this.ck(s).onRekeyed(s.node.id, moved);
    // Its log is now what its store holds, in the store's order: what it showed and was not handed
    // again (the prefix per sender it said it held, `have`) and the history, moved ones at the
    // group's keys. Only the history starts again: the held prefix stays (seed 49261).
    const handed = new Set(all.map((d) => d.id));
    const kept = s.log.filter((d) => !handed.has(d.id));
    s.log = [...kept, ...all].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    this.ck(s).onHistory(s.node.id, s.log, s.sponsor ?? s.node.id, all, new Set(kept.map((d) => d.id)));
  }

  /** A frame our engine is about to send: the sender committed it. */
  private onSending(s: Session, frame: DataFrame): void {
    // The liar's core commits it; what the liar signs and sends is its own business (hostile.ts).
    if (this.isLiar(s.node)) s.g.checker.onHostileSigned(frame);
    else {
      if (s.g.checker.sent.get(frameMessageId(frame))?.sentAt === frame.sentAt) this.stats.reissued++;
      s.g.checker.onSent(frame);
    }
    this.stats.messages++;
    this.log(`${s.node.id}@${s.g.index} sends ${frame.sender}:${frame.seq} "${frame.body}" in view ${frame.viewId}`);
  }

  // ---------------------------------------------------------------- the session's commands

  /**
   * Carries out a core's commands in order, as packages/peer GroupSession
   * does, with the simulated network, signer and store; every answer goes
   * back to the core at once and its commands join the queue. Stops when the
   * node dies (the rest never happens). Then the turn ends (SessionCore.endTurn),
   * unless `endTurn` is false: more of the same task follows.
   */
  private carry(s: Session, commands: SessionCommands, endTurn = true): void {
    const queue = [...commands];
    /** Records of the last `store` command, for the history messages that follow it. */
    let stored = new Map<MessageId, StoredRecord>();
    /** SimOptions.wire: this turn's frames per link, sent at its end (lost if the node dies first, as in a tab). */
    const out = this.wire === null ? null : new Map<PeerId, GroupFrame[]>();
    // The event is one turn: once its commands are carried out, the turn's packed sends follow (§1.2c).
    const next = (): SessionCommand | undefined => {
      if (endTurn && queue.length === 0 && s.node.alive && s.core.turnOpen) queue.push(...s.core.endTurn(this.now));
      return queue.shift();
    };
    for (let c = next(); c !== undefined; c = next()) {
      if (!s.node.alive) return;
      const now = this.now;
      switch (c.type) {
        case 'send':
          if (c.frame.t === 'proposes' || c.frame.t === 'finals') {
            this.stats.cumulative++;
            this.stats.cumulated += c.frame.items.length;
          }
          if (s.node.crashAfter !== null) {
            if (s.node.crashAfter === 0) {
              this.crash(s.node, 'armed crash point reached');
              return;
            }
            s.node.crashAfter--;
          }
          if (this.liar !== null && this.isLiar(s.node)) this.liarSends(s.g, c.to, c.frame);
          else if (out === null) this.transmit(s.g, s.node.id, c.to, c.frame);
          else {
            this.stats.frames++;
            const frames = out.get(c.to);
            if (frames === undefined) out.set(c.to, [c.frame]);
            else frames.push(c.frame);
          }
          break;
        case 'sign': {
          const sig = fakeSign(c.draft);
          queue.push(...s.core.signed(c.draft, sig, now));
          break;
        }
        case 'sign-final':
          queue.push(...s.core.wordSigned(c, fakeSignFinal(c.final), now));
          break;
        case 'sign-flush':
          queue.push(...s.core.wordSigned(c, fakeSignFlush(c.statement), now));
          break;
        case 'sign-flush-ok':
          queue.push(...s.core.wordSigned(c, fakeSignFlushOk(c.statement), now));
          break;
        case 'accuse':
          this.accused(s, c.accused, c.proof);
          break;
        case 'report-link':
          this.stallReport(s, c.peer, c.state);
          break;
        case 'read-held':
          // What the store holds, read by the product's reader (history-reader.ts), as GroupSession does;
          // the app shows it all once joined (what another tab wrote meanwhile too), so a joining session
          // does here. A founder reads it too (for its floors, PROTOCOL.md §4): what it shows of the store
          // is what it showed when it started (startFromStore).
          if (s.core.phase === 'syncing') this.showStored(s);
          {
            const record = s.node.store.model.getGroup(s.g.id);
            const tips = new Map<string, DataFrame>();
            const above = new Map<string, number[]>();
            const own = { sender: s.node.id, frames: [] };
            const held = readHeldSync(s.node.store.model, s.g.id, recordFloors(record), tips, above, own);
            const settled = settledAbove(above, record);
            const mine = { frames: own.frames, incarnation: record?.state?.incarnation ?? null };
            queue.push(...s.core.heldRead(settledHeld(held, record), now, tips.values(), settled, mine));
          }
          break;
        case 'read-history':
          // The runtime writes what it delivered before it reads a page for a joiner.
          this.write(s);
          queue.push(...s.core.historyRead(c.to, this.historyPage(s, c.state, c.req), now));
          break;
        case 'store': {
          stored = new Map();
          for (const m of c.messages) {
            const r = this.record(s, m);
            s.unwritten.push(r);
            if (s.g.mode === 'total' || c.replace === true) s.rekey.add(r.id);
            stored.set(m.id, r);
            this.noteDelivered(s, m.id);
          }
          this.scheduleFlush(s.node.store);
          break;
        }
        case 'flush-store':
          if (this.variant.historyAfterAdopt === true) {
            // Broken: answered at once; what was queued is written only later.
            s.lateHistory.push(...s.unwritten);
            s.unwritten = [];
            this.schedule(now + LATE_HISTORY_WRITE_MS, {
              k: 'late-history',
              node: s.node.id,
              inc: s.node.inc,
              g: s.g.index,
            });
          } else this.write(s);
          queue.push(...s.core.storeFlushed(c.ticket, now));
          break;
        case 'message':
          if (c.source === 'history') {
            const r = stored.get(c.message.id);
            if (r !== undefined && !s.history.has(c.message.id)) s.history.set(c.message.id, asDelivery(r));
            // A flush gave the engine state while the session synced: no adoption follows, the page is shown now.
            if (s.status === 'member') this.showHistory(s);
          }
          break;
        case 'phase':
          this.log(`${s.node.id}@${s.g.index} session ${c.phase}`);
          break;
        case 'problem':
          this.log(
            `${s.node.id}@${s.g.index} problem ${c.problem.code}${c.remote ? ' (remote)' : ''}: ${c.problem.message}`,
          );
          break;
        case 'submit-failed':
          this.log(`${s.node.id}@${s.g.index} submit ${c.ticket} failed ${c.code}: ${c.message}`);
          break;
        case 'system':
        case 'view':
        case 'submitted':
          break;
      }
    }
    if (out !== null && s.node.alive) for (const [to, frames] of out) this.transmitText(s.g, s.node.id, to, frames);
    // Its older history is all in: the checker takes the log it parked meanwhile.
    if (s.node.alive && s.status === 'member' && !s.core.backfilling && this.ck(s).onBackfilled(s.node.id)) {
      this.stats.backfilled++;
      this.log(`${s.node.id}@${s.g.index} has its older history: its log is checked whole`);
    }
  }

  private backfill(s: Session): void {
    this.stats.backfills++;
    this.log(`${s.node.id}@${s.g.index} adopts before its older history pages: it is a member while they come`);
    this.ck(s).onBackfill(s.node.id);
  }

  /**
   * The sponsor's page, read from the store model by the product's page
   * reader (history-reader.ts, as packages/peer GroupSession reads its
   * store). A broken variant rewrites what the store gives the reader.
   */
  private historyPage(s: Session, state: JoinerState, req: HistoryRequestFrame): HistoryResponseFrame {
    const model = s.node.store.model;
    const rewrite = this.variant.history;
    const last = s.log.at(-1)?.id ?? null;
    const source: HistorySource =
      rewrite === undefined
        ? model
        : {
            page: (groupId, read) => {
              const page = model.page(groupId, read);
              const items = rewrite(
                page.items.map((r) => ({ ...r, trueId: frameMessageId(r.frame) })),
                last,
              );
              return { items, next: page.next };
            },
          };
    const page = readHistoryPageSync(source, { groupId: s.g.id, state, req, keyOf: () => null });
    this.log(
      `${s.node.id}@${s.g.index} reads a history page for request ${req.req} after ${req.after ?? 'the start'}: ${page.items.length} messages${page.done ? `, the last with state ${JSON.stringify(state.nextSeq)}` : ''} (shown ${s.log.length})`,
    );
    return page;
  }

  /** What the store holds of the group beyond what the session shows (another tab wrote it): shown now. */
  private showStored(s: Session): void {
    const shown = new Set(s.log.map((d) => d.id));
    const more = s.node.store.model
      .list(s.g.id)
      .filter((r) => !shown.has(frameMessageId(r.frame)))
      .map(asDelivery);
    if (more.length === 0) return;
    this.log(`${s.node.id}@${s.g.index} shows ${more.length} more stored messages`);
    this.ck(s).onShown(s.node.id, more);
    s.log.push(...more);
  }

  private record(s: Session, m: SessionRecord): StoredRecord {
    const r: StoredRecord = { id: m.id, groupId: s.g.id, frame: m.frame, order: m.order };
    const key = this.variant.storeKey;
    return key === undefined ? r : { ...r, id: key(r) };
  }

  private noteDelivered(s: Session, id: MessageId): void {
    let set = s.node.store.delivered.get(s.g.id);
    if (set === undefined) {
      set = new Set();
      s.node.store.delivered.set(s.g.id, set);
    }
    set.add(id);
  }

  private transmit(g: SimGroup, from: PeerId, to: PeerId, frame: GroupFrame): void {
    if (this.relays.relayed(g.index, from, to)) {
      this.stats.frames++;
      this.relays.send(g.index, from, to, frame);
      return;
    }
    const arrival = g.net.schedule(from, to, this.now, frame.t === 'echo');
    this.stats.frames++;
    if (arrival === null) {
      this.log(`${from} -> ${to} @${g.index} ${describeFrame(frame)} LOST (link down)`);
      return;
    }
    const ev: SimEvent = { k: 'frame', g: g.index, from, to, epoch: arrival.epoch, frame };
    this.schedule(arrival.at, ev);
    if (arrival.twice) this.schedule(arrival.at, ev);
  }

  /** SimOptions.wire: one turn's frames for one link as the mesh sends them, one arrival per message. */
  private transmitText(g: SimGroup, from: PeerId, to: PeerId, frames: readonly GroupFrame[]): void {
    if (this.relays.relayed(g.index, from, to)) {
      for (const f of frames) this.transmit(g, from, to, f);
      return;
    }
    const texts = (this.wire as WireLinks).pack(frames);
    this.stats.wireTexts += texts.length;
    for (const text of texts) {
      const arrival = g.net.schedule(from, to, this.now);
      if (arrival === null) {
        this.log(`${from} -> ${to} @${g.index} a message of ${frames.length} frame(s) LOST (link down)`);
        return;
      }
      this.schedule(arrival.at, { k: 'message', g: g.index, from, to, epoch: arrival.epoch, text, dup: false });
      if (arrival.twice)
        this.schedule(arrival.at, { k: 'message', g: g.index, from, to, epoch: arrival.epoch, text, dup: true });
    }
  }

  // ---------------------------------------------------------------- the hostile member

  /** What the liar's core meant to send goes out as the liar rewrites it, through the product's encoder. */
  private liarSends(g: SimGroup, to: PeerId, frame: GroupFrame): void {
    const liar = this.liar as Liar;
    for (const f of liar.outbound(to, frame)) this.transmitWire(g, to, f);
    if (liar.misled.has(to)) g.checker.onMisled(to);
  }

  private transmitWire(g: SimGroup, to: PeerId, frame: GroupFrame): void {
    this.stats.frames++;
    const texts = this.liarWire.encode(frame);
    if (!texts.ok) {
      this.log(
        `${LIAR_ID} -> ${to} @${g.index} ${describeFrame(frame)} refused by the encoder: ${texts.error.message}`,
      );
      return;
    }
    const arrival = g.net.schedule(LIAR_ID, to, this.now);
    if (arrival === null) {
      this.log(`${LIAR_ID} -> ${to} @${g.index} ${describeFrame(frame)} LOST (link down)`);
      return;
    }
    this.schedule(arrival.at, { k: 'wire', g: g.index, from: LIAR_ID, to, epoch: arrival.epoch, texts: texts.value });
  }

  /** The liar's channel messages at an honest node: the product's parser, the signature checks, then its core. */
  private onWire(ev: Extract<SimEvent, { k: 'wire' }>): void {
    const g = this.group(ev.g);
    const s = this.session(g, ev.to);
    if (!g.net.current(ev.from, ev.to, ev.epoch) || !this.active(s)) return;
    const refuse = (why: string): void => {
      this.stats.liarRefused++;
      this.log(`${ev.from} -> ${ev.to} @${g.index} refused: ${why}`);
    };
    for (const text of ev.texts) {
      if (!s.node.alive || !this.active(s)) return;
      for (const parsed of this.liarWire.decode(g.id, ev.to, ev.from, text, this.now)) {
        if (!s.node.alive || !this.active(s)) return;
        if (!parsed.ok) {
          refuse(`parser ${parsed.error.code}: ${parsed.error.message}`);
          continue;
        }
        this.liarFrame(s, ev.from, parsed.value, refuse);
      }
    }
  }

  /** One frame of the liar, parsed: the signature checks, then the honest core, then the budgets (H2). */
  private liarFrame(s: Session, from: PeerId, frame: GroupFrame, refuse: (why: string) => void): void {
    const v = verifyLikePeer(s.g.id, from, frame, (p) => s.core.publicKey(p) !== null, refuse);
    if (v === null) return;
    this.log(
      `${from} -> ${s.node.id} @${s.g.index} ${describeFrame(v.kind === 'page' ? v.page : v.frame)} (through the wire)`,
    );
    const before = this.stats.rejections;
    if (v.kind === 'page') {
      this.pagedFrom(s, from, v.page);
      if (v.items.length < v.page.items.length) s.forgedBy.add(from);
      this.carry(s, s.core.historyPage(from, v.page, v.items, this.now));
    } else this.carry(s, s.core.receive(from, v.frame, this.now));
    this.stats.liarRefused += this.stats.rejections - before;
    this.checkBudgets(s);
  }

  /**
   * H2: what one peer can make an honest engine hold waiting for a later view
   * or behind a gap in its seqs stays within its budgets (bytes and frames per
   * peer, as the engine counts them in its own state), and the wire's
   * reassembly within its cap.
   */
  private checkBudgets(s: Session): void {
    if (!this.active(s)) return;
    const probe = s.engine as OrderingEngine & {
      debugState?: () => {
        bufferedBytes?: Record<string, number>;
        buffered?: number;
        heldBytes?: Record<string, number>;
      };
    };
    const st = probe.debugState?.();
    for (const [sender, n] of Object.entries(st?.heldBytes ?? {})) {
      this.stats.maxHeldBytes = Math.max(this.stats.maxHeldBytes, n);
      if (n > MAX_HELD_BYTES_PER_SENDER)
        fail(
          'H2',
          s.node.id,
          `holds ${n} bytes of ${sender}'s messages behind a gap, over ${MAX_HELD_BYTES_PER_SENDER}`,
        );
    }
    const bytes = st?.bufferedBytes ?? {};
    for (const [peer, n] of Object.entries(bytes)) {
      this.stats.maxBufferedBytes = Math.max(this.stats.maxBufferedBytes, n);
      if (n > MAX_BUFFERED_BYTES_PER_PEER)
        fail(
          'H2',
          s.node.id,
          `holds ${n} bytes from ${peer} waiting for a later view, over the budget of ${MAX_BUFFERED_BYTES_PER_PEER}`,
        );
    }
    const peers = Math.max(1, Object.keys(bytes).length);
    if ((st?.buffered ?? 0) > peers * MAX_BUFFERED_FRAMES)
      fail('H2', s.node.id, `holds ${st?.buffered} frames for ${peers} peers waiting for a later view`);
    const partial = this.liarWire.pending(s.node.id, LIAR_ID);
    if (partial > MAX_OUTSTANDING_CHUNKED_FRAMES)
      fail('H2', s.node.id, `reassembles ${partial} chunked frames of the liar at once`);
  }

  /** Honest members of `g` the tracker has in its view, alive. */
  private honestMembers(g: SimGroup): PeerId[] {
    return g.tracker.members.filter((p) => p !== LIAR_ID && this.nodes.get(p)?.alive === true);
  }

  /** A `lie` action: the liar starts lying, or lies again. */
  private lie(): void {
    const liar = this.liar;
    const g = this.groups[0] as SimGroup;
    const node = this.nodes.get(LIAR_ID);
    if (liar === null || node === undefined || !node.alive || !g.tracker.isMember(LIAR_ID)) return;
    const first = !liar.lying;
    liar.lying = true;
    this.lieAt ??= this.now;
    this.log(`the liar lies (${liar.kind}, variant ${liar.hostile.variant})`);
    switch (liar.kind) {
      case 'silent':
        if (first && liar.dark) {
          // Every channel closes (a joiner's too); the liar keeps heartbeating and says nothing.
          for (const p of this.nodes.keys()) if (p !== LIAR_ID) g.net.down(LIAR_ID, p);
          this.darkReport(g);
          this.schedule(this.now + LINK_GRACE_MS / 2, { k: 'liar-tick' });
        }
        return;
      case 'false-report':
        this.falseReport(g);
        if (first) this.schedule(this.now + LINK_GRACE_MS / 2, { k: 'liar-tick' });
        return;
      case 'flood': {
        const installed = this.session(g, LIAR_ID)?.engine.view?.viewId ?? asViewId(0);
        for (const { to, frame } of liar.flood(installed, this.honestMembers(g))) this.transmitWire(g, to, frame);
        return;
      }
      default:
        return;
    }
  }

  /** The liar tells the tracker its working link to an honest member is down. */
  private falseReport(g: SimGroup): void {
    const victim = this.honestMembers(g)[0];
    if (victim === undefined) return;
    this.report(g, LIAR_ID, victim);
  }

  /** `reporter` says its link to `peer` is down; the tracker's grace timer follows its answer. */
  /**
   * The honest ends of a dark liar's channels say so: a member at once, a joiner once it is a member
   * (its channel closed or never opened: the runtime reports a wanted link that never opens within a
   * grace time). Without the joiner's report the others may be no majority of the view.
   */
  private darkReport(g: SimGroup): void {
    for (const p of this.honestMembers(g)) {
      if (this.darkReported.has(p)) continue;
      this.darkReported.add(p);
      this.report(g, p, LIAR_ID);
    }
  }

  private report(g: SimGroup, reporter: PeerId, peer: PeerId, state: 'down' | 'stalled' | 'up' = 'down'): void {
    const effects = g.tracker.reportOne(reporter, peer, state, this.now);
    if (typeof effects === 'string') {
      this.log(`${reporter} reports its link to ${peer} ${state}: refused (${effects})`);
      return;
    }
    this.log(`${reporter} reports its link to ${peer} ${state}`);
    if (effects.linkCheck !== undefined)
      this.schedule(effects.linkCheck.since + LINK_GRACE_MS, {
        k: 'hostile-grace',
        a: effects.linkCheck.a,
        b: effects.linkCheck.b,
        g: g.index,
      });
  }

  /**
   * A session tells the tracker a member's agreement input is overdue (`stalled`) or no longer (`up`: only
   * over a working channel, direct or relayed, as GroupSession sends it). PROTOCOL.md §2 Links "Stalled".
   */
  private stallReport(s: Session, peer: PeerId, state: 'stalled' | 'up'): void {
    if (state === 'up' && !this.linkWorks(s.g, s.node.id, peer)) return;
    this.report(s.g, s.node.id, peer, state);
  }

  private linkWorks(g: SimGroup, a: PeerId, b: PeerId): boolean {
    return g.net.isUp(a, b) || this.relays.relayed(g.index, a, b);
  }

  /** The tracker's grace timer of a reported link: the link rules decide, as the tracker applies them. */
  private hostileGrace(a: PeerId, b: PeerId, index = 0): void {
    const g = this.group(index);
    const before = g.tracker.members;
    const effects = g.tracker.expire(a, b, this.now, LINK_GRACE_MS);
    if (effects.falseReport !== undefined)
      this.log(`tracker marks ${effects.falseReport}'s report about ${a}~${b} false`);
    if (effects.linkCheck !== undefined)
      this.schedule(effects.linkCheck.since + LINK_GRACE_MS, {
        k: 'hostile-grace',
        a: effects.linkCheck.a,
        b: effects.linkCheck.b,
        g: index,
      });
    for (const r of effects.removed ?? []) {
      this.log(`link ${a}~${b} down past grace: tracker evicts ${r.peerId}`);
      // Without a liar every member is honest: evicted with every link working, it was on stalled reports (H1).
      const working = before.filter((p) => p !== r.peerId).every((p) => this.linkWorks(g, r.peerId, p));
      if (this.liar === null && working && r.reason === 'evicted')
        fail('H1', r.peerId, `the tracker evicted ${r.peerId} on link reports while all its links worked`);
      this.onRemoved(g, r.peerId, r.reason);
      if (before.includes(r.peerId)) this.sendView(g, effects.view ?? null, { peer: r.peerId, reason: r.reason });
      this.admitReady(g);
    }
  }

  /**
   * `s` hands the tracker a proof that `accused` signed two FINALs it cannot both mean, or two FLUSH
   * reports for one view: the tracker checks both signatures with the accused's key and evicts it
   * (PROTOCOL.md §3.3 "Signed FINALs", §3.4 "Signed reports"). Only the liar can sign such a pair: a
   * proof against anyone else, or one that does not hold, is a bug of the honest code.
   */
  private accused(s: Session, accused: PeerId, proof: AccusationProof): void {
    const flush = isFlushProof(proof);
    const what = flush ? 'two flush reports' : 'two finals';
    const valid = flush
      ? flushProofHolds(proof, accused)
      : accusedBy(proof) === accused &&
        contradicts(proof) &&
        fakeVerifyFinal(proof.final) &&
        (proof.other.t === 'final' ? fakeVerifyFinal(proof.other) : fakeVerify(proof.other));
    if (!valid) fail('H1', s.node.id, `${s.node.id} accused ${accused} of signing ${what} without a proof`);
    if (accused !== LIAR_ID) fail('H1', s.node.id, `${s.node.id} proved that honest ${accused} signed ${what}`);
    const where = flush ? `for view ${proof.flush.viewId}` : `for ${accused}:${proof.final.seq}`;
    this.log(`${s.node.id}@${s.g.index} proves ${accused} signed ${what} ${where}`);
    this.stats.accusations++;
    if (flush) this.stats.flushAccusations++;
    if (s.g.tracker.isMember(accused))
      this.removeFromGroup(s.g, accused, 'evicted', flush ? proof.flush.viewId : undefined);
  }

  /** A removal the tracker decided: an honest member evicted on the liar's word is H1. */
  private onRemoved(g: SimGroup, peer: PeerId, reason: LeaveReason): void {
    g.checker.onGone(peer);
    if (this.liar !== null && reason === 'evicted' && peer !== LIAR_ID) {
      fail(
        'H1',
        peer,
        `the tracker evicted honest member ${peer} (the liar ${this.liar.kind} keeps its links with everyone else)`,
      );
    }
  }

  // ---------------------------------------------------------------- store

  private scheduleFlush(store: SimStore): void {
    if (store.flushAt !== null) return;
    store.flushAt = this.now + STORE_BATCH_MS;
    this.schedule(store.flushAt, { k: 'store-flush', store: store.id });
  }

  /** Every live session of the store writes what it showed since the last batch, then the store is checked. */
  private flushStore(store: SimStore): void {
    store.flushAt = null;
    for (const node of this.nodes.values()) {
      if (node.store !== store || !node.alive) continue;
      for (const s of node.sessions.values()) this.write(s);
    }
    this.checkStore(store);
  }

  /** The session's queued records go to the store, with the group record as it is now (DeliveryWriter). */
  private write(s: Session): void {
    if (s.unwritten.length === 0) return;
    s.node.store.model.put(s.unwritten, s.rekey);
    this.stats.stored += s.unwritten.length;
    s.unwritten = [];
    s.rekey = new Set();
    const record = s.core.groupRecord();
    if (record !== null) {
      s.node.store.model.putGroup({
        groupId: s.g.id,
        ordering: s.g.mode,
        state: record.state,
        ...(record.tentative === undefined ? {} : { tentative: record.tentative }),
        ...(record.floors === undefined ? {} : { floors: record.floors }),
      });
    }
  }

  /**
   * ST1 after every batch: for every group, the store holds each message a
   * live session of it showed (under its order key), nothing no session
   * showed, nothing of another group, and no message twice.
   */
  private checkStore(store: SimStore): void {
    // The liar's store is its own business.
    if (this.liar !== null && [...this.nodes.values()].some((n) => n.store === store && this.isLiar(n))) return;
    const sessions: Session[] = [];
    for (const node of this.nodes.values()) {
      if (node.store === store && node.alive)
        for (const s of node.sessions.values()) if (this.active(s)) sessions.push(s);
    }
    for (const g of this.groups) {
      const list = store.model.list(g.id);
      const byId = new Map<MessageId, StoredRecord>();
      const shown = store.delivered.get(g.id);
      for (const r of list) {
        const id = frameMessageId(r.frame);
        if (r.frame.groupId !== g.id) fail('ST1', null, `store ${store.id} lists ${id} of another group under ${g.id}`);
        if (byId.has(id)) fail('ST1', null, `store ${store.id} holds ${id} twice in ${g.id}`);
        if (shown?.has(id) !== true) fail('ST1', null, `store ${store.id} holds ${id}, which no session of it showed`);
        byId.set(id, r);
      }
      for (const s of sessions) {
        if (s.g !== g) continue;
        // The writer's queue is written in order at the next batch; nothing else may be missing.
        const pending = new Set(s.unwritten.map((r) => frameMessageId(r.frame)));
        for (const d of s.log) {
          if (pending.has(d.id)) continue;
          const r = byId.get(d.id);
          if (r === undefined)
            fail('ST1', s.node.id, `${d.id} was shown in ${g.id} and written, but the store does not hold it`);
          // A different order key here is two sessions of this store delivering it at different
          // places: S4 (or S4U, one of them gone) says so where it happens.
        }
      }
    }
  }

  private installAt(s: Session, view: View): void {
    if (!this.active(s)) return;
    s.started = true;
    this.carry(s, s.core.trackerView(view, this.now));
    if (!s.node.tickArmed) {
      s.node.tickArmed = true;
      this.schedule(this.now + TICK_MS, { k: 'tick', node: s.node.id, inc: s.node.inc });
    }
  }

  // ---------------------------------------------------------------- faults and membership

  /** The node's process dies: every session with it, and what it had not written. */
  private crash(node: SimNode, why: string): void {
    if (!node.alive) return;
    node.alive = false;
    node.crashAfter = null;
    for (const s of node.sessions.values()) {
      if (s.status === 'joining' || s.status === 'member') {
        s.status = 'crashed';
        s.g.checker.onGone(node.id);
      }
    }
    this.log(`${node.id} CRASHES (${why})`);
    this.schedule(this.now + this.rng.int(DETECT_MIN_MS, DETECT_MAX_MS), { k: 'detect', peer: node.id, inc: node.inc });
  }

  private sendView(g: SimGroup, view: View | null | 'joiner', removed?: { peer: PeerId; reason: LeaveReason }): void {
    if (removed !== undefined && view !== null) {
      const r = this.session(g, removed.peer);
      if (this.active(r))
        this.schedule(this.viewTime(g, removed.peer), {
          k: 'removed',
          g: g.index,
          to: removed.peer,
          inc: r.node.inc,
          reason: removed.reason,
          tracker: g.trackerEpoch,
        });
    }
    if (view === null || view === 'joiner') return;
    this.stats.views++;
    this.log(
      `tracker issues view ${view.viewId} of ${g.id} [${view.members.map((m) => m.peerId).join(' ')}] ${view.changes.map((c) => `${c.change}:${c.peerId}`).join(' ')}`,
    );
    for (const m of view.members) {
      const inc = this.nodes.get(m.peerId)?.inc ?? 0;
      this.schedule(this.viewTime(g, m.peerId), {
        k: 'view',
        g: g.index,
        to: m.peerId,
        inc,
        view,
        tracker: g.trackerEpoch,
      });
    }
  }

  /** Tracker-to-node delivery time: random, but in order per node and group. */
  private viewTime(g: SimGroup, peer: PeerId): number {
    const at = Math.max(this.now + this.rng.int(VIEW_MIN_DELAY_MS, VIEW_MAX_DELAY_MS), g.viewArrival.get(peer) ?? 0);
    g.viewArrival.set(peer, at);
    return at;
  }

  private removeFromGroup(g: SimGroup, peer: PeerId, reason: LeaveReason, flush?: ViewId): void {
    // Out of the group from the tracker's decision on, even before it hears so (false suspicion,
    // eviction): what it delivers still counts as a gone member's log (S4U), its keys bind nobody.
    this.onRemoved(g, peer, reason);
    this.sendView(g, g.tracker.remove(peer, reason, flush), { peer, reason });
    this.admitReady(g);
  }

  /** Phase two for every joiner whose links to all members are up. */
  private admitReady(g: SimGroup): void {
    for (const j of [...g.tracker.joining]) {
      if (g.tracker.members.every((m) => g.net.isUp(j, m))) this.sendView(g, g.tracker.admit(j));
    }
  }

  /** `node` asks to join `g` with a new session (a new person, a founder, a second tab, a restart). */
  private join(g: SimGroup, node: SimNode, sendOnArrival: number, resume = false, sentSeq = 0): Session {
    const s = this.newSession(node, g, true, resume, sentSeq);
    const installed = g.tracker.askToJoin(node.id, node.name);
    this.log(`${node.id} asks to join ${g.id}${s.log.length > 0 ? ` showing ${s.log.length} stored messages` : ''}`);
    // Submitted at once: the core keeps them until it is a member.
    this.queueSend(s, sendOnArrival);
    const peers = [...g.tracker.members, ...g.tracker.joining].filter((p) => p !== node.id);
    for (const p of peers) {
      this.schedule(this.now + this.rng.int(SIGNALING_MIN_MS, SIGNALING_MAX_MS), {
        k: 'link-up',
        g: g.index,
        a: node.id,
        b: p,
        reconnect: false,
      });
    }
    if (installed !== null) this.sendView(g, installed); // an empty group: nobody to link to
    return s;
  }

  /**
   * A session of `node` starts from the store: ST2 (what it shows is what an
   * earlier session of this store delivered, a prefix of it with no hole),
   * then the checker continues its log from there, and it joins.
   */
  private startFromStore(node: SimNode, g: SimGroup, before: Session | null): void {
    if (g.tracker.forgotten) {
      // Only a member that was in the group when the tracker restarted holds its charter (in memory).
      this.log(`${node.id} finds no group ${g.id} at the tracker (forgotten, not restored yet): not-found`);
      return;
    }
    const shown = node.store.model.list(g.id).map(asDelivery);
    if (before !== null) {
      const ids = new Set(shown.map((d) => d.id));
      let k = 0;
      while (k < before.log.length && ids.has((before.log[k] as Delivery).id)) k++;
      for (const d of before.log.slice(k)) {
        if (ids.has(d.id))
          fail(
            'ST2',
            node.id,
            `after restarting it shows ${d.id} of ${g.id} but not ${(before.log[k] as Delivery).id}, delivered before it`,
          );
      }
    }
    const like = before?.node.id ?? this.like(node.store, g);
    // The same process replacing its session (a re-join) goes on above what the old one sent.
    this.join(g, node, 0, true, before?.node.id === node.id ? before.core.sentSeq : 0);
    g.checker.onResume(node.id, shown, like);
  }

  /** A session that wrote `store`'s history of `g` (whose era the history is in). */
  private like(store: SimStore, g: SimGroup): PeerId | null {
    for (const n of this.nodes.values()) if (n.store === store && n.sessions.has(g.index)) return n.id;
    return null;
  }

  /** Once the tracker dropped a reloaded node, it starts again from its store and re-joins its groups. */
  private restart(old: SimNode): void {
    const samePeer = old.reboot?.samePeer === true;
    const node = this.newNode(old.name, old.store, samePeer ? old : undefined);
    this.stats.restarts++;
    if (samePeer)
      for (const g of this.groups) for (const p of this.nodes.keys()) if (p !== node.id) g.net.down(node.id, p);
    this.log(`${old.id} restarts from its store as ${node.id}`);
    for (const [index, before] of old.sessions) {
      if (before.status !== 'crashed') continue; // it had left (or was removed from) that group
      this.startFromStore(node, this.groups[index] as SimGroup, before);
    }
  }

  private body(s: Session): string {
    const text = `m${++this.bodyCounter}`;
    return this.options.ops === true ? opBody(this.opRng, s.node.id, s.log, text) : text;
  }

  private queueSend(s: Session, count: number): void {
    for (let i = 0; i < count; i++) this.carry(s, s.core.submit(++this.tickets, this.body(s), this.now));
  }

  private runAction(a: Action): void {
    if (isFault(a)) this.stats.faults++;
    this.log(`ACTION ${JSON.stringify(a)}`);
    const g = this.group(a.group);
    switch (a.k) {
      case 'send': {
        const s = this.pick(a.node, g);
        if (s !== null) this.queueSend(s, a.count);
        return;
      }
      case 'send-all':
        for (const s of this.members(g)) this.queueSend(s, 1);
        return;
      case 'send-groups': {
        const s = this.pick(a.node, g);
        if (s === null) return;
        for (const o of s.node.sessions.values()) if (this.active(o) && o.status === 'member') this.queueSend(o, 1);
        return;
      }
      case 'flood': {
        const s = this.pick(a.node, g);
        if (s === null) return;
        const other = this.members(g).find((o) => o !== s);
        if (other !== undefined && g.net.isUp(s.node.id, other.node.id)) {
          g.net.down(s.node.id, other.node.id);
          this.log(`link ${s.node.id}~${other.node.id} @${g.index} DOWN for the flood`);
          this.schedule(this.now + FLOOD_LINK_DOWN_MS, {
            k: 'link-up',
            g: g.index,
            a: s.node.id,
            b: other.node.id,
            reconnect: true,
          });
        }
        this.queueSend(s, a.count);
        return;
      }
      case 'crash': {
        const s = this.pick(a.node, g);
        if (s !== null) this.crash(s.node, 'scenario');
        return;
      }
      case 'crash-after': {
        const s = this.pick(a.node, g);
        if (s === null) return;
        if (a.frames === 0 && !a.send) {
          this.crash(s.node, 'scenario');
          return;
        }
        s.node.crashAfter = a.frames;
        if (a.send) this.queueSend(s, 1);
        return;
      }
      case 'crash-many': {
        const keep = this.pick(a.node, g);
        for (const s of this.members(g)) if (s !== keep) this.crash(s.node, 'n-1 crash');
        return;
      }
      case 'leave': {
        const s = this.pick(a.node, g);
        if (s !== null) this.leave(s);
        return;
      }
      case 'join': {
        if (g.tracker.forgotten) {
          this.log(`a newcomer finds no group ${g.id} at the tracker (forgotten, not restored yet): not-found`);
          return;
        }
        const j = this.join(g, this.newNode(this.nextName(), this.newStore()), a.send);
        if (a.send > 0) for (const s of this.members(g)) if (s !== j) this.queueSend(s, 1);
        return;
      }
      case 'rejoin': {
        const s = this.pick(a.node, g);
        if (s === null) return;
        if (a.graceful) this.leave(s);
        else this.crash(s.node, 'before rejoining');
        // The same person in the same browser: a new session over the same store.
        this.startFromStore(this.newNode(s.node.name, s.node.store), g, null);
        return;
      }
      case 'reload': {
        const s = this.pick(a.node, g);
        if (s === null) return;
        s.node.reboot = { samePeer: a.samePeer };
        // The product draws a peer id per process (Peer, randomPeerId): the same id coming back is
        // the same process, whose sessions were dropped (it was cut off until the tracker removed
        // it), so its store writer finishes what it had queued. Only a new process loses a batch.
        if (a.samePeer) for (const each of s.node.sessions.values()) this.write(each);
        this.crash(s.node, a.samePeer ? 'restart' : 'reload');
        return;
      }
      case 'tab-pair': {
        const s = this.pick(a.node, g);
        if (s === null) return;
        const tab = this.newNode(s.node.name, s.node.store);
        this.log(`${s.node.id} opens a second tab ${tab.id}`);
        for (const o of s.node.sessions.values()) if (this.active(o)) this.startFromStore(tab, o.g, null);
        return;
      }
      case 'suspect': {
        const s = this.pick(a.node, g);
        if (s === null || !g.tracker.isMember(s.node.id)) return;
        this.log(`tracker falsely suspects ${s.node.id} in ${g.id}`);
        this.removeFromGroup(g, s.node.id, 'failed');
        return;
      }
      case 'link-fail': {
        const x = this.pick(a.a, g);
        const y = this.pick(a.b, g);
        if (x === null || y === null || x === y || !g.net.isUp(x.node.id, y.node.id)) return;
        if (this.relays.relayed(g.index, x.node.id, y.node.id)) return; // no direct channel to fail
        g.net.down(x.node.id, y.node.id);
        g.tracker.reportLink(x.node.id, y.node.id, 'down', this.now);
        this.log(`link ${x.node.id}~${y.node.id} @${g.index} DOWN for ${a.downMs}ms`);
        if (a.downMs > LINK_GRACE_MS) {
          this.schedule(this.now + LINK_GRACE_MS, {
            k: 'link-grace',
            g: g.index,
            a: x.node.id,
            b: y.node.id,
            epoch: g.net.epochOf(x.node.id, y.node.id),
          });
        }
        this.schedule(this.now + a.downMs, { k: 'link-up', g: g.index, a: x.node.id, b: y.node.id, reconnect: true });
        return;
      }
      case 'relay': {
        const x = this.pick(a.a, g);
        const y = this.pick(a.b, g);
        if (x === null || y === null || x === y || !g.net.isUp(x.node.id, y.node.id)) return;
        const [p, q] = [x.node.id, y.node.id];
        if (this.relays.relayed(g.index, p, q)) return;
        g.net.down(p, q);
        g.tracker.reportLink(p, q, 'down', this.now);
        this.log(`link ${p}~${q} @${g.index} DOWN for ${a.downMs}ms, relayed meanwhile (${a.fault})`);
        const epoch = g.net.epochOf(p, q);
        this.schedule(this.now + LINK_GRACE_MS, { k: 'link-grace', g: g.index, a: p, b: q, epoch });
        this.relays.start(g.index, p, q);
        const end = this.now + Math.max(a.downMs, SIM_RELAY_AFTER_MS + 1);
        if (a.fault !== 'none')
          this.schedule(this.rng.int(this.now + SIM_RELAY_AFTER_MS, end), {
            k: 'relay-fault',
            g: g.index,
            a: p,
            b: q,
            fault: a.fault,
          });
        this.schedule(end, { k: 'relay-end', g: g.index, a: p, b: q });
        return;
      }
      case 'duplicate': {
        const x = this.pick(a.a, g);
        const y = this.pick(a.b, g);
        if (x !== null && y !== null && x !== y) g.net.markDuplicate(x.node.id, y.node.id);
        return;
      }
      case 'lie':
        this.lie();
        return;
      case 'tracker-restart':
        this.log('tracker restarts and re-sends views');
        for (const each of this.groups) this.sendView(each, each.tracker.restart());
        return;
      case 'tracker-forgets':
        this.log('tracker restarts on the in-memory store and forgets every group');
        for (const each of this.groups) {
          each.tracker.forget();
          each.trackerEpoch += 1;
          for (const id of this.order) {
            const s = this.session(each, id);
            // Each reconnects on its own schedule (socket.io backoff) and finds its group gone.
            if (this.active(s))
              this.schedule(this.now + this.rng.int(VIEW_MIN_DELAY_MS, RECONNECT_MAX_MS), {
                k: 'restore',
                g: each.index,
                node: id,
                inc: s.node.inc,
                tracker: each.trackerEpoch,
              });
          }
        }
        return;
    }
  }

  private leave(s: Session): void {
    if (!this.active(s)) return;
    this.carry(s, s.core.close('Left the group.', this.now));
    s.status = 'left';
    s.g.checker.onGone(s.node.id);
    this.log(`${s.node.id} leaves ${s.g.id}`);
    this.schedule(this.now + LEAVE_NOTICE_MS, { k: 'leave-notice', g: s.g.index, peer: s.node.id });
  }

  // ---------------------------------------------------------------- events

  private current(peer: PeerId, inc: number): SimNode | null {
    const n = this.nodes.get(peer);
    return n !== undefined && n.inc === inc && n.alive ? n : null;
  }

  private handle(ev: SimEvent): void {
    switch (ev.k) {
      case 'action':
        this.runAction(ev.action);
        return;
      case 'heal':
        // A mute liar that is still a member stays, mute: the L checks judge whether the tracker evicts it.
        if (this.liar !== null && !this.liarStays()) this.liarGoes();
        this.healed = true;
        this.healedAt = this.now;
        for (const n of this.nodes.values()) n.crashAfter = null;
        this.log('faults healed');
        return;
      case 'tick': {
        const n = this.current(ev.node, ev.inc);
        if (n === null) return;
        for (const s of n.sessions.values()) if (this.active(s) && s.started) this.carry(s, s.core.tick(this.now));
        if (n.alive) this.schedule(this.now + TICK_MS, { k: 'tick', node: n.id, inc: n.inc });
        return;
      }
      case 'store-flush':
        this.flushStore(this.stores[ev.store] as SimStore);
        return;
      case 'wire':
        this.onWire(ev);
        return;
      case 'hostile-grace':
        this.hostileGrace(ev.a, ev.b, ev.g);
        return;
      case 'liar-tick': {
        const g = this.groups[0] as SimGroup;
        if (this.liar?.lying !== true || !g.tracker.isMember(LIAR_ID) || this.nodes.get(LIAR_ID)?.alive !== true)
          return;
        if (this.liar.dark) this.darkReport(g);
        else this.falseReport(g);
        this.schedule(this.now + LINK_GRACE_MS / 2, { k: 'liar-tick' });
        return;
      }
      case 'hostile-deadline': {
        const g = this.groups[0] as SimGroup;
        if (g.tracker.isMember(LIAR_ID) && this.honestMembers(g).length >= 2) {
          fail(
            'H3',
            LIAR_ID,
            `the liar (${this.liar?.kind}) is still a member ${this.now - (this.lieAt ?? 0)} ms after it began to lie`,
          );
        }
        return;
      }
      case 'late-history': {
        const s = this.current(ev.node, ev.inc)?.sessions.get(ev.g);
        if (s === undefined || s.lateHistory.length === 0) return;
        s.node.store.model.put(s.lateHistory);
        s.lateHistory = [];
        this.checkStore(s.node.store);
        return;
      }
      case 'frame': {
        const g = this.group(ev.g);
        const s = this.session(g, ev.to);
        if (!g.net.current(ev.from, ev.to, ev.epoch) || !this.active(s)) return;
        this.log(`${ev.from} -> ${ev.to} @${g.index} ${describeFrame(ev.frame)}`);
        if (ev.frame.t === 'history-res') this.pagedFrom(s, ev.from, ev.frame);
        this.carry(s, s.core.receive(ev.from, ev.frame, this.now));
        return;
      }
      case 'message': {
        const g = this.group(ev.g);
        const s = this.session(g, ev.to);
        if (!g.net.current(ev.from, ev.to, ev.epoch) || !this.active(s)) return;
        for (const r of (this.wire as WireLinks).read(g.id, ev.to, ev.from, ev.epoch, ev.text, this.now)) {
          if (!g.net.current(ev.from, ev.to, ev.epoch) || !this.active(s)) return;
          if (!r.ok) {
            // A duplicated message repeats its chunks, which the assembler refuses: a channel never duplicates.
            if (ev.dup) continue;
            throw new Error(`wire: ${ev.to} refused what ${ev.from} sent: ${r.error.code}: ${r.error.message}`);
          }
          this.log(`${ev.from} -> ${ev.to} @${g.index} ${describeFrame(r.value)}`);
          if (r.value.t === 'history-res') this.pagedFrom(s, ev.from, r.value);
          this.carry(s, s.core.receive(ev.from, r.value, this.now), false);
        }
        // One channel message is one task at the receiver: its turn ends once every frame in it is handled.
        if (this.active(s)) this.carry(s, []);
        return;
      }
      case 'view': {
        const s = this.current(ev.to, ev.inc)?.sessions.get(ev.g);
        if (s !== undefined && ev.tracker === s.g.trackerEpoch) this.onView(s, ev.view);
        return;
      }
      case 'removed': {
        const s = this.current(ev.to, ev.inc)?.sessions.get(ev.g);
        if (!this.active(s) || ev.tracker !== s.g.trackerEpoch) return;
        this.carry(s, s.core.close('Removed from the group.', this.now));
        s.status = 'removed';
        s.g.checker.onGone(s.node.id);
        this.log(`${s.node.id} is told it was removed from ${s.g.id} (${ev.reason}) while alive`);
        return;
      }
      case 'restore': {
        const before = this.current(ev.node, ev.inc)?.sessions.get(ev.g);
        // A later restart supersedes this one (the member reconnects to the tracker that runs now).
        if (!this.active(before) || ev.tracker !== before.g.trackerEpoch) return;
        if (before.status !== 'member' || !before.started) {
          // A join under way fails (links-ready finds no group): only a member re-joins and restores.
          this.carry(before, before.core.close('The join failed: the group is gone.', this.now));
          before.status = 'removed';
          before.g.checker.onGone(before.node.id);
          this.log(`${before.node.id}'s join of ${before.g.id} fails: the tracker forgot the group`);
          return;
        }
        // As packages/peer Peer re-joins: the old session ends (its writer finishes), the group is
        // restored with views above the last one this session saw if nobody did yet, and a new
        // session from the store joins it (alone if first: it founds the state from its store).
        this.write(before);
        this.carry(before, before.core.close('Re-joining the group.', this.now));
        before.status = 'removed';
        before.g.checker.onGone(before.node.id);
        const seen = Math.max(before.latestView?.viewId ?? 0, before.engine.view?.viewId ?? 0);
        if (before.g.tracker.forgotten) this.log(`${before.node.id} restores ${before.g.id}, last seen view ${seen}`);
        before.g.tracker.restore(
          membership.restoreViewFloor(seen, this.rng.int(0, membership.RESTORE_VIEW_SPREAD - 1)),
        );
        this.startFromStore(before.node, before.g, before);
        return;
      }
      case 'link-up': {
        const g = this.group(ev.g);
        const a = this.session(g, ev.a);
        const b = this.session(g, ev.b);
        if (!this.active(a) || !this.active(b)) return;
        // A dark liar opens no channel (a joiner's included).
        if (this.liar?.dark === true && (ev.a === LIAR_ID || ev.b === LIAR_ID)) return;
        // A relayed pair's direct channel stays shut until the relayed period ends (relay-end).
        if (this.relays.relayed(ev.g, ev.a, ev.b)) return;
        g.net.up(ev.a, ev.b);
        g.tracker.reportLink(ev.a, ev.b, 'up', this.now);
        this.log(`link ${ev.a}~${ev.b} @${g.index} UP${ev.reconnect ? ' again' : ''}`);
        // Both ends' sessions hear the link is open (a re-ask to a sponsor, a waiting answer, HWM exchange).
        for (const [x, y] of [
          [a, b],
          [b, a],
        ] as const)
          if (this.active(x) && this.active(y)) this.carry(x, x.core.link(y.node.id, 'up', this.now));
        this.admitReady(g);
        return;
      }
      case 'detect': {
        const n = this.nodes.get(ev.peer);
        if (n === undefined || n.inc !== ev.inc) return;
        this.log(`tracker detects ${ev.peer} failed`);
        // A missed heartbeat removes the peer from every group at once (docs/design.md §3).
        for (const g of this.groups)
          if (g.tracker.isMember(ev.peer) || g.tracker.joining.includes(ev.peer))
            this.removeFromGroup(g, ev.peer, 'failed');
        if (n.reboot !== null) this.restart(n);
        return;
      }
      case 'leave-notice':
        this.removeFromGroup(this.group(ev.g), ev.peer, 'left');
        return;
      case 'relay-probe':
        this.relays.probe(ev);
        return;
      case 'relay-env':
        this.relays.arrive(ev);
        return;
      case 'relay-fault':
      case 'relay-end':
        this.relayEvent(ev);
        return;
      case 'link-grace': {
        const g = this.group(ev.g);
        if (g.net.isUp(ev.a, ev.b) || g.net.epochOf(ev.a, ev.b) !== ev.epoch) return;
        if (!g.tracker.isMember(ev.a) || !g.tracker.isMember(ev.b)) return;
        const evict = g.tracker.linkVerdict(ev.a, ev.b, this.now, LINK_GRACE_MS);
        if (evict === null)
          throw new Error(`link ${ev.a}~${ev.b} down past grace, reported by both ends, evicts nobody`);
        this.log(`link ${ev.a}~${ev.b} @${g.index} down past grace: tracker evicts ${evict}`);
        this.removeFromGroup(g, evict, 'evicted');
        return;
      }
    }
  }

  /** Relayed links: the relay layer's routes (relay-links.ts), acting through this host. */
  private readonly relays = new SimRelays(this.relayHost(), this.stats.relay);

  private relayHost(): RelayHost {
    const sessionOf = (g: number, p: PeerId): Session | undefined => this.session(this.group(g), p);
    return {
      now: () => this.now,
      alive: (g, a, b) => this.active(sessionOf(g, a)) && this.active(sessionOf(g, b)),
      open: (g, end) => {
        const group = this.group(g);
        const ok = group.tracker.members.filter(
          (x) => x !== end && this.active(sessionOf(g, x)) && group.net.isUp(end, x) && !this.relays.relayed(g, end, x),
        );
        return new Set(ok);
      },
      hop: (g, from, to) => {
        const group = this.group(g);
        if (!this.active(sessionOf(g, to)) || !group.net.isUp(from, to) || this.relays.relayed(g, from, to))
          return null;
        return this.rng.int(LINK_MIN_DELAY_MS, LINK_MAX_DELAY_MS);
      },
      schedule: (at, ev) => this.schedule(at, ev),
      deliver: (g, to, from, frame) => {
        const s = sessionOf(g, to);
        if (!this.active(s)) return;
        this.log(`${from} -> ${to} @${g} ${describeFrame(frame)} (relayed)`);
        if (frame.t === 'history-res') this.pagedFrom(s, from, frame);
        this.carry(s, s.core.receive(from, frame, this.now));
      },
      flap: (g, end, peer) => {
        const s = sessionOf(g, end);
        if (!this.active(s) || !this.active(sessionOf(g, peer))) return;
        this.log(`${end} re-opens its relayed link to ${peer} @${g}`);
        this.carry(s, s.core.link(peer, 'down', this.now));
        if (this.active(s)) this.carry(s, s.core.link(peer, 'up', this.now));
      },
      up: (g, a, b, via) => {
        const group = this.group(g);
        group.net.relayVia(a, b, via);
        group.tracker.reportRelayed(a, b, via, this.now);
        this.log(`link ${a}~${b} @${g} UP via ${via}`);
        const [sa, sb] = [sessionOf(g, a), sessionOf(g, b)];
        for (const [x, y] of [
          [sa, sb],
          [sb, sa],
        ] as const)
          if (this.active(x) && this.active(y)) this.carry(x, x.core.link(y.node.id, 'up', this.now));
        this.admitReady(group);
      },
      down: (g, a, b) => {
        const group = this.group(g);
        this.log(`relayed link ${a}~${b} @${g} has no route: DOWN`);
        group.net.down(a, b);
        group.tracker.reportLink(a, b, 'down', this.now);
        const epoch = group.net.epochOf(a, b);
        this.schedule(this.now + LINK_GRACE_MS, { k: 'link-grace', g, a, b, epoch });
      },
      log: (line) => this.log(line),
    };
  }

  /** A relay fault, or the end of the relayed period (the direct channel opens). */
  private relayEvent(ev: Extract<SimEvent, { k: 'relay-fault' | 'relay-end' }>): void {
    const g = this.group(ev.g);
    const { a, b } = ev;
    if (!this.active(this.session(g, a)) || !this.active(this.session(g, b))) return;
    if (ev.k === 'relay-fault') {
      if (ev.fault === 'crash') {
        const via = this.relays.viaOf(ev.g, a, b);
        const n = via === null ? undefined : this.nodes.get(via);
        if (n !== undefined) this.crash(n, `relay of ${a}~${b}`);
        return;
      }
      const via = this.relays.fault(ev.g, a, b, ev.fault);
      if (via !== null) this.log(`relay ${via} of ${a}~${b} @${g.index}: ${ev.fault}`);
      return;
    }
    const relayed = this.relays.relayed(ev.g, a, b);
    this.relays.end(ev.g, a, b);
    if (!relayed && g.net.isUp(a, b)) return; // opened directly meanwhile
    g.net.down(a, b);
    this.schedule(this.now + this.rng.int(SIGNALING_MIN_MS, SIGNALING_MAX_MS), {
      k: 'link-up',
      g: ev.g,
      a,
      b,
      reconnect: true,
    });
  }

  private onView(s: Session, view: View): void {
    if (!this.active(s)) return;
    const previous = s.latestView;
    s.latestView = view;
    // The mesh closes channels to peers the view no longer has; what was in flight is lost. A
    // peer id that is joining again (a restarted process) keeps the channel it opened meanwhile:
    // the tracker told every member it is joining before it was admitted.
    if (previous !== null) {
      const now = new Set(view.members.map((m) => m.peerId));
      for (const m of previous.members) {
        if (!now.has(m.peerId) && !s.g.tracker.joining.includes(m.peerId) && !s.g.tracker.isMember(m.peerId))
          s.g.net.down(s.node.id, m.peerId);
      }
    }
    this.log(`${s.node.id} gets view ${view.viewId} of ${s.g.id} from the tracker`);
    this.installAt(s, view);
  }

  /** The faults heal: the liar stops lying and goes away (its process ends; the tracker notices). */
  private liarGoes(): void {
    const liar = this.liar as Liar;
    liar.lying = false;
    const node = this.nodes.get(LIAR_ID);
    if (node !== undefined && node.alive) this.crash(node, 'the liar goes away as the faults heal');
  }

  // ---------------------------------------------------------------- liveness

  private checkLiveness(): void {
    this.checkMuteEvicted();
    for (const store of this.stores) this.flushStore(store);
    for (const g of this.groups) this.checkGroupLiveness(g);
  }

  /**
   * Frames a departed liar left waiting for views far ahead in an honest engine: they stay until the
   * group reaches those views, within the budget of peers a view leaves out (MAX_GONE_VIEWS views,
   * MAX_BUFFERED_BYTES_GONE bytes: past it, H2; PROTOCOL.md §7.5). Counted as H4, left out of L2's
   * hold-back count.
   */
  private liarLeftovers(s: Session, g: SimGroup): number {
    if (this.liar === null) return 0;
    const st = (
      s.engine as OrderingEngine & {
        debugState?: () => { bufferedBytes?: Record<string, number>; buffered?: number; bufferedFrames?: string[] };
      }
    ).debugState?.();
    const owners = Object.keys(st?.bufferedBytes ?? {});
    if (owners.length !== 1 || owners[0] !== LIAR_ID || g.tracker.isMember(LIAR_ID)) return 0;
    const views = new Set((st?.bufferedFrames ?? []).map((f) => f.slice(f.lastIndexOf('@') + 1)));
    const bytes = st?.bufferedBytes?.[LIAR_ID] ?? 0;
    if (s.engine.view !== null && (views.size > MAX_GONE_VIEWS || bytes > MAX_BUFFERED_BYTES_GONE))
      fail('H2', s.node.id, `holds ${bytes} bytes for ${views.size} views from the departed liar, over its budget`);
    g.checker.tolerated.push({
      rule: 'H4',
      node: s.node.id,
      message: `still holds ${st?.buffered} frames (${st?.bufferedBytes?.[LIAR_ID]} bytes) the departed liar sent for later views`,
    });
    return st?.buffered ?? 0;
  }

  private checkGroupLiveness(g: SimGroup): void {
    // A mute liar that stayed (waitingOnMute) is no survivor: its deliveries are no guarantee's business.
    const survivors = g.tracker.members.filter(
      (p) => this.session(g, p)?.status === 'member' && this.nodes.get(p)?.alive === true && !this.isLiarId(p),
    );
    const holdBack = new Map<PeerId, number>();
    for (const p of survivors) {
      const s = this.session(g, p) as Session;
      if (s.engine.view?.viewId !== g.tracker.currentViewId) {
        fail(
          'L2',
          p,
          `ends in view ${s.engine.view?.viewId ?? 'none'} of ${g.id}, the tracker's view is ${g.tracker.currentViewId}`,
        );
      }
      if (s.core.outboxSize > 0) fail('L1', p, `${s.core.outboxSize} messages never left its composer in ${g.id}`);
      const c = readCounters(s.engine);
      if (c.holdBack !== undefined) holdBack.set(p, c.holdBack - this.liarLeftovers(s, g));
    }
    const joiners = new Set(survivors.filter((p) => this.session(g, p)?.joiner === true && !g.founders.includes(p)));
    g.checker.checkLiveness(survivors, joiners, holdBack);
    if (this.options.ops === true) this.checkFolds(g, survivors);
    this.log(
      `quiescent ${g.id}: ${survivors.length} survivors with ${survivors.map((p) => g.checker.logOf(p).length).join('/')} messages`,
    );
  }

  /** SimOptions.ops: every survivor's compared log, folded by OpFold, shows the same messages (OPS). */
  private checkFolds(g: SimGroup, all: readonly PeerId[]): void {
    const compared = g.checker.comparedLogs(all);
    const survivors = compared.nodes.map((node) => ({
      node,
      log: (this.session(g, node) as Session).log,
      ids: compared.log(node),
    }));
    const differs = compareFolds(g.id, survivors, this.stats.ops);
    if (differs !== null)
      fail('OPS', differs.node, `folds its log in ${g.id} to ${differs.got} but ${differs.first} to ${differs.want}`);
  }
}

export const runScenario = (scenario: Scenario, options: SimOptions): SimResult =>
  new Simulation(scenario, options).run();
