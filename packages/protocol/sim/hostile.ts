// The hostile member (PROTOCOL.md §7): the only simulator code on the liar's side. It runs the
// product's SessionCore like every node (so it joins, proposes, flushes and sponsors as an honest
// member would) and lies by rewriting what that core puts on its links, and by what it tells the
// tracker. Its frames reach the honest nodes through the product's encoder, parser and (modelled)
// signature checks (hostile-wire.ts); the honest side is the code that ships. The liar can sign
// only as itself (and as senders it makes up, with keys it makes up): any other signature it sends
// is a forgery the honest side must catch.
//
// Kinds (`Hostile.kind`), each from its first `lie` action until the faults heal:
// - clock: its DATA carry Lamport times and `sentAt` far off, its PROPOSE,
//   FINAL and FLUSH priorities jump, its HWM inflates counts (`variant` picks
//   how far: within the engine's step bounds, just past them, or 2^53-1);
// - equivocate: half the members (by peer id) are told something else about
//   its messages (`variant` >> 1 mod 4): another validly signed DATA for each
//   of its seqs, everywhere the liar hands that message on (DATA, FLUSH,
//   history); that and, in total order, another FINAL priority (one above);
//   only the other FINAL; or a FINAL at its own proposal (below the others');
// - silent: `variant` even: it keeps its channels open and sends nothing (mute);
//   odd: it closes every channel and keeps heartbeating the tracker (dark) —
//   the honest ends report their links down;
// - false-report: it tells the tracker its link to an honest member is down
//   while the link works, again at every `lie` and every half grace time;
// - sponsor: every joiner asks it first (the simulator names newcomers so that their order of
//   sponsors, policy.ts `sponsorOrder`, starts with the liar), and it lies in its
//   history pages (`variant` mod 8): reorders them, forges an item, pages
//   forever without items, goes silent, omits an item, mints a message of a
//   made-up sender, hands another group's item, or lies in its state (`inflate`; `variant` >> 3
//   mod 4: 0 an `agreed` 3/4 of MAX_PRIORITY_STEP above its own, 1 an incarnation of its state's
//   view, or the one before it; 2 and 3 a sender's `nextSeq` inflated by 2) — the state lies but
//   `nextSeq` are the ones the next old member's word contradicts (PROTOCOL.md §7.3 "Corroborated");
// - flood: every `lie` sends FLUSH and DATA frames for views far ahead (with
//   `variant` mod 8 = 0, to one member, until its byte budget is exceeded), or
//   (`variant` >> 4 odd) DATA for the next view and the one after (and, with
//   `variant` >> 5 odd, made-up FLUSH reports for them to some members); with
//   `variant` mod 16 = 4, to one member, DATA of its own seqs just past its
//   next one until they pass the hold-back budget (they wait behind a seq it
//   never sends);
// - flush-lie: lies in the rounds of a view change without signing two reports (sim/flush-liar.ts);
// - withhold: keeps its PROPOSE from one sender only, copies to the others (sim/propose-withholder.ts).

import type { GroupId, PeerId, ViewId } from '../src/ids.ts';
import { asPeerId, asViewId } from '../src/ids.ts';
import { MAX_BUFFERED_BYTES_PER_PEER, MAX_HELD_BYTES_PER_SENDER } from '../src/ordering/group-engine.ts';
import { MAX_LAMPORT_STEP } from '../src/ordering/lamport.ts';
import { MAX_PRIORITY_STEP } from '../src/ordering/priority.ts';
import { MAX_BODY_CHARS, MAX_SENT_AT_MS } from '../src/wire/caps.ts';
import type {
  DataFrame,
  FinalFrame,
  FlushFrame,
  GroupFrame,
  HistoryItem,
  HistoryResponseFrame,
  JoinerState,
  Priority,
} from '../src/wire/frames.ts';
import { linkHash } from '../src/wire/chain.ts';
import { finalsOf, proposesOf } from '../src/wire/cumulative.ts';
import { fakeSign, fakeSignFinal, fakeSignFlush } from './fake-signature.ts';
import { flushLieOf, lieInFlush } from './flush-liar.ts';
import { ProposeWithholder } from './propose-withholder.ts';
import { reportHash } from '../src/ordering/flush-agreement.ts';
import { simKey } from './hostile-wire.ts';
import type { Hostile } from './scenario.ts';

