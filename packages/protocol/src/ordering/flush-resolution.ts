// The view-change decision, as a pure function of the FLUSH frames of every
// flush participant. Every survivor calls it with the same frames and gets
// the same answer; nothing here reads engine state or a clock. The proof that
// the answer is safe is in PROTOCOL.md §3 ("Resolving a flush").

import { comparePeerIds, frameMessageId, messageId } from '../ids.ts';
import type { MessageId, Ordering, PeerId } from '../ids.ts';
import type { DataFrame, FlushFrame, Priority } from '../wire/frames.ts';
import { maxPriority, samePriority } from './priority.ts';

export interface FlushReport {
  readonly from: PeerId;
  readonly frame: FlushFrame;
}

export interface ResolvedMessage {
  readonly id: MessageId;
  readonly frame: DataFrame;
  /** The agreed priority (total order); null for FIFO groups. */
  readonly agreed: Priority | null;
  /** How the priority was chosen, for logs and tests. */
  readonly rule: 'fifo' | 'final' | 'max-proposal' | 'above';
}

export interface FlushOutcome {
  /** Every message of the old view that survivors deliver, in delivery order. */
  readonly messages: readonly ResolvedMessage[];
  /** Last deliverable seq per sender: the contiguous prefix of the union. */
  readonly ends: ReadonlyMap<PeerId, number>;
  /** Messages beyond a gap in their sender's sequence: dropped everywhere. */
  readonly dropped: readonly DataFrame[];
  /** Largest priority number reported or assigned: every member's `A` after the view change. */
  readonly agreed: number;
  /** False when no participant had state (every one was still joining). */
  readonly anyState: boolean;
}

/**
 * A report that carries no knowledge: a joiner that has not adopted state
 * (`joining`), or a member that delivered, proposed and agreed nothing (the
 * same information; also covers a parser that does not pass `joining` on).
 */
export const isStateless = (f: FlushFrame): boolean =>
  f.joining === true || (Object.keys(f.delivered).length === 0 && f.pending.length === 0 && f.agreed === 0);

/** Deterministic pick among equivocating copies (same sender and seq, different bytes). */
const preferFrame = (a: DataFrame, b: DataFrame): DataFrame => (a.sig <= b.sig ? a : b);

