// The checker holds what the whole simulated world knows: every message a
// sender committed, one canonical log (total order), and every node's
// deliveries. It is fed each delivery and each installed view as it happens,
// so a safety violation is caught at the step that caused it (TigerBeetle
// VOPR style). Crashed and removed nodes keep counting for safety.

import type { MessageId, Ordering, PeerId, ViewId } from '../src/ids.ts';
import { frameMessageId, messageId } from '../src/ids.ts';
import type { DataFrame } from '../src/wire/frames.ts';
import type { Delivery } from '../src/ordering/engine.ts';
import { ORDER_KEY_DIGITS } from '../src/ordering/order-key.ts';
import { canonicalFields, fakeVerify } from './fake-signature.ts';

/**
 * S4U is S4 for members that are gone: a member that crashed, left or was
 * removed must have delivered a prefix of the log the others go on to
 * deliver (uniform total order). It is reported apart from S4 (live members
 * disagreeing) because the two need different fixes.
 */
export type Guarantee =
  | 'S1'
  | 'S2'
  | 'S3'
  | 'S4'
  | 'S4U'
  | 'S5'
  | 'S6'
  | 'S7'
  | 'L1'
  | 'L2'
  | 'L3'
  | 'ST1'
  | 'ST2'
  | 'ENGINE'
  // Hostile runs (sim/hostile.ts): H1 an honest member evicted on the liar's word, H2 a buffer over its
  // budget, H3 a liar the link rules can see still a member at its deadline. S2E (equivocation shown
  // apart) and SPONSOR (a joiner misled by an undetectable sponsor lie) are documented limits, counted.
  // H4 (a departed liar's frames for later views left in an honest engine, within the budget of
  // peers a view leaves out; past it, H2) is counted.
  | 'H1'
  | 'H2'
  | 'H3'
  | 'H4'
  | 'S2E'
  | 'SPONSOR'
  // SimOptions.ops (sim/op-bodies.ts): survivors' logs folded by the shipped OpFold show different messages.
  | 'OPS';
// ST1 and ST2 are the store's: for every node and group the store holds exactly the
// group's delivered sequence (no loss, no duplicate, nothing of another group), and a
// restarted node shows a prefix of what it had delivered (the simulator checks both).

/**
 * One incarnation of the group's log (PROTOCOL.md §3.11): begun by the
 * member(s) that gained state without a sponsor in view `incarnation` (null
 * until the simulator names it). Total-order keys of its messages carry that
 * number; every member's deliveries in it are a prefix of `entries`.
 */
interface Era {
  incarnation: number | null;
  readonly entries: CanonicalEntry[];
}

interface CanonicalEntry {
  readonly id: MessageId;
  /** Nodes that delivered `id` at this position. */
  readonly holders: Set<PeerId>;
}

export interface Violation {
  readonly rule: Guarantee;
  readonly node: PeerId | null;
  readonly message: string;
}

/** A misled joiner's violation, recorded as SPONSOR: the check of that node stops where it was. */
class Excused extends Error {}

export class ViolationError extends Error {
  constructor(readonly violation: Violation) {
    super(`${violation.rule}${violation.node === null ? '' : ` at ${violation.node}`}: ${violation.message}`);
  }
}

interface InstallRecord {
  readonly viewId: ViewId;
  readonly delivered: Set<MessageId>;
  /** Installed by a joiner before it had state: what it delivered in this view came partly by hand-over. */
  stateless: boolean;
}

interface NodeRecord {
  readonly log: MessageId[];
  readonly ids: Set<MessageId>;
  readonly lastSeq: Map<PeerId, number>;
  lastOrder: string | null;
  install: InstallRecord | null;
  /** Deliveries handed over by a sponsor (history), not made by this node's engine. */
  handed: number;
  lastP: number | null;
  lastA: number | null;
  era: number;
  /** Started from its store's history (a reload, a second tab): a sponsor's history continues it. */
  resumed: boolean;
  /** Where in `log` its current era starts (a restarted node's store may hold an earlier era first). */
  eraStart: number;
  /** What it showed from its store when it started. */
  readonly shown: Set<MessageId>;
  /** The view each message it showed from its store was sent in. */
  readonly shownIn: Map<MessageId, ViewId>;
  /** Its stored log left the canonical one (a crashed incarnation's non-uniform deliveries). */
  divergent: boolean;
  /** The last history a sponsor handed it. */
  handedLast: readonly Delivery[];
  /**
   * While the node still takes its older history pages (PROTOCOL.md §4, a backfill), or shows a
   * store with holes such a backfill left: its deliveries, checked for S1, S2 and S5 as they come
   * and for S3 and S4 in order-key order once its history is whole (`onBackfilled`); else null.
   */
  parked: Parked[] | null;
}

interface Parked {
  readonly d: Delivery;
  readonly handed: boolean;
  readonly fromStore: boolean;
  readonly live: boolean;
}