/**
 * The liar's peer id: '-' sorts before every hex digit, so it is the lowest id (tie-breaks). A low id
 * no longer makes it a sponsor (PROTOCOL.md §7.2): the simulator names each newcomer so that the liar
 * is first in its order of sponsors (simulator.ts `liarFirst`).
 */
export const LIAR_ID = asPeerId('0-liar');
/** A sender the lying sponsor makes up (with a key it makes up). */
export const GHOST_ID = asPeerId('0-ghost');

/**
 * The undetectable sponsor lies (PROTOCOL.md §7.3 "Can, still"): their victim's log may lack or add messages.
 * An inflated count is caught by its missing head while another old member can hand the state over, so
 * its victim counts as misled only if it adopts the liar's state (`inflated`, the simulator's onAdopting).
 */
const MISLEADING_LIES: readonly number[] = [4, 5];
/** What the equivocating liar tells half the members (`variant` >> 1 mod 4). */
export const EQUIVOCATIONS = ['data', 'data-and-final', 'final', 'low-final'] as const;

export const SPONSOR_LIES = ['reorder', 'forge', 'endless', 'silence', 'omit', 'mint', 'foreign', 'inflate'] as const;
/**
 * What an `inflate` liar changes in its state (`variant` >> 3 mod 4). Added under `inflate` rather than
 * as a ninth lie so every numbered seed pinned before keeps its lie (those pinned use 2 and 3).
 */
export const STATE_LIES = ['agreed', 'incarnation', 'next-seq', 'next-seq'] as const;

const hash = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
};

/** A FINAL the liar rewrote, signed again by the liar (PROTOCOL.md §3.3 "Signed FINALs"). */
const signFinal = (f: FinalFrame): FinalFrame => ({ ...f, sig: fakeSignFinal(f) });

/** A report the liar rewrote or made up, hashed and signed again (§3.4 "Signed reports"); a part cannot be. */
const signReport = (f: FlushFrame): FlushFrame => {
  if (f.part !== undefined) return f;
  const report = reportHash(f);
  return { ...f, report, sig: fakeSignFlush({ groupId: f.groupId, viewId: f.viewId, reporter: LIAR_ID, report }) };
};

export class Liar {
  /** Between its first `lie` and the heal. */
  lying = false;
  /** Honest joiners it handed an undetectable lie (their logs may lack or add messages). */
  readonly misled = new Set<PeerId>();
  /** Joiners it handed a state with inflated counts. */
  readonly inflated = new Set<PeerId>();
  private floods = 0;
  /** The `withhold` lie's state (made on its first use). */
  private withholder: ProposeWithholder | null = null;
  private lastFlood: DataFrame | null = null;
  /** The next seq of a gap flood (past its own seqs by 100: the gap it never fills). */
  private gapSeq = 0;
  /** The highest seq its own core sent (a near flood's DATA go just past it). */
  private ownSeq = 0;

  constructor(
    readonly hostile: Hostile,
    private readonly groupId: GroupId,
    /** Every DATA the liar signs (the checker knows them as its, S2). */
    private readonly signed: (frame: DataFrame) => void,
  ) {}

  get kind(): Hostile['kind'] {
    return this.hostile.kind;
  }

  /** Silent and dark: its channels are closed. */
  get dark(): boolean {
    return this.lying && this.kind === 'silent' && this.hostile.variant % 2 === 1;
  }

  /** Silent with its channels open (`variant` even): it sends nothing, and stays past the heal while a member. */
  get mute(): boolean {
    return this.kind === 'silent' && this.hostile.variant % 2 === 0;
  }

