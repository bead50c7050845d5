// Relay of a FLUSH report withheld from some participants (PROTOCOL.md §3.4 "Relay"). Reports are
// signed and self-checking, so anyone may pass one on: a participant that holds a FLUSH-OK
// restating a reporter's signed hash, and no report of that reporter, asks the FLUSH-OK's sender
// for it (FLUSH-ASK) once it has waited RELAY_WAIT_MS; the answer is the report with `reporter`
// set, which is taken like a direct one (its content must hash to the hash the reporter signed,
// and the runtime checks that signature with the reporter's key). A participant that withholds its
// report from some members no longer stalls the view change for them.
// Owns: `relayParts` (relayed reports in parts, per relaying peer). The wanted reports and the
// answers given live in the flush's agreement (flush-agreement.ts `wanted`, `relayedAt`).

import type { GroupId, PeerId, ViewId } from '../ids.ts';
import type { View } from '../tracker/events.ts';
import type { FlushAskFrame, FlushFrame } from '../wire/frames.ts';
import type { EngineResult, Outbound } from './engine.ts';
import { heldHash, type FlushAgreement, type WantedReport } from './flush-agreement.ts';
import { validateFlush } from './flush-checks.ts';
import { FlushAssembler, splitFlush } from './flush-parts.ts';
import { FlushWatch } from './flush-watch.ts';
import { OutputBuilder, reject } from './rejection.ts';
import { ViewChange } from './view-change.ts';

/**
 * How long a report that a FLUSH-OK restates may be missing before we ask for it. A reporter sends
 * its report to every participant at once, and another participant's FLUSH-OK restating it reached
 * us after two hops (reporter to it, it to us), so an honest report still missing half a second
 * later came over one link that is half a second slower than two others together: on a live mesh
 * that is a link about to be reported down. (Then the relay costs one FLUSH-ASK and one copy of
 * the report, and the flush ends no later than without it.) The wait starts again whenever more of
 * a large report's parts came from its reporter, so its transfer time is not counted against it.
 */
export const RELAY_WAIT_MS = 500;

/**
 * Each round of asks that brings no report we take (every holder asked: answers lost, or refused — a
 * member that lacks a departed sender's key refuses that report from anyone, §3.4) doubles the wait
 * before the next, up to 2^6 × RELAY_WAIT_MS (32 s): a report that cannot help is not fetched again
 * and again, one that was lost with a link still comes.
 */
export const MAX_RELAY_BACKOFF = 6;

/** Whether participant `by`'s FLUSH-OK restates a report of `reporter`; its hash if so. */
const restated = (fl: FlushAgreement, by: PeerId, reporter: PeerId): string | undefined =>
  fl.held.get(by)?.find((h) => h.reporter === reporter)?.report;

/**
 * The FLUSH-ASKs due at `now` for flush `fl` of view `viewId`: one per report we lack that a
 * FLUSH-OK we hold restates, once it has been missing RELAY_WAIT_MS, to a participant whose
 * FLUSH-OK restates it (never the reporter itself), each asked in turn, one per wait, none for a
 * reporter whose parts came in (`arrived`: the bytes of its unfinished report) within the wait.
 * Updates `fl.wanted`.
 */
export const relayAsks = (
  fl: FlushAgreement,
  self: PeerId,
  groupId: GroupId,
  viewId: ViewId,
  now: number,
  arrived: (reporter: PeerId) => number,
): Outbound[] => {
  for (const held of fl.held.values())
    for (const h of held)
      if (h.reporter !== self && !fl.reports.has(h.reporter) && !fl.wanted.has(h.reporter))
        fl.wanted.set(h.reporter, { since: now, bytes: arrived(h.reporter), asked: new Set(), rounds: 0 });
  const asks: Outbound[] = [];
  for (const [reporter, w] of fl.wanted) {
    if (fl.reports.has(reporter)) fl.wanted.delete(reporter);
    if (fl.reports.has(reporter)) continue;
    if (arrived(reporter) !== w.bytes) {
      w.bytes = arrived(reporter);
      w.since = now;
    }
    const holders = fl.participants.filter((p) => p !== self && p !== reporter && restated(fl, p, reporter));
    const to = nextHolder(w, holders, now);
    const report = to === undefined ? undefined : restated(fl, to, reporter);
    if (to === undefined || report === undefined) continue;
    asks.push({ to, frame: { t: 'flush-ask', groupId, viewId, reporter, report } });
  }
  return asks;
};

/**
 * Whom to ask now for a word we want (`w`, updated) among `holders`: none before the wait is over
 * (RELAY_WAIT_MS, doubled per round), else the next holder not asked in this round.
 */