/** Engines may expose this read-only view of their counters (see create-engine.ts). */
export interface EngineCounters {
  readonly P?: number;
  readonly A?: number;
  readonly holdBack?: number;
  /** False while a joiner waits for its sponsor's state. */
  readonly adopted?: boolean;
  /** The view the engine's log began in (PROTOCOL.md §3.11): names the era of a node that starts afresh. */
  readonly incarnation?: number;
}

/** The incarnation a total-order key begins with (order-key.ts), or null when it names none. */
const incarnationOf = (key: string): number | null => {
  const lead = key.slice(0, ORDER_KEY_DIGITS);
  return key[ORDER_KEY_DIGITS] === ':' && /^\d+$/.test(lead) ? Number(lead) : null;
};

/** Whether some sender's messages among `log` do not run from seq 1 without a hole. */
const holed = (log: readonly Delivery[]): boolean => {
  const seqs = new Map<string, number[]>();
  for (const d of log) seqs.set(d.frame.sender, [...(seqs.get(d.frame.sender) ?? []), d.frame.seq]);
  return [...seqs.values()].some((list) => list.sort((a, b) => a - b).some((seq, i) => seq !== i + 1));
};

export class Checker {
  readonly sent = new Map<MessageId, DataFrame>();
  /**
   * One canonical log per era. A group whose every member with state is gone
   * (left, crashed) keeps no history anyone could hand over; whoever comes
   * next starts a new log, and a new era (keyed by the view it starts in).
   */
  private readonly eras: Era[] = [{ incarnation: null, entries: [] }];
  /** Violations of tolerated guarantees (known engine gaps), recorded instead of stopping the run. */
  readonly tolerated: Violation[] = [];
  private readonly eraOfView = new Map<number, number>();
  /** The order key each node stored for a message (compared among nodes still in the group). */
  private readonly orderOf = new Map<MessageId, Map<PeerId, string>>();
  /** Nodes that crashed, left or were removed. */
  private readonly gone = new Set<PeerId>();
  /** Who delivered each message through its engine (not from a sponsor or a store). */
  private readonly engineHolders = new Map<MessageId, Set<PeerId>>();
  /** The era each message was first delivered in by an engine. */
  private readonly eraOfMessage = new Map<MessageId, number>();
  /** Messages sent by an earlier incarnation of a restarted peer id: their sender did not survive. */
  private readonly orphaned = new Set<MessageId>();
  private readonly idOfOrder = new Map<string, MessageId>();
  private readonly nodes = new Map<PeerId, NodeRecord>();
  /** `${from}>${to}` -> the set delivered in view `from` by the first node that moved on to `to`. */
  private readonly viewSets = new Map<string, { readonly node: PeerId; readonly set: string }>();

  /** Every DATA a hostile member signed, by id: each version's signed fields (it may sign several). */
  private readonly hostileSigned = new Map<MessageId, Set<string>>();
  /** The version of a hostile member's message the first honest node delivered, and who. */
  private readonly hostileShown = new Map<
    MessageId,
    { readonly node: PeerId; readonly fields: string; readonly live: boolean }
  >();
  /** Joiners a hostile sponsor told an undetectable lie (PROTOCOL.md §7.3 "Can, still"). */
  private readonly misled = new Set<PeerId>();
  /** Misled joiners whose log broke a guarantee because of it: no longer compared (S1, S2 still hold). */
  private readonly excused = new Set<PeerId>();

  constructor(
    readonly mode: Ordering,
    private readonly tolerate: ReadonlySet<Guarantee> = new Set(),
  ) {}

  private fail(rule: Guarantee, node: PeerId | null, message: string): never {
    if (node !== null && this.misled.has(node) && rule !== 'S1' && rule !== 'S2' && rule !== 'S6') {
      this.excuse(node, rule, message);
      throw new Excused();
    }
    throw new ViolationError({ rule, node, message });
  }

  /** Records `node`'s (a misled joiner's) violation found while checking another node: its checks end. */
  private excuse(node: PeerId, rule: Guarantee, message: string): void {
    if (this.excused.has(node)) return;
    this.tolerated.push({
      rule: 'SPONSOR',
      node,
      message: `${rule} after a hostile sponsor's undetectable lie: ${message}`,
    });
    this.excused.add(node);
  }

  /** Runs a check of `node`; a misled node's failure ends its checks instead of the run. */
  private excusing(node: PeerId, check: () => void): void {
    if (this.excused.has(node)) return;
    try {
      check();
    } catch (e) {
      if (!(e instanceof Excused)) throw e;
    }
  }

  /** A hostile member signed this version of one of its messages (S2 accepts any of them). */
  onHostileSigned(frame: DataFrame): void {
    const id = frameMessageId(frame);
    const versions = this.hostileSigned.get(id) ?? new Set<string>();
    versions.add(canonicalFields(frame));
    this.hostileSigned.set(id, versions);
  }

  /** A hostile sponsor told `node` a lie no check can see (an omitted item, a minted one, an inflated count). */
  onMisled(node: PeerId): void {
    this.misled.add(node);
  }

  get canonical(): readonly MessageId[] {
    return (this.eras[this.eras.length - 1] as Era).entries.map((e) => e.id);
  }