  /** A flood whose FLUSH frames for the next views are its made-up reports for them (`flood`). */
  get flushLies(): boolean {
    const v = this.hostile.variant;
    return this.kind === 'flood' && (v >> 4) % 2 === 1 && (v >> 5) % 2 === 1;
  }

  get sponsorLie(): (typeof SPONSOR_LIES)[number] {
    return SPONSOR_LIES[this.hostile.variant % SPONSOR_LIES.length] as (typeof SPONSOR_LIES)[number];
  }

  private sign(f: Omit<DataFrame, 'sig'> & { readonly sig?: string }): DataFrame {
    const { sig: _old, ...fields } = f;
    const frame: DataFrame = { ...fields, sig: fakeSign(fields) };
    this.signed(frame);
    return frame;
  }

  /**
   * What the liar puts on the link to `to` instead of `frame`, which its own core meant to send. Its
   * FINALs name the version of its DATA that `to` got (a FINAL for another version would be a proof
   * against it whatever the lie, §3.3 "Signed FINALs"); it signs them again, each alone, and proposes one by one.
   */
  outbound(to: PeerId, frame: GroupFrame): GroupFrame[] {
    if (frame.t === 'finals' && frame.sender === LIAR_ID)
      return finalsOf(frame).flatMap(({ list: _list, sig: _sig, ...f }) => this.outbound(to, signFinal(f)));
    if (frame.t === 'proposes') return proposesOf(frame, LIAR_ID).flatMap((f) => this.outbound(to, f));
    return this.lies(to, frame).map((f) => {
      if (f.t === 'data' && f.sender === LIAR_ID) this.sentVersions.set(`${to}|${f.seq}`, f.sig);
      if (f.t === 'flush' && f !== frame && this.kind !== 'flush-lie') return signReport(f);
      if (f.t !== 'final' || f.sender !== LIAR_ID) return f;
      const version = this.sentVersions.get(`${to}|${f.seq}`) ?? f.version;
      return version === f.version && f === frame ? f : signFinal({ ...f, version });
    });
  }

  private lies(to: PeerId, frame: GroupFrame): GroupFrame[] {
    if (frame.t === 'data' && frame.sender === LIAR_ID) this.ownSeq = Math.max(this.ownSeq, frame.seq);
    if (!this.lying) return [frame];
    // Its store holds its own versions and its own order keys (its FINALs said others): a joiner it
    // sponsors takes its word for them (PROTOCOL.md §7.3, "hand its own order").
    // So does a flood liar that gave members made-up FLUSH reports: its store holds the resolution of
    // the reports its own core sent and got, which no honest member installed (PROTOCOL.md §3.4).
    if (frame.t === 'history-res' && (this.kind === 'clock' || this.kind === 'equivocate' || this.flushLies))
      this.misled.add(to);
    switch (this.kind) {
      case 'silent':
        return [];
      case 'clock':
        return [this.clock(frame)];
      case 'equivocate':
        return [this.equivocate(to, frame)];
      case 'sponsor':
        return frame.t === 'history-res' ? this.lieAsSponsor(to, frame) : [frame];
      case 'flush-lie':
        return lieInFlush(flushLieOf(this.hostile.variant), frame, to, this.twin(to));
      case 'withhold':
        return (this.withholder ??= new ProposeWithholder(LIAR_ID, this.hostile.variant % 2 === 1)).outbound(to, frame);
      case 'false-report':
      case 'flood':
        return [frame];
    }
  }

  // ------------------------------------------------------------ clocks

  private lamport(l: number): number {
    switch (this.hostile.variant % 4) {
      case 0:
        return l + MAX_LAMPORT_STEP / 2;
      case 1:
        return l + MAX_LAMPORT_STEP + 7;
      case 2:
        return Number.MAX_SAFE_INTEGER;
      default:
        return l;
    }
  }

  private sentAt(t: number): number {
    switch ((this.hostile.variant >> 2) % 4) {
      case 1:
        return MAX_SENT_AT_MS;
      case 2:
        return MAX_SENT_AT_MS + 1;
      case 3:
        return 0;
      default:
        return t;
    }
  }

