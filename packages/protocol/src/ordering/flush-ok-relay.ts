// Relay of a FLUSH-OK withheld from some participants, or refused by them (PROTOCOL.md §3.4 "Relay"):
// a FLUSH-OK is signed by its sender (the session signs ours, the runtime checks everyone's), so
// anyone may pass one on. A participant that holds every report and sent its own FLUSH-OK, and
// lacks some participant's, asks a participant whose FLUSH-OK it holds for it (FLUSH-ASK of kind
// `flush-ok`) once it has waited RELAY_WAIT_MS; the answer is that FLUSH-OK as its sender signed it,
// with `sender` set, taken like a direct one (the runtime checks its signature with the sender's
// key, so a relay can pass a FLUSH-OK on, never make one up: a participant is bound to a flush
// only by its own word, "Why two rounds").
// Owns: the FLUSH-OKs of the flush we last resolved (`#lastOks`), so an asker still flushing for the
// view we installed gets them. The FLUSH-OKs of the flush under way and the ones we want live in its
// agreement (flush-agreement.ts `oks`, `wantedOks`).

import type { GroupId, PeerId, ViewId } from '../ids.ts';
import type { FlushAskFrame, FlushOkFrame } from '../wire/frames.ts';
import type { EngineResult, Outbound } from './engine.ts';
import type { FlushAgreement } from './flush-agreement.ts';
import { FlushRelay, nextHolder, RELAY_WAIT_MS } from './flush-relay.ts';
import { OutputBuilder, reject } from './rejection.ts';
import type { FlushState } from './view-change.ts';

/**
 * The FLUSH-ASKs for FLUSH-OKs due at `now` for flush `fl` of view `viewId`: once we hold every report
 * and sent ours (and no participant disputes our digest), one per participant whose FLUSH-OK we
 * lack, after RELAY_WAIT_MS, to a participant whose FLUSH-OK we hold (it held every report and
 * heard from everyone), each asked in turn, the wait doubling per round as for reports.
 * Updates `fl.wantedOks`.
 */
export const okAsks = (fl: FlushAgreement, self: PeerId, groupId: GroupId, viewId: ViewId, now: number): Outbound[] => {
  if (!fl.oked || fl.disputes.size > 0) return [];
  for (const p of fl.participants)
    if (p !== self && !fl.held.has(p) && !fl.wantedOks.has(p))
      fl.wantedOks.set(p, { since: now, bytes: 0, asked: new Set(), rounds: 0 });
  const asks: Outbound[] = [];
  for (const [sender, w] of fl.wantedOks) {
    if (fl.held.has(sender)) {
      fl.wantedOks.delete(sender);
      continue;
    }
    const holders = fl.participants.filter((p) => p !== self && p !== sender && fl.held.has(p));
    const to = nextHolder(w, holders, now);
    if (to !== undefined)
      asks.push({ to, frame: { t: 'flush-ask', groupId, viewId, reporter: sender, kind: 'flush-ok' } });
  }
  return asks;
};

/** The FLUSH-OKs of a flush we resolved (installed, or abandoned bound), for askers still in it. */
interface ResolvedOks {
  readonly viewId: ViewId;
  readonly participants: readonly PeerId[];
  readonly oks: ReadonlyMap<PeerId, FlushOkFrame>;
  readonly relayedAt: Map<string, number>;
}

export abstract class FlushOkRelay extends FlushRelay {
  #lastOks: ResolvedOks | null = null;

  protected override onFlushAsk(from: PeerId, ask: FlushAskFrame, now: number): EngineResult {
    if (ask.kind !== 'flush-ok') return super.onFlushAsk(from, ask, now);
    const out = new OutputBuilder();
    const fl = this.flush;
    const at: ResolvedOks | null =
      fl !== null && fl.target.viewId === ask.viewId
        ? { viewId: ask.viewId, participants: fl.participants, oks: fl.oks, relayedAt: fl.relayedAt }
        : this.#lastOks?.viewId === ask.viewId
          ? this.#lastOks
          : null;
    // A flush we know nothing of (any more, or not yet): nobody waits on us for it.
    if (at === null) return out.build();
    if (!at.participants.includes(from))
      return reject('remote', 'not-member', `${from} does not take part in the flush for view ${ask.viewId}.`);
    const ok = at.oks.get(ask.reporter);
    const key = `ok ${from} ${ask.reporter}`;
    const last = at.relayedAt.get(key);
    // At most once per wait per asker and sender (an ask costs the asker a frame, us one FLUSH-OK).
    if (ok === undefined || (last !== undefined && now - last < RELAY_WAIT_MS)) return out.build();
    at.relayedAt.set(key, now);
    out.frames.push({ to: from, frame: { ...ok, sender: ask.reporter } });
    return out.build();
  }

  /**
   * A FLUSH-OK another participant relays (PROTOCOL.md §3.4 "Relay"): taken like its sender's own, for
   * the flush under way, when both take part in it (the runtime checked the sender's signature).
   */
  protected onRelayedFlushOk(from: PeerId, f: FlushOkFrame, now: number): EngineResult {
    const { sender, ...own } = f;
    const fl = this.flush;
    // Late (it came directly meanwhile, or the flush is over), or without a sender: nothing to do.
    if (sender === undefined || fl === null || f.viewId !== fl.target.viewId || fl.held.has(sender))
      return new OutputBuilder().build();
    if (!fl.participants.includes(sender) || !fl.participants.includes(from))
      return reject(
        'remote',
        'not-member',
        `${from} relayed a FLUSH-OK of ${sender}, and not both take part in this flush.`,
      );
    return this.onFlushOk(sender, own, now);
  }

  /** From `tick`: besides the reports we lack, the FLUSH-OKs we lack once we hold every report. */
  protected override askForMissing(now: number, out: OutputBuilder): void {
    super.askForMissing(now, out);
    const fl = this.flush;
    if (fl === null || !fl.sent) return;
    out.frames.push(...okAsks(fl, this.self, this.groupId, fl.target.viewId, now));
  }

  /** A flush resolved here (installed, or abandoned after our FLUSH-OK): keep its FLUSH-OKs for askers. */
  protected override applyResolution(fl: FlushState, out: OutputBuilder): void {
    this.#lastOks = { viewId: fl.target.viewId, participants: fl.participants, oks: fl.oks, relayedAt: new Map() };
    super.applyResolution(fl, out);
  }
}