  private record(node: PeerId): NodeRecord {
    let r = this.nodes.get(node);
    if (r === undefined) {
      r = {
        log: [],
        ids: new Set(),
        lastSeq: new Map(),
        lastOrder: null,
        install: null,
        handed: 0,
        lastP: null,
        lastA: null,
        era: 0,
        resumed: false,
        eraStart: 0,
        shown: new Set(),
        shownIn: new Map(),
        divergent: false,
        handedLast: [],
        parked: null,
      };
      this.nodes.set(node, r);
    }
    return r;
  }

  logOf(node: PeerId): readonly MessageId[] {
    return this.record(node).log;
  }

  /** A sender's runtime signed and committed this frame (engine.send accepted it). */
  onSent(frame: DataFrame): void {
    const id = frameMessageId(frame);
    const first = this.sent.get(id);
    if (first !== undefined) {
      // A restarted peer id may reuse a seq only if its first use left no trace in any live log
      // (it died with the process before anyone, its store included, kept it) — or re-issue it: the
      // same text signed again for a later view, when only its own store kept the first (PROTOCOL.md §3.1):
      // a second tab or a joiner may show that store's copy, but no live engine delivered it (a
      // tracker-restart seed of sim-fifo-small: the sender's second tab showed its m2 from their store).
      const again = first.body === frame.body && first.sentAt === frame.sentAt && first.viewId < frame.viewId;
      const byEngine = this.engineHolders.get(id);
      const holders = [...this.nodes]
        .filter(([p, r]) => !this.gone.has(p) && r.ids.has(id) && !(again && (p === frame.sender || !byEngine?.has(p))))
        .map(([p]) => p);
      if (holders.length > 0 || !this.orphaned.has(id)) {
        this.fail(
          'S1',
          frame.sender,
          `sender committed seq ${frame.seq} twice${holders.length > 0 ? ` (${holders.join(', ')} delivered the first)` : ''}`,
        );
      }
      this.orphaned.delete(id);
    }
    this.sent.set(id, frame);
  }

  /** One delivery at `node`; `handed` when it came in a sponsor's history rather than from the engine. */
  /** `viaFlush`: a view change's flush delivered it (not the view's own ordering). */
  onDeliver(node: PeerId, d: Delivery, handed: boolean, fromStore = false, viaFlush = false): void {
    if (this.excused.has(node)) {
      this.checkSigned(node, d, false);
      return;
    }
    this.excusing(node, () => this.deliver(node, d, handed, fromStore, !handed && !fromStore && !viaFlush));
  }

  /**
   * S1 (within what the node delivered) and S2: only what its signer signed, unaltered; S2E: two
   * honest nodes show one message in two versions. `live`: delivered by the view's own ordering (not
   * a flush, a hand-over or a store).
   */
  private checkSigned(node: PeerId, d: Delivery, live: boolean): void {
    const f = d.frame;
    if (this.record(node).ids.has(d.id)) this.fail('S1', node, `delivered ${d.id} twice`);
    if (frameMessageId(f) !== d.id)
      this.fail('S2', node, `delivery id ${d.id} does not match frame ${frameMessageId(f)}`);
    if (!fakeVerify(f)) this.fail('S2', node, `delivered ${d.id} with a signature that does not match its fields`);
    const fields = canonicalFields(f);
    const original = this.sent.get(d.id);
    if (original !== undefined) {
      if (canonicalFields(original) !== fields)
        this.fail('S2', node, `delivered ${d.id} with fields changed since it was signed`);
      return;
    }
    const versions = this.hostileSigned.get(d.id);
    if (versions === undefined) this.fail('S2', node, `delivered ${d.id}, which no sender committed`);
    if (!versions.has(fields)) this.fail('S2', node, `delivered ${d.id} with fields its (hostile) sender never signed`);
    // Two honest nodes showing two versions of one id: the liar equivocated. In FIFO nothing stops
    // that (each member sees one version; PROTOCOL.md §7.2): counted, not fatal. In total order the
    // echo carries the version each member orders (§3.3), so only a view change's flush (its FLUSH
    // reports can be lies, open, §7.5) or a hand-over passed on from one should do it: counted, and
    // the message says which of the two deliveries came outside a step that installs a view.
    const shown = this.hostileShown.get(d.id);
    if (shown === undefined) this.hostileShown.set(d.id, { node, fields, live });
    else if (shown.fields !== fields && shown.node !== node) {
      const message = `delivered another version of ${d.id} than ${shown.node} did (its sender equivocated; `;
      // Not yet fatal when both look live: a flush's resolution can deliver in a step before the one
      // that installs the view (FLUSH-OK), so "live" here is not proof (hostile seed 302108).
      const how =
        this.mode === 'fifo'
          ? 'FIFO'
          : live && shown.live
            ? 'total order, both outside a step that installs a view'
            : `total order, ${live ? shown.node : node} through a flush or a hand-over`;
      // Counted only where the run tolerates it (hostile runs; `npm run sim -- --hostile --strict` does not).
      if (!this.tolerate.has('S2E')) this.fail('S2E', node, `${message}${how})`);
      this.tolerated.push({ rule: 'S2E', node, message: `${message}${how})` });
      this.hostileShown.set(d.id, { node, fields, live });
    }
  }