  private priority(p: Priority): Priority {
    switch ((this.hostile.variant >> 4) % 3) {
      case 0:
        return { p: p.p + MAX_PRIORITY_STEP / 2, by: p.by };
      case 1:
        return { p: p.p + 2 * MAX_PRIORITY_STEP, by: p.by };
      default:
        return { p: Number.MAX_SAFE_INTEGER, by: p.by };
    }
  }

  private clockData(f: DataFrame): DataFrame {
    if (f.sender !== LIAR_ID) return f;
    return this.sign({ ...f, lamport: this.lamport(f.lamport), sentAt: this.sentAt(f.sentAt) });
  }

  private clock(frame: GroupFrame): GroupFrame {
    switch (frame.t) {
      case 'data':
        return this.clockData(frame);
      case 'propose':
        return { ...frame, priority: this.priority(frame.priority) };
      case 'final':
        return { ...frame, priority: this.priority(frame.priority) };
      case 'flush':
        return {
          ...frame,
          agreed: this.priority({ p: Math.max(1, frame.agreed), by: LIAR_ID }).p,
          unstable: frame.unstable.map((f) => this.clockData(f)),
        };
      case 'hwm':
        if ((this.hostile.variant >> 6) % 2 === 0) return frame;
        return {
          ...frame,
          delivered: Object.fromEntries(Object.entries(frame.delivered).map(([s, n]) => [s, n + 1000])),
        };
      default:
        return frame;
    }
  }

  // ------------------------------------------------------------ equivocation

  get equivocation(): (typeof EQUIVOCATIONS)[number] {
    return EQUIVOCATIONS[(this.hostile.variant >> 1) % EQUIVOCATIONS.length] as (typeof EQUIVOCATIONS)[number];
  }

  /** Members that get the second version of the liar's messages. */
  private twin(to: PeerId): boolean {
    return hash(to) % 2 === 1;
  }

  /** The liar's own proposal for each of its messages (from its DATA), for the low FINAL. */
  private readonly ownProposals = new Map<number, Priority>();
  /** The signature of the version of its DATA of each seq each member got, by `${member}|${seq}`. */
  private readonly sentVersions = new Map<string, string>();

  private other(f: DataFrame, to: PeerId): DataFrame {
    if (f.sender !== LIAR_ID || !this.twin(to)) return f;
    if (this.equivocation !== 'data' && this.equivocation !== 'data-and-final') return f;
    return this.sign({ ...f, body: `${f.body}~` });
  }

  /** The FINAL a twin gets: with the other priority the variant says (`outbound` signs it). */
  private otherFinal(frame: FinalFrame, to: PeerId): FinalFrame {
    if (frame.sender !== LIAR_ID || !this.twin(to)) return frame;
    switch (this.equivocation) {
      case 'data-and-final':
      case 'final':
        return { ...frame, priority: { p: frame.priority.p + 1, by: frame.priority.by } };
      case 'low-final':
        return { ...frame, priority: this.ownProposals.get(frame.seq) ?? frame.priority };
      default:
        return frame;
    }
  }

  private equivocate(to: PeerId, frame: GroupFrame): GroupFrame {
    switch (frame.t) {
      case 'data':
        if (frame.sender === LIAR_ID && frame.proposal !== undefined) this.ownProposals.set(frame.seq, frame.proposal);
        return this.other(frame, to);
      case 'final':
        return this.otherFinal(frame, to);
      case 'flush':
        return { ...frame, unstable: frame.unstable.map((f) => this.other(f, to)) } satisfies FlushFrame;
      case 'history-res':
        return {
          ...frame,
          items: frame.items.map((i) => ({ ...i, frame: this.other(i.frame, to) })),
          ...(frame.state === undefined
            ? {}
            : {
                state: {
                  ...frame.state,
                  unstable: (frame.state.unstable ?? []).map((u) => ({ ...u, frame: this.other(u.frame, to) })),
                },
              }),
        };
      default:
        return frame;
    }
  }

  // ------------------------------------------------------------ sponsor

