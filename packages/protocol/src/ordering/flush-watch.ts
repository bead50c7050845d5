// The overdue watch over a flush (PROTOCOL.md §3.4 "Relay", "Withheld from everyone"; §2 Links
// "Stalled"): which participant's own frame this member has waited for one bound. Owns only when
// each wait began (per view); the flush itself lives in view-change.ts, and this module never
// changes it. A participant named here is reported `stalled` by the session (stall-reports.ts), and
// the tracker removes it once a majority of the others does (rule 1 only).
//
// Only the participant whose own frame is missing is named, never one that waits for a third:
// - its FLUSH report, once our own is out, when no FLUSH-OK we hold restates it (if one does, the
//   relay fetches it: flush-relay.ts; nobody holding it means it was withheld from everyone), and
//   no part of it came in during the wait;
// - its FLUSH-OK, once we hold every report and every other participant's FLUSH-OK (if we lacked
//   one more, the flush waits for someone else as well, and the FLUSH-OK relay serves a FLUSH-OK
//   withheld from some: flush-ok-relay.ts).

import type { PeerId, ViewId } from '../ids.ts';
import type { FlushAgreement } from './flush-agreement.ts';

interface PartsWait {
  readonly bytes: number;
  readonly since: number;
}

export class FlushWatch {
  #viewId: ViewId | null = null;
  /** When we first saw our own report out, in this flush. */
  #since = 0;
  /** Per participant whose report is missing: the bytes of its unfinished report, and since when. */
  readonly #parts = new Map<PeerId, PartsWait>();
  /** When we first held every FLUSH-OK but one (and whose), or null. */
  #okWait: { readonly peer: PeerId; readonly since: number } | null = null;

  /**
   * Participants (sorted) whose own report or FLUSH-OK for flush `fl` of view `viewId` we have waited
   * for `waitMs` or more. `sent`: our own report is out; `arrived(p)`: bytes of p's unfinished report.
   */
  overdue(
    fl: FlushAgreement,
    viewId: ViewId,
    self: PeerId,
    sent: boolean,
    now: number,
    waitMs: number,
    arrived: (p: PeerId) => number,
  ): PeerId[] {
    if (!sent) return [];
    if (this.#viewId !== viewId) {
      this.#viewId = viewId;
      this.#since = now;
      this.#parts.clear();
      this.#okWait = null;
    }
    const late: PeerId[] = [];
    const restated = (p: PeerId): boolean => [...fl.held.values()].some((h) => h.some((r) => r.reporter === p));
    for (const p of fl.participants) {
      if (p === self || fl.reports.has(p)) continue;
      const bytes = arrived(p);
      const w = this.#parts.get(p);
      const wait = w === undefined || w.bytes !== bytes ? { bytes, since: w === undefined ? this.#since : now } : w;
      this.#parts.set(p, wait);
      if (now - wait.since >= waitMs && !restated(p)) late.push(p);
    }
    const noOk = fl.participants.filter((p) => p !== self && !fl.held.has(p));
    const waiting = fl.oked && fl.disputes.size === 0 && noOk.length === 1 ? (noOk[0] as PeerId) : null;
    if (waiting === null) this.#okWait = null;
    else if (this.#okWait?.peer !== waiting) this.#okWait = { peer: waiting, since: now };
    if (this.#okWait !== null && now - this.#okWait.since >= waitMs) late.push(this.#okWait.peer);
    return late.sort();
  }
}