export const resolveFlush = (
  mode: Ordering,
  reports: readonly FlushReport[],
  compare: (a: Priority, b: Priority) => number,
): FlushOutcome => {
  const stateful = reports.filter((r) => !isStateless(r.frame));
  // Every report is a FLUSH of one group (the engine checked), so ids are built in that group.
  const group = reports[0]?.frame.groupId;
  const anyState = stateful.length > 0;

  // Union of DATA, one copy per message id. Of two versions (an equivocating sender), the one a
  // reporter delivered wins: its pending report has a final and no proposal (a delivered, unstable
  // message); else the deterministic pick.
  const union = new Map<MessageId, DataFrame>();
  const delivered = new Set<string>();
  for (const r of reports)
    for (const rep of r.frame.pending)
      if (rep.final !== undefined && rep.proposed === undefined) delivered.add(`${r.from}|${rep.sender}:${rep.seq}`);
  const unionDelivered = new Set<MessageId>();
  // The sender's own proposal, from any copy that carries it (a dead sender cannot report it).
  const senderProposals = new Map<MessageId, Priority[]>();
  for (const r of reports)
    for (const f of r.frame.unstable) {
      const id = frameMessageId(f);
      const had = union.get(id);
      const isDelivered = delivered.has(`${r.from}|${f.sender}:${f.seq}`);
      if (had === undefined || (isDelivered && !unionDelivered.has(id))) union.set(id, f);
      else if (isDelivered === unionDelivered.has(id)) union.set(id, preferFrame(had, f));
      if (isDelivered) unionDelivered.add(id);
      if (f.proposal !== undefined && f.proposal.by === f.sender)
        senderProposals.set(id, [...(senderProposals.get(id) ?? []), f.proposal]);
    }

  // Per sender: every stateful participant delivered up to `base`; the
  // union must continue from there without a gap.
  const senders = new Set<PeerId>();
  for (const f of union.values()) senders.add(f.sender);
  for (const r of stateful) for (const s of Object.keys(r.frame.delivered)) senders.add(s as PeerId);
  // Nobody has state (the group starts afresh): a resumed peer's joining report names where its own
  // seq goes on. Only its own entry counts; a lie about itself only stalls its own messages.
  const ownFloor = (s: PeerId): number => reports.find((r) => r.from === s)?.frame.delivered[s] ?? 0;
  if (!anyState) for (const r of reports) if ((r.frame.delivered[r.from] ?? 0) > 0) senders.add(r.from);
  const ends = new Map<PeerId, number>();
  const messages: { frame: DataFrame; id: MessageId }[] = [];
  const dropped: DataFrame[] = [];
  for (const s of [...senders].sort(comparePeerIds)) {
    const base = anyState ? Math.min(...stateful.map((r) => r.frame.delivered[s] ?? 0)) : ownFloor(s);
    let end = base;
    while (group !== undefined && union.has(messageId(group, s, end + 1))) end += 1;
    // A count above the union's prefix is a sender's floor (hwm.floor, §3.1): seqs an earlier engine
    // of its peer id used, none of this incarnation. Any other count is covered by the union (a
    // member keeps what it delivered until every member has it), so this changes nothing else.
    // It counts when the sender reports it, or when the union shows the sender got that far (it holds
    // the counted seq or the next: the reporter learned the floor, then delivered or saw past it). A
    // joiner a hostile sponsor handed an inflated nextSeq (§7.3) counts seqs nobody sent yet, and
    // every member would take them as sent (S3).
    const vouches = (r: FlushReport): boolean => {
      const c = r.frame.delivered[s] ?? 0;
      if (r.from === s) return true;
      return group !== undefined && (union.has(messageId(group, s, c)) || union.has(messageId(group, s, c + 1)));
    };
    const counted = anyState ? Math.max(base, ...stateful.filter(vouches).map((r) => r.frame.delivered[s] ?? 0)) : base;
    if (counted > end) {
      end = counted;
      while (group !== undefined && union.has(messageId(group, s, end + 1))) end += 1;
    }
    ends.set(s, end);
    // Copies at or below `base` are listed too: a member that delivered nothing yet needs them.
    const mine = [...union.values()].filter((f) => f.sender === s).sort((x, y) => x.seq - y.seq);
    for (const f of mine) {
      if (f.seq <= end) messages.push({ id: frameMessageId(f), frame: f });
      else dropped.push(f);
    }
  }
  dropped.sort((a, b) => comparePeerIds(a.sender, b.sender) || a.seq - b.seq);

  let agreed = 0;
  // Afresh, resumed peers' A (from their stores) keeps new order keys above the ones they hold.
  for (const r of anyState ? stateful : reports) agreed = Math.max(agreed, r.frame.agreed);

  if (mode === 'fifo') {
    // Sorted by lamport, made non-decreasing per sender: an equivocating liar's copies (the union may
    // hold its 3 from one member and its 4 from another) can carry a later seq at a lower lamport, and
    // a plain lamport sort delivered its 4 before its 3 (hostile seed 701404 with simulator seed 1, S3).
    const key = new Map<MessageId, number>();
    let of: PeerId | null = null;
    let running = 0;
    for (const m of messages) {
      if (of !== m.frame.sender) [of, running] = [m.frame.sender, 0];
      running = Math.max(running, m.frame.lamport);
      key.set(m.id, running);
    }
    const lamportOf = (m: { id: MessageId }): number => key.get(m.id) ?? 0;
    const out = messages.map((m) => ({ ...m, agreed: null, rule: 'fifo' as const }));
    out.sort(
      (a, b) =>
        lamportOf(a) - lamportOf(b) || comparePeerIds(a.frame.sender, b.frame.sender) || a.frame.seq - b.frame.seq,
    );
    return { messages: out, ends, dropped, agreed, anyState };
  }

  // Total order. Collect what survivors know about each message.
  const finals = new Map<MessageId, Priority[]>();
  const proposals = new Map<MessageId, Map<PeerId, Priority>>();
  for (const r of reports)
    for (const rep of r.frame.pending) {
      const id = messageId(r.frame.groupId, rep.sender, rep.seq);
      if (rep.final !== undefined) {
        finals.set(id, [...(finals.get(id) ?? []), rep.final]);
        agreed = Math.max(agreed, rep.final.p);
      }
      if (rep.proposed !== undefined && !isStateless(r.frame)) {
        const byReporter = proposals.get(id) ?? new Map<PeerId, Priority>();
        byReporter.set(r.from, rep.proposed);
        proposals.set(id, byReporter);
        agreed = Math.max(agreed, rep.proposed.p);
      }
    }
  for (const ps of senderProposals.values()) for (const x of ps) agreed = Math.max(agreed, x.p);
  // `agreed` is now B: above every priority any survivor delivered, saw or proposed, or a sender proposed.
  const lowest = [...(anyState ? stateful : reports)].map((r) => r.from).sort(comparePeerIds)[0];
  const viewMembers = new Map<number, readonly PeerId[]>();
  for (const r of stateful)
    if (r.frame.installed !== undefined) viewMembers.set(r.frame.installed.viewId, r.frame.installed.members);
  const knownProposals = (m: { id: MessageId }): Priority[] => [
    ...(proposals.get(m.id)?.values() ?? []),
    ...(senderProposals.get(m.id) ?? []),
  ];
  // A survivor that counts the message as delivered is past it: its FIFO gate holds nothing back for it
  // (a joiner a hostile sponsor handed an inflated nextSeq, PROTOCOL.md §7.3, proposes for the sender's
  // later seqs and for none of these; seed 11978 put them after a later FINAL at honest members, S3).
  const everySurvivorProposed = (m: { id: MessageId; frame: DataFrame }): boolean => {
    const props = proposals.get(m.id);
    const past = (r: (typeof stateful)[number]): boolean => (r.frame.delivered[m.frame.sender] ?? 0) >= m.frame.seq;
    return anyState && props !== undefined && stateful.every((r) => props.has(r.from) || past(r));
  };
  /** We hold the proposal of every member of the message's view: the max is exactly what its sender agreed. */
  const exact = (m: { id: MessageId; frame: DataFrame }): boolean => {
    const members = viewMembers.get(m.frame.viewId);
    const props = proposals.get(m.id);
    if (members === undefined || props === undefined || !everySurvivorProposed(m)) return false;
    return members.every((p) => props.has(p) || (p === m.frame.sender && senderProposals.has(m.id)));
  };
  // Per message, what each reporter holds as final, and the finals some reporter delivered it at (a
  // pending report without a proposal is a delivered, unstable message).
  const finalsBy = new Map<MessageId, Map<PeerId, Priority>>();
  const deliveredAt = new Map<MessageId, Priority[]>();
  for (const r of reports)
    for (const rep of r.frame.pending) {
      if (rep.final === undefined) continue;
      const id = messageId(r.frame.groupId, rep.sender, rep.seq);
      finalsBy.set(id, (finalsBy.get(id) ?? new Map<PeerId, Priority>()).set(r.from, rep.final));
      if (rep.proposed === undefined) deliveredAt.set(id, [...(deliveredAt.get(id) ?? []), rep.final]);
    }
  /**
   * The reported finals of a message that no report contradicts (PROTOCOL.md §3.3 Echo). A final is at
   * least every known proposal (it is their max, or above all of them). One that names a reporter which
   * proposed something else for the message and does not hold that final itself, and that no reporter
   * delivered the message at, is a hostile sender's made-up pair (it could be another message's): an
   * honest final naming a reporter is that reporter's proposal, or an `above` pair of a flush that a
   * reporter completed and delivered.
   */
  const vouched = (m: { id: MessageId }, known: readonly Priority[]): Priority[] =>
    known.filter((f) => {
      if (knownProposals(m).some((x) => compare(f, x) < 0)) return false;
      if ((deliveredAt.get(m.id) ?? []).some((x) => samePriority(x, f))) return true;
      const theirs = proposals.get(m.id)?.get(f.by);
      const held = finalsBy.get(m.id)?.get(f.by);
      return theirs === undefined || samePriority(theirs, f) || (held !== undefined && samePriority(held, f));
    });
  // The final each message would adopt. Two messages never share an honest pair; when a made-up one
  // (its named proposer gone) equals another message's, it is kept only where a reporter delivered
  // the message at it.
  const adopted = new Map<MessageId, Priority>();
  for (const m of messages) {
    // Nothing already delivered moves: a final a reporter delivered the message at wins over a final
    // only held (a hostile sender's second FINAL that this reporter had not seen disputed, §3.3).
    const at = deliveredAt.get(m.id);
    const f = maxPriority(at !== undefined && at.length > 0 ? at : vouched(m, finals.get(m.id) ?? []), compare);
    if (f !== null) adopted.set(m.id, f);
  }
  const byPair = new Map<string, MessageId[]>();
  for (const [id, f] of adopted) byPair.set(`${f.p}:${f.by}`, [...(byPair.get(`${f.p}:${f.by}`) ?? []), id]);
  for (const ids of byPair.values())
    if (ids.length > 1)
      for (const id of ids) {
        const f = adopted.get(id) as Priority;
        if (!(deliveredAt.get(id) ?? []).some((x) => samePriority(x, f))) adopted.delete(id);
      }
  // A sender's finals grow with seq (each proposer's proposals do, and a final is their max). An adopted
  // final not above an earlier seq's is a hostile sender's made-up pair: unless a reporter delivered the
  // message at it, the message is resolved as if no final were known (hostile seed 50900 put a liar's
  // second message at its echoed final below its first one's, S3).
  let ofSender: PeerId | null = null;
  let top: Priority | null = null;
  for (const m of messages) {
    if (ofSender !== m.frame.sender) [ofSender, top] = [m.frame.sender, null];
    const f = adopted.get(m.id);
    if (f === undefined) continue;
    if (top !== null && compare(f, top) <= 0 && !(deliveredAt.get(m.id) ?? []).some((x) => samePriority(x, f)))
      adopted.delete(m.id);
    else if (top === null || compare(f, top) > 0) top = f;
  }
  // Per message, the highest final adopted for an earlier seq of its sender (messages run by sender, then seq).
  const earlierFinal = new Map<MessageId, Priority>();
  let finalsOf: PeerId | null = null;
  let highest: Priority | null = null;
  for (const m of messages) {
    if (finalsOf !== m.frame.sender) [finalsOf, highest] = [m.frame.sender, null];
    if (highest !== null) earlierFinal.set(m.id, highest);
    const f = adopted.get(m.id);
    if (f !== undefined && (highest === null || compare(f, highest) > 0)) highest = f;
  }
  const rules = new Map<MessageId, ResolvedMessage>();
  // Per sender, from its last message back: once a later message has a fixed priority, every earlier one
  // must sort before it, which the max of the known proposals does (FIFO gate: each proposer's proposal grows with
  // seq). A max at or below an earlier seq's final is not what the sender agreed: a reporter's FLUSH
  // names another proposal than it sent (a hostile clock); the message goes above instead.
  let sender: PeerId | null = null;
  let laterFixed = false;
  for (const m of [...messages].reverse()) {
    if (m.frame.sender !== sender) {
      sender = m.frame.sender;
      laterFixed = false;
    }
    const known = adopted.get(m.id) ?? null;
    const max = maxPriority(knownProposals(m), compare);
    const before = earlierFinal.get(m.id);
    const fits = max !== null && (before === undefined || compare(max, before) > 0);
    if (known !== null) rules.set(m.id, { ...m, agreed: known, rule: 'final' });
    else if (fits && (exact(m) || (laterFixed && everySurvivorProposed(m))))
      rules.set(m.id, { ...m, agreed: max, rule: 'max-proposal' });
    else continue;
    laterFixed = true;
  }
  // The rest go after everything anyone may have delivered. Among themselves they keep the order their
  // known proposals suggest (what a crashed member that agreed one of them most likely delivered),
  // made non-decreasing per sender so FIFO holds, then (sender, seq).
  const resolved: ResolvedMessage[] = [];
  // key null = "no proposal known" = top: such a message was never multicast (it travelled only in a
  // FLUSH), so nobody can have delivered anything after it; once a sender's key is top it stays top.
  const above: { m: (typeof messages)[number]; key: Priority | null }[] = [];
  let runningSender: PeerId | null = null;
  let runningKey: Priority | null | undefined;
  for (const m of messages) {
    const fixed = rules.get(m.id);
    if (fixed !== undefined) {
      resolved.push(fixed);
      continue;
    }
    if (m.frame.sender !== runningSender) {
      runningSender = m.frame.sender;
      runningKey = undefined;
    }
    const own = maxPriority(knownProposals(m), compare);
    if (runningKey !== null)
      runningKey = own === null ? null : runningKey === undefined || compare(own, runningKey) > 0 ? own : runningKey;
    above.push({ m, key: runningKey ?? null });
  }
  above.sort((x, y) => {
    if (x.key !== null && y.key !== null && compare(x.key, y.key) !== 0) return compare(x.key, y.key);
    if (x.key === null && y.key !== null) return 1;
    if (x.key !== null && y.key === null) return -1;
    return comparePeerIds(x.m.frame.sender, y.m.frame.sender) || x.m.frame.seq - y.m.frame.seq;
  });
  let next = agreed;
  for (const { m } of above) {
    next += 1;
    resolved.push({ ...m, agreed: { p: next, by: lowest as PeerId }, rule: 'above' });
  }
  resolved.sort((a, b) => compare(a.agreed as Priority, b.agreed as Priority));
  return { messages: resolved, ends, dropped, agreed: next, anyState };
};