  private deliver(node: PeerId, d: Delivery, handed: boolean, fromStore: boolean, live = false, replay = false): void {
    const r = this.record(node);
    const f = d.frame;
    this.checkSigned(node, d, live);
    if (r.parked !== null && !replay) {
      // Still filling in its older history: S1, S2 (above) and S5 now, S3 and S4 once it is whole.
      if (!handed) this.deliveredInView(node, r, d);
      r.ids.add(d.id);
      r.parked.push({ d, handed, fromStore, live });
      return;
    }
    // S3: per-sender FIFO without gaps.
    const last = r.lastSeq.get(f.sender) ?? 0;
    // The one allowed jump (hwm.floor, PROTOCOL.md §3.1): over seqs an earlier engine of a restarted
    // peer id used that no engine delivered in this node's era (they are another era's, or nobody's),
    // or that only engines now gone delivered and its sender's store does not show: a crashed member's
    // non-uniform delivery as in S4U. One the sender's own earlier engine delivered locally and its
    // store still holds, its new session sends again (a re-issue, §3.1; seed 502308280 of sim-fifo-small).
    const skipped = (k: number): boolean => {
      const id = messageId(f.groupId, f.sender, k);
      if (!this.orphaned.has(id)) return false;
      if (this.eraOfMessage.get(id) !== r.era) return true;
      return !this.heldByLiveEngine(id) && !this.record(f.sender).shown.has(id);
    };
    // S4: one canonical log; unique agreed priorities.
    // A message of an earlier era shown from a store (or handed over from one) is no part of
    // this era's log: S1-S3 hold for it, the canonical log of the era does not include it.
    const earlier = handed && (this.eraOfMessage.get(d.id) ?? r.era) !== r.era;
    // Handed after a later message of its sender that this era delivered (a joiner whose sponsor was
    // dropped, and the next one holds what the group delivered before it emptied or its tracker
    // forgot it): its key names an earlier incarnation, so the screen, in order-key order, shows it
    // above that sender's messages of this era, in its sender's order (the tracker-forgets mix,
    // simulator seeds 12, 98, 246, 288 of its scenario generator).
    const era = this.eras[r.era] as Era;
    const inc = incarnationOf(d.order);
    const above = earlier && this.mode === 'total' && inc !== null && era.incarnation !== null && inc < era.incarnation;
    if (!above) {
      for (let k = last + 1; k < f.seq; k++)
        if (!skipped(k)) this.fail('S3', node, `delivered ${d.id} after seq ${last} of that sender`);
      if (f.seq <= last) this.fail('S3', node, `delivered ${d.id} after seq ${last} of that sender`);
    }
    if (!handed && !this.eraOfMessage.has(d.id)) this.eraOfMessage.set(d.id, r.era);
    if (!handed) {
      const holders = this.engineHolders.get(d.id) ?? new Set<PeerId>();
      holders.add(node);
      this.engineHolders.set(d.id, holders);
    }
    // A joiner a hostile sponsor misled holds a log the others' is no measure of (PROTOCOL.md §7.3).
    if (this.mode === 'total' && !earlier && !r.divergent && !this.misled.has(node)) {
      const at = r.log.length - r.eraStart;
      const canonical = era.entries;
      // Order keys name the incarnation the message was delivered in; it must be this node's.
      if (inc === null) this.fail('S4', node, `${d.id} has order key ${d.order}, which names no incarnation`);
      if (era.incarnation === null) era.incarnation = inc;
      else if (inc !== era.incarnation && !fromStore)
        this.fail(
          'S4',
          node,
          `${d.id} has order key ${d.order} of incarnation ${inc}, but this node's log began in view ${era.incarnation}`,
        );
      const expected = canonical[at];
      // What a session shows from its store binds nobody: it may be a crashed session's non-uniform
      // delivery, which the session replaces with the group's key once it joins (PROTOCOL.md §4).
      const holding = fromStore ? new Set<PeerId>() : new Set([node]);
      if (expected === undefined) canonical.push({ id: d.id, holders: holding });
      else if (expected.id === d.id) {
        if (!fromStore) expected.holders.add(node);
      } else {
        const where = `position ${at} is ${d.id} here but ${expected.id} in the canonical log${r.era > 0 ? ` (era ${r.era})` : ''}`;
        const holders = [...expected.holders];
        // A restarted node's store holds what its earlier incarnation delivered before it crashed:
        // non-uniform like any crashed member's log (S4U), not a disagreement of live members.
        if (!fromStore && (this.gone.has(node) || !holders.every((h) => this.gone.has(h))))
          this.fail('S4', node, where);
        // Only members that are gone delivered the canonical entry here (and so everything after it).
        const v: Violation = {
          rule: 'S4U',
          node,
          message: `${where}, which only ${holders.join(', ')} delivered before leaving the group`,
        };
        if (!this.tolerate.has('S4U')) throw new ViolationError(v);
        this.tolerated.push(v);
        // From here its log is its crashed incarnation's: positions no longer compare, keys still do.
        if (fromStore) r.divergent = true;
        else {
          canonical.splice(at, canonical.length - at, { id: d.id, holders: new Set([node]) });
          // A log that ran past `at` on the entries just cut is a crashed incarnation's, shown from a
          // restarted node's store (a live holder would have failed above): from here its positions
          // no longer compare either, or its next delivery would land past the cut (seed 33377310).
          for (const [other, o] of this.nodes)
            if (other !== node && o.era === r.era && o.log.length - o.eraStart > at) o.divergent = true;
        }
      }
      // Same key on every member still in the group. A sender that delivers its own message at
      // the FINAL it computed and crashes before the FINAL leaves can hold a key nobody else
      // learns; its log is still checked as a prefix of the canonical log above.
      const keys = this.orderOf.get(d.id) ?? new Map<PeerId, string>();
      if (!this.gone.has(node) && !fromStore) {
        for (const [other, key] of keys) {
          if (key !== d.order && !this.gone.has(other))
            this.fail('S4', node, `${d.id} has order ${d.order} here but ${key} at ${other}`);
        }
      }
      if (!fromStore) keys.set(node, d.order);
      this.orderOf.set(d.id, keys);
      // Keys carry the incarnation, so they are unique across the whole group, not only per era.
      const owner = this.idOfOrder.get(d.order);
      if (owner !== undefined && owner !== d.id)
        this.fail('S4', node, `order ${d.order} given to both ${owner} and ${d.id}`);
      if (r.lastOrder !== null && !(d.order > r.lastOrder)) {
        this.fail('S4', node, `order ${d.order} of ${d.id} does not sort after ${r.lastOrder}`);
      }
      this.idOfOrder.set(d.order, d.id);
      r.lastOrder = d.order;
    }
    // S5 bookkeeping: an engine delivers in the view it has installed (checked as it came, when parked).
    if (!handed) {
      if (!replay) this.deliveredInView(node, r, d);
    } else {
      r.handed++;
    }
    r.ids.add(d.id);
    r.log.push(d.id);
    // An earlier era's message takes no place in this era's canonical log.
    if (earlier) r.eraStart++;
    if (!above) r.lastSeq.set(f.sender, f.seq);
  }