  private lieAsSponsor(to: PeerId, page: HistoryResponseFrame): GroupFrame[] {
    // Honest sponsors send the keys they know (packages/peer readHistoryPage); so does the liar.
    const items: HistoryItem[] = page.items.map((i) => ({ ...i, senderKey: simKey(i.frame.sender) }));
    const honest = { ...page, items };
    const lie = this.hostile.variant % SPONSOR_LIES.length;
    if (MISLEADING_LIES.includes(lie)) this.misled.add(to);
    switch (SPONSOR_LIES[lie]) {
      case 'reorder':
        return [{ ...honest, items: [...items].reverse() }];
      case 'forge': {
        const k = items.findIndex((i) => i.frame.sender !== LIAR_ID);
        if (k < 0) return [honest];
        const forged = items.map((i, n) => (n === k ? { ...i, frame: { ...i.frame, body: `${i.frame.body}!` } } : i));
        return [{ ...honest, items: forged }];
      }
      case 'endless':
        return [{ t: 'history-res', groupId: page.groupId, req: page.req, items: [], done: false }];
      case 'silence':
        return [];
      case 'omit':
        return [{ ...honest, items: items.filter((_, n) => n !== Math.floor(items.length / 2)) }];
      case 'mint': {
        const last = items.at(-1);
        const ghost = this.sign({
          t: 'data',
          groupId: this.groupId,
          viewId: last?.frame.viewId ?? asViewId(1),
          sender: GHOST_ID,
          seq: 1,
          lamport: 1,
          sentAt: 0,
          body: 'ghost',
        });
        const item: HistoryItem = {
          frame: ghost,
          order: `${last?.order ?? ''}~`,
          senderName: 'ghost',
          senderKey: simKey(GHOST_ID),
        };
        return [{ ...honest, items: [...items, item] }];
      }
      case 'foreign': {
        if (items.length === 0) return [honest];
        const [first, ...rest] = items as [HistoryItem, ...HistoryItem[]];
        const alien = this.sign({ ...first.frame, groupId: `${this.groupId}-elsewhere` as GroupId, sender: LIAR_ID });
        return [{ ...honest, items: [{ ...first, frame: alien }, ...rest] }];
      }
      case 'inflate':
        return [page.state === undefined ? honest : { ...honest, state: this.lieInState(to, page.state) }];
      default:
        return [honest];
    }
  }

  /**
   * The `inflate` liar's state. A joiner that adopts a lie of the incarnation or counts is misled
   * (`inflated`; the simulator's onAdopting): no other old member was left to contradict it (§7.3).
   * An agreed below the members' ceiling only moves the group's priorities: nobody is misled by it.
   */
  private lieInState(to: PeerId, state: JoinerState): JoinerState {
    switch (STATE_LIES[(this.hostile.variant >> 3) % STATE_LIES.length]) {
      case 'agreed':
        return { ...state, agreed: state.agreed + (3 * MAX_PRIORITY_STEP) / 4 };
      case 'incarnation':
        this.inflated.add(to);
        return {
          ...state,
          incarnation: asViewId(state.incarnation === state.viewId ? state.viewId - 1 : state.viewId),
        };
      default: {
        this.inflated.add(to);
        const nextSeq = Object.fromEntries(
          Object.entries(state.nextSeq).map(([s, n]) => [s, s === LIAR_ID ? n : n + 2]),
        );
        return { ...state, nextSeq };
      }
    }
  }

  // ------------------------------------------------------------ flood