export const nextHolder = (w: WantedReport, holders: readonly PeerId[], now: number): PeerId | undefined => {
  if (now - w.since < RELAY_WAIT_MS * 2 ** Math.min(w.rounds, MAX_RELAY_BACKOFF)) return undefined;
  // Everyone asked once and the word still missing (answers lost or refused): round again, later.
  if (holders.length > 0 && holders.every((p) => w.asked.has(p))) {
    w.asked.clear();
    w.rounds += 1;
    if (now - w.since < RELAY_WAIT_MS * 2 ** Math.min(w.rounds, MAX_RELAY_BACKOFF)) return undefined;
  }
  const to = holders.find((p) => !w.asked.has(p));
  if (to === undefined) return undefined;
  w.asked.add(to);
  w.since = now;
  return to;
};

export abstract class FlushRelay extends ViewChange {
  /** Relayed reports that came in parts, per relaying peer, until each is whole. */
  protected readonly relayParts = new FlushAssembler();

  /** A FLUSH-ASK: the report it names, every part, if we hold it with that hash (at most once per wait per asker). */
  protected onFlushAsk(from: PeerId, ask: FlushAskFrame, now: number): EngineResult {
    const out = new OutputBuilder();
    const fl = this.flush;
    // A flush we are not in (any more, or not yet): nothing to relay, and nobody waits on us for it.
    // (An ask for a FLUSH-OK is flush-ok-relay.ts's.)
    if (fl === null || ask.kind !== undefined || ask.viewId !== fl.target.viewId) return out.build();
    if (!fl.participants.includes(from))
      return reject('remote', 'not-member', `${from} does not take part in the flush for view ${ask.viewId}.`);
    const r = fl.reports.get(ask.reporter);
    const key = `${from} ${ask.reporter}`;
    const last = fl.relayedAt.get(key);
    if (r === undefined || heldHash(r) !== ask.report || (last !== undefined && now - last < RELAY_WAIT_MS))
      return out.build();
    fl.relayedAt.set(key, now);
    // Our own report goes as we sent it (the session signs it); another's names its reporter.
    const frame: FlushFrame = ask.reporter === this.self ? r : { ...r, reporter: ask.reporter };
    for (const part of splitFlush(frame)) out.frames.push({ to: from, frame: part });
    return out.build();
  }

  /**
   * A report another participant relays (PROTOCOL.md §3.4 "Relay"). Taken only for the flush under
   * way, from a participant, and like a direct report only if its content hashes to the hash its
   * reporter signed (the runtime checked that signature with the reporter's key).
   */
  protected onRelayedFlush(from: PeerId, part: FlushFrame, now: number): EngineResult {
    const by = part.reporter ?? from;
    const bad = validateFlush(part, this.groupId);
    if (bad !== null) return reject('remote', 'bad-type', bad);
    if (part.report === undefined)
      return reject('remote', 'bad-signature', `${from} relayed a report of ${by} without its signed hash.`);
    const f = this.relayParts.add(from, part);
    if (f === null) return new OutputBuilder().build(); // more parts are due
    if ('rejected' in f) return f;
    const fl = this.flush;
    // Late (the report came directly meanwhile, or the flush is over): nothing to do.
    if (fl === null || f.viewId !== fl.target.viewId || fl.reports.has(by)) return new OutputBuilder().build();
    if (!fl.participants.includes(by) || !fl.participants.includes(from))
      return reject('remote', 'not-member', `${from} relayed a report of ${by}, and not both take part in this flush.`);
    const unsigned = this.refuseReport(by, f);
    if (unsigned !== null) return unsigned;
    const out = new OutputBuilder();
    fl.reports.set(by, f);
    this.learnFinals(f);
    this.maybeComplete(out, this.clockAt(now));
    return out.build();
  }

  /** From `tick`: ask for the reports a FLUSH-OK we hold restates and we still lack. */
  protected askForMissing(now: number, out: OutputBuilder): void {
    const fl = this.flush;
    if (fl === null || !fl.sent) return;
    const arrived = (reporter: PeerId): number => this.flushParts.bytesOf(reporter);
    out.frames.push(...relayAsks(fl, this.self, this.groupId, fl.target.viewId, now, arrived));
  }

  readonly #watch = new FlushWatch();

  /**
   * Participants whose own FLUSH report or FLUSH-OK this flush has waited on for `waitMs` (flush-watch.ts);
   * none outside a flush. The runtime reports them `stalled`.
   */
  flushOverdue(now: number, waitMs: number): readonly PeerId[] {
    const fl = this.flush;
    if (fl === null) return [];
    const arrived = (p: PeerId): number => this.flushParts.bytesOf(p);
    return this.#watch.overdue(fl, fl.target.viewId, this.self, fl.sent, now, waitMs, arrived);
  }

  protected override finishInstall(view: View, out: OutputBuilder, now: number): void {
    this.relayParts.prune(new Set(view.members.map((m) => m.peerId)), view.viewId);
    super.finishInstall(view, out, now);
  }
}