  private deliveredInView(node: PeerId, r: NodeRecord, d: Delivery): void {
    if (r.install === null) this.fail('S5', node, `delivered ${d.id} before installing any view`);
    if (d.viewId !== r.install.viewId)
      this.fail('S5', node, `delivered ${d.id} tagged view ${d.viewId} while view ${r.install.viewId} is installed`);
    r.install.delivered.add(d.id);
  }

  /**
   * The node adopted a state before its older history came (PROTOCOL.md §4), or shows a store
   * holding messages above a hole: from here its deliveries are parked (see NodeRecord.parked).
   */
  onBackfill(node: PeerId): void {
    const r = this.record(node);
    r.parked ??= [];
  }

  /** Its history is whole: everything parked is checked in order-key order (S3, S4), as one log. True if any was. */
  onBackfilled(node: PeerId): boolean {
    const r = this.nodes.get(node);
    const parked = r?.parked ?? null;
    if (r === undefined || parked === null) return false;
    r.parked = null;
    for (const p of parked) r.ids.delete(p.d.id);
    parked.sort((a, b) => (a.d.order < b.d.order ? -1 : a.d.order > b.d.order ? 1 : 0));
    this.excusing(node, () => {
      for (const p of parked) this.deliver(node, p.d, p.handed, p.fromStore, p.live, true);
    });
    return true;
  }

  /**
   * The node's engine delivered a message its session shows already (from its store or a history
   * page), marked so: it must really be shown (else it is lost, L1), and for S5 it counts as
   * delivered in the view the engine is in.
   */
  onDeliveredShown(node: PeerId, d: Delivery): void {
    this.excusing(node, () => this.onDeliveredShownChecked(node, d));
  }

  private onDeliveredShownChecked(node: PeerId, d: Delivery): void {
    const r = this.record(node);
    if (!r.ids.has(d.id))
      this.fail('L1', node, `its engine marked ${d.id} as shown already, but the session never showed it`);
    if (r.install === null) this.fail('S5', node, `delivered ${d.id} before installing any view`);
    if (d.viewId !== r.install.viewId)
      this.fail('S5', node, `delivered ${d.id} tagged view ${d.viewId} while view ${r.install.viewId} is installed`);
    r.install.delivered.add(d.id);
  }

  /** The node's engine installed `viewId` (S5: same set delivered by all who go from one view to the same next). */
  onViewInstalled(node: PeerId, viewId: ViewId, hasState: boolean): void {
    this.excusing(node, () => this.onViewInstalledChecked(node, viewId, hasState));
  }