  /**
   * Frames for views ahead of `installed`. Far (variant >> 4 even: 1 000+
   * views ahead or, variant >> 3 odd, near 2^40), for each victim 40 small
   * FLUSH and DATA frames a burst, or (variant mod 8 = 0, one victim) large
   * FLUSH frames until their bytes pass the per-peer budget by two frames.
   * Near (variant >> 4 odd: the next view and the one after, which the group
   * reaches): DATA only, 40 small ones per victim, or (variant >> 5 odd) FLUSH
   * and DATA: a FLUSH for the next view is the liar's FLUSH report for it, made
   * up and sent to these victims only (the others get its real one when the
   * view comes: HOSTILE_FIXED "flush-split"). Variant mod 16 = 4: `gapFlood` in
   * the current view.
   */
  flood(installed: ViewId, victims: readonly PeerId[]): { readonly to: PeerId; readonly frame: GroupFrame }[] {
    const burst = ++this.floods;
    const v = this.hostile.variant;
    const near = (v >> 4) % 2 === 1;
    const flushLie = this.flushLies;
    const ahead = (i: number): ViewId =>
      asViewId(
        near
          ? installed + 1 + (i % 2)
          : (v >> 3) % 2 === 0
            ? installed + 1000 + burst * 100 + i
            : 2 ** 40 - burst * 100 - i,
      );
    const one = victims[burst % Math.max(1, victims.length)];
    if (v % 16 === 4) return this.gapFlood(installed, one, burst === 1);
    const out: { to: PeerId; frame: GroupFrame }[] = [];
    if (v % 8 === 0 && (!near || flushLie)) {
      if (one === undefined) return out;
      const body = 'x'.repeat(MAX_BODY_CHARS);
      const unstable = Array.from({ length: 180 }, (_, k) => this.data(asViewId(1), 100_000 + k, body));
      const bytes = JSON.stringify(unstable).length;
      const count = Math.ceil(MAX_BUFFERED_BYTES_PER_PEER / bytes) + 2;
      for (let i = 0; i < count; i++) out.push({ to: one, frame: this.flush(ahead(i + 1), unstable) });
      return out;
    }
    for (const to of victims) {
      for (let i = 0; i < 40; i++) {
        const seq = (near ? this.ownSeq + 100 : 50_000) + burst * 100 + i;
        out.push({
          to,
          frame: i % 2 === 0 && (!near || flushLie) ? this.flush(ahead(i), []) : this.data(ahead(i), seq, `flood ${i}`),
        });
      }
    }
    return out;
  }

  /**
   * DATA of its own seqs just past its next one but for a gap, of 4 000 three-byte characters
   * (~12 kB each), in the current view, to `to`: they wait behind the seq it skips (never sent: its
   * own sends stay below it) until they pass the hold-back budget (MAX_HELD_BYTES_PER_SENDER) by two
   * frames; a later burst sends two more. Signed and chained: the honest engine's budget, not its
   * signature checks, must stop them. (16 MiB of frames cost seconds of CPU: one variant in 16.)
   */
  private gapFlood(
    installed: ViewId,
    to: PeerId | undefined,
    fill: boolean,
  ): { readonly to: PeerId; readonly frame: GroupFrame }[] {
    if (to === undefined) return [];
    const body = '\u20ac'.repeat(MAX_BODY_CHARS - 8);
    const count = fill ? Math.ceil(MAX_HELD_BYTES_PER_SENDER / (3 * body.length)) + 2 : 2;
    this.gapSeq = Math.max(this.gapSeq, this.ownSeq + 100);
    const out: { to: PeerId; frame: GroupFrame }[] = [];
    for (let i = 0; i < count; i++, this.gapSeq++)
      out.push({ to, frame: this.data(installed, this.gapSeq, `${this.gapSeq} ${body}`) });
    return out;
  }

  /** A flood's DATA: signed, each naming the one before as its `prev` (the first a made-up predecessor). */
  private data(viewId: ViewId, seq: number, body: string): DataFrame {
    const prev = this.lastFlood === null ? `${'E'.repeat(43)}=` : linkHash(this.lastFlood);
    const f = { t: 'data', groupId: this.groupId, viewId, sender: LIAR_ID, seq, lamport: 1, sentAt: 0, body, prev };
    this.lastFlood = this.sign(f as Omit<DataFrame, 'sig'>);
    return this.lastFlood;
  }

  private flush(viewId: ViewId, unstable: readonly DataFrame[]): FlushFrame {
    return signReport({ t: 'flush', groupId: this.groupId, viewId, unstable, pending: [], agreed: 0, delivered: {} });
  }
}