  private onViewInstalledChecked(node: PeerId, viewId: ViewId, hasState: boolean): void {
    const r = this.record(node);
    const prev = r.install;
    if (prev !== null && prev.viewId === viewId) return; // a re-sent view (tracker restart)
    if (prev !== null && viewId < prev.viewId)
      this.fail('S5', node, `installed view ${viewId} after view ${prev.viewId}`);
    if (prev !== null && !prev.stateless) {
      const key = `${prev.viewId}>${viewId}`;
      const set = [...prev.delivered].sort().join(',');
      const seen = this.viewSets.get(key);
      // A misled joiner's set is no measure of the others' (an inflated nextSeq makes it refuse live
      // messages as delivered, PROTOCOL.md §7.3; seed 10044): an honest node's set replaces it, and the
      // misled node's difference is counted as SPONSOR, whichever moved on first.
      if (seen !== undefined && this.misled.has(seen.node) && !this.misled.has(node)) {
        if (seen.set !== set)
          this.excuse(
            seen.node,
            'S5',
            `went from view ${prev.viewId} to ${viewId} having delivered {${seen.set}} in it, but ${node} delivered {${set}}`,
          );
        this.viewSets.set(key, { node, set });
      } else if (seen === undefined) this.viewSets.set(key, { node, set });
      else if (seen.set !== set) {
        this.fail(
          'S5',
          node,
          `went from view ${prev.viewId} to ${viewId} having delivered {${set}} in it, but ${seen.node} delivered {${seen.set}}`,
        );
      }
    }
    r.install = { viewId, delivered: new Set(), stateless: !hasState };
    for (const d of r.handedLast) if (d.viewId === viewId && r.ids.has(d.id)) r.install.delivered.add(d.id);
  }

  /**
   * A joiner adopted its sponsor's state in its installed view. The state was
   * taken when the sponsor installed that view, before it delivered anything
   * in it, so from here the joiner's set for this view must match the others'.
   */
  onAdopted(node: PeerId): void {
    const r = this.record(node);
    if (r.install === null) return;
    r.install.stateless = false;
    // What it showed from its store (another tab wrote it) of this very view counts too: the state may
    // count it already (the sponsor delivered it in the step that installed the view, before it took the
    // hand-over), so no engine delivers it here again (fresh seed 1629998270 of sim-fifo-small: S5).
    for (const [id, viewId] of r.shownIn) if (viewId === r.install.viewId && r.ids.has(id)) r.install.delivered.add(id);
  }

  /**
   * A node's engine started with empty state in `viewId` although messages
   * were delivered before, and (the simulator checked) no live member had
   * state to hand over: its log starts a new era, shared with everyone else
   * who starts afresh in that view.
   */
  onFreshStart(node: PeerId, viewId: number, alone = false): void {
    this.excusing(node, () => this.onFreshStartChecked(node, viewId, alone));
  }

  private onFreshStartChecked(node: PeerId, viewId: number, alone: boolean): void {
    const r = this.record(node);
    if (r.resumed && r.log.length > 0) {
      // A node that came back from its store starts a new incarnation; its store holds the old one.
      void alone;
      r.eraStart = r.log.length;
      r.lastOrder = null;
      r.era = this.eraFor(viewId);
      return;
    }
    if (r.log.length > 0)
      this.fail('S7', node, `started afresh in view ${viewId} with ${r.log.length} messages already delivered`);
    const era = this.eraFor(viewId);
    r.era = era;
  }

  /** The era that starts afresh in `viewId` (one per view, shared by all who start in it). */
  private eraFor(viewId: number): number {
    let era = this.eraOfView.get(viewId);
    if (era === undefined) {
      // Never reuse an era another view began, even an empty one: members removed unawares may
      // still deliver in it (seeds 1127726, 1148931, 1181969). The group's creator names the first.
      const first = this.eras[0] as Era;
      if (this.eraOfView.size === 0 && first.entries.length === 0) {
        era = 0;
        first.incarnation = viewId;
      } else {
        this.eras.push({ incarnation: viewId, entries: [] });
        era = this.eras.length - 1;
      }
      this.eraOfView.set(viewId, era);
    }
    return era;
  }

  /** A node gained state in a flush where the members with state had delivered nothing yet: their era. */
  onSameEra(node: PeerId, withState: PeerId): void {
    this.excusing(node, () => this.onSameEraChecked(node, withState));
  }

  private onSameEraChecked(node: PeerId, withState: PeerId): void {
    const r = this.record(node);
    if (r.log.length > 0 && !r.resumed)
      this.fail('S7', node, `joined ${withState}'s log with ${r.log.length} messages already delivered`);
    r.era = this.record(withState).era;
    if (r.log.length > 0) {
      r.eraStart = r.log.length;
      r.lastOrder = null;
    }
  }

  /**
   * A session starts from its node's store (a reload, a second tab): `shown` is
   * the stored log it shows before the network is up, in the era of `like` (the
   * session that wrote it). It replaces whatever this peer id delivered before
   * (a restarted peer id) and is checked like any delivery.
   */
  onResume(node: PeerId, shown: readonly Delivery[], like: PeerId | null): void {
    // The era its stored log is in: that of the last message it shows (else of the session like it).
    const last = shown.at(-1);
    const eraOfLast = last === undefined ? undefined : this.eraOfMessage.get(last.id);
    const era = eraOfLast ?? (like === null ? this.eras.length - 1 : this.record(like).era);
    for (const [id, f] of this.sent) if (f.sender === node) this.orphaned.add(id);
    this.nodes.delete(node);
    this.gone.delete(node);
    for (const keys of this.orderOf.values()) keys.delete(node);
    // What its earlier engine delivered, that engine took with it: the new session holds it only as
    // stored (`shown`), so it no longer makes a message uniform (S3's floor jump, the final comparison).
    for (const holders of this.engineHolders.values()) holders.delete(node);
    const r = this.record(node);
    r.era = era;
    r.resumed = true;
    // A store a backfill left with holes is filled in by the next session's backfill.
    if (holed(shown)) this.onBackfill(node);
    for (const d of shown) {
      this.onDeliver(node, d, true, true);
      r.shown.add(d.id);
      r.shownIn.set(d.id, d.viewId);
    }
  }

  /** More of its store shown by a session that started from it (written meanwhile by another tab). */
  onShown(node: PeerId, more: readonly Delivery[]): void {
    const r = this.record(node);
    r.resumed = true;
    for (const d of more) {
      // A session is in the era of what its store holds. A store that held an earlier era's log
      // (every member had gone, and a session restarted from it: PROTOCOL.md §3.11) and now shows
      // what a later era delivered, written by another tab meanwhile, is in that era from here:
      // its earlier-era messages take no place in the later era's log (seeds 42326, 72938).
      const era = this.eraOfMessage.get(d.id);
      if (era !== undefined && (r.log.length === 0 || era > r.era)) {
        if (r.log.length > 0) {
          r.eraStart = r.log.length;
          r.lastOrder = null;
        }
        r.era = era;
      }
      this.onDeliver(node, d, true, true);
      r.shown.add(d.id);
      r.shownIn.set(d.id, d.viewId);
    }
  }

  /**
   * A sponsor's history moved messages the node showed from its store to the group's order keys
   * (PROTOCOL.md §4): what it showed was a crashed session's log, non-uniform (S4U, counted), and
   * its log starts again: the caller passes onHistory its whole new log in order, the history and
   * what the store showed and still holds where the history did not hand it again (`fromStore`).
   */
  onRekeyed(node: PeerId, moved: readonly Delivery[]): void {
    const r = this.record(node);
    const v: Violation = {
      rule: 'S4U',
      node,
      message: `showed ${moved.map((d) => d.id).join(', ')} from its store at keys the group never agreed on; its sponsor's history moves them to ${moved.map((d) => d.order).join(', ')}`,
    };
    if (!this.tolerate.has('S4U')) throw new ViolationError(v);
    this.tolerated.push(v);
    r.log.length = 0;
    r.ids.clear();
    r.lastSeq.clear();
    r.lastOrder = null;
    r.eraStart = 0;
    r.divergent = false;
    if (r.parked !== null) r.parked = [];
  }

  /** An engine still in the group delivered it (not only crashed or dropped ones: a non-uniform delivery, S4U). */
  private heldByLiveEngine(id: MessageId): boolean {
    return [...(this.engineHolders.get(id) ?? [])].some((p) => !this.gone.has(p));
  }

  /** The node crashed, left or was removed: its log still counts, its order keys no longer bind others. */
  onGone(node: PeerId): void {
    this.gone.add(node);
  }

  /** S6: an engine's P and A never decrease. */
  onCounters(node: PeerId, c: EngineCounters): void {
    const r = this.record(node);
    if (c.P !== undefined) {
      if (r.lastP !== null && c.P < r.lastP) this.fail('S6', node, `P went from ${r.lastP} down to ${c.P}`);
      r.lastP = c.P;
    }
    if (c.A !== undefined) {
      if (r.lastA !== null && c.A < r.lastA) this.fail('S6', node, `A went from ${r.lastA} down to ${c.A}`);
      r.lastA = c.A;
    }
  }

  /** S7 at hand-over: what a sponsor gives a joiner must itself be a consistent log. */
  onHistory(
    joiner: PeerId,
    items: readonly Delivery[],
    sponsor: PeerId,
    handedAll: readonly Delivery[] = items,
    fromStore: ReadonlySet<MessageId> = new Set(),
  ): void {
    // An honest sponsor a hostile one misled hands on what it was told (an omitted message stays
    // omitted, PROTOCOL.md §7.3): its joiner is misled as well (seed 14958).
    if (this.misled.has(sponsor)) this.misled.add(joiner);
    this.excusing(joiner, () => this.onHistoryChecked(joiner, items, sponsor, handedAll, fromStore));
  }

  private onHistoryChecked(
    joiner: PeerId,
    items: readonly Delivery[],
    sponsor: PeerId,
    handedAll: readonly Delivery[],
    fromStore: ReadonlySet<MessageId>,
  ): void {
    const r = this.record(joiner);
    if (r.log.length > 0 && !r.resumed)
      this.fail('S7', joiner, `got history after it had already delivered ${r.log.length} messages`);
    if (r.log.length > 0 && r.era !== this.record(sponsor).era) {
      // Its store holds an earlier era of the group (every member before had gone): from the
      // group's point of view it joins the new era as a newcomer (PROTOCOL.md: a group across an
      // empty view is fork's decision; the store keeps both).
      r.eraStart = r.log.length;
      r.lastOrder = null;
    }
    r.era = this.record(sponsor).era;
    for (const d of items) this.onDeliver(joiner, d, true, fromStore.has(d.id));
    // The sponsor may hand over messages it delivered in the view the joiner has installed:
    // for S5 they count as delivered in that view (also those the joiner showed from its store).
    // The engine may install that view only with the adoption (a joiner flushing for it).
    for (const d of handedAll)
      if (r.install !== null && d.viewId === r.install.viewId && r.ids.has(d.id)) r.install.delivered.add(d.id);
    r.handedLast = handedAll;
  }

  /**
   * History a joiner's session showed although its engine had state of its own already (a flush gave
   * it state while the session synced): checked like any delivery, after what the engine delivered.
   */
  onHistoryShown(joiner: PeerId, items: readonly Delivery[]): void {
    for (const d of items) this.onDeliver(joiner, d, true);
  }

  /**
   * Liveness once faults have healed: `survivors` are the live members of
   * the tracker's final view, `lost` the messages whose sender did not survive.
   */
  checkLiveness(all: readonly PeerId[], joiners: ReadonlySet<PeerId>, holdBack: ReadonlyMap<PeerId, number>): void {
    // A joiner a hostile sponsor misled may lack messages or show made-up ones (PROTOCOL.md §7.3): it is
    // not compared; a difference it shows is counted as SPONSOR.
    for (const p of all) this.onBackfilled(p);
    const survivors = all.filter((p) => !this.misled.has(p));
    for (const p of all)
      if (this.misled.has(p) && !this.excused.has(p))
        this.tolerated.push({
          rule: 'SPONSOR',
          node: p,
          message: 'misled by a hostile sponsor: its log is not compared',
        });
    const alive = new Set(survivors);
    const ofEra = this.ofEndingEra(survivors);
    for (const [id, frame] of this.sent) {
      if (!alive.has(frame.sender) || this.orphaned.has(id) || !ofEra(id)) continue;
      for (const s of survivors) {
        if (!this.record(s).ids.has(id))
          this.fail('L1', s, `never delivered ${id}, sent by surviving member ${frame.sender}`);
      }
    }
    for (const [s, size] of holdBack) {
      if (size > 0 && !this.misled.has(s))
        this.fail('L2', s, `hold-back queue still holds ${size} messages after the faults healed`);
    }
    const first = survivors[0];
    if (first === undefined) return;
    const compared = this.comparedLogs(survivors).log;
    const ref = compared(first);
    const refKey = this.mode === 'total' ? ref.join(',') : [...ref].sort().join(',');
    for (const s of survivors.slice(1)) {
      const log = compared(s);
      const key = this.mode === 'total' ? log.join(',') : [...log].sort().join(',');
      if (key !== refKey) {
        const rule = joiners.has(s) || joiners.has(first) ? 'S7' : 'L3';
        this.fail(rule, s, `ends with log [${log.join(', ')}] but ${first} ends with [${ref.join(', ')}]`);
      }
    }
  }

  /**
   * Survivors are compared on the era they end in: what a store shows of an earlier era (every
   * member had gone in between) is its own business (PROTOCOL.md, a group across an empty view).
   */
  private ofEndingEra(survivors: readonly PeerId[]): (id: MessageId) => boolean {
    const era = survivors[0] === undefined ? 0 : this.record(survivors[0]).era;
    return (id) => (this.eraOfMessage.get(id) ?? era) === era;
  }

  /**
   * The part of a survivor's log that must be the same at every survivor once the faults healed (L3, S7).
   * `nodes`: the survivors compared (a joiner a hostile sponsor misled is not).
   */
  comparedLogs(all: readonly PeerId[]): {
    readonly nodes: readonly PeerId[];
    readonly log: (node: PeerId) => MessageId[];
  } {
    const survivors = all.filter((p) => !this.misled.has(p));
    const ofEra = this.ofEndingEra(survivors);
    // A store shared by two tabs may show what only a crashed tab delivered, and hand it on as
    // history (a crashed member's non-uniform delivery, as S4U): such a message, that no engine
    // still in the group delivered, is left out of the comparison.
    // What a survivor shows from its store sits where its earlier incarnation delivered it (S4U):
    // such messages are left out of the comparison of survivors' logs.
    const fromStores = new Set<MessageId>();
    for (const s of survivors) for (const id of this.record(s).shown) fromStores.add(id);
    return {
      nodes: survivors,
      log: (node) =>
        this.record(node).log.filter((id) => ofEra(id) && this.heldByLiveEngine(id) && !fromStores.has(id)),
    };
  }
}
