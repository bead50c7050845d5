// Round two of a view change (PROTOCOL.md §3.4 "Same reports everywhere"): once a participant
// holds every FLUSH report it sends the others their digest (FLUSH-OK) and is bound to the flush's
// resolution; the view is installed once every participant named that same digest. A participant
// that sent two members two different reports stalls the flush (each sees the other's digest
// differ); it cannot have them install it with different resolutions.
// Pure functions of a flush's state; view-change.ts owns that state and sends what they return.

import { bytesToBase64 } from '../crypto/base64.ts';
import type { PeerId } from '../ids.ts';
import { canonicalSignedText } from '../wire/canonical.ts';
import type { FlushFrame, FlushOkFrame, Priority } from '../wire/frames.ts';
import { sha256 } from '../wire/sha256.ts';
import { utf8Bytes } from '../wire/utf8.ts';

/** What a flush under way knows about round two. */
export interface FlushAgreement {
  readonly participants: readonly PeerId[];
  readonly reports: Map<PeerId, FlushFrame>;
  /** Our digest of every participant's report, set when we hold them all and sent it (FLUSH-OK). */
  digest: string | null;
  /** We hold every report and sent our FLUSH-OK: bound to deliver this flush's resolution (but see `disputes`). */
  oked: boolean;
  /** Each participant's digest as its FLUSH-OK named it (ours included): the first word stays. */
  readonly digests: Map<PeerId, string>;
  /** Participants whose digest differs from ours, each reported once: nobody installs the view. */
  readonly disputes: Set<PeerId>;
}

const pair = (p: Priority | undefined): readonly [number, string] | null => (p === undefined ? null : [p.p, p.by]);

/** Every field of a report that `resolveFlush` reads, in a fixed layout (key order on the wire is the sender's). */
const reportFields = (f: FlushFrame): unknown[] => [
  f.groupId,
  f.viewId,
  f.joining === true,
  f.agreed,
  Object.entries(f.delivered).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  f.installed === undefined ? null : [f.installed.viewId, f.installed.members],
  f.incarnation ?? null,
  f.unstable.map((d) => [canonicalSignedText(d), d.sig, pair(d.proposal)]),
  f.pending.map((r) => [r.sender, r.seq, pair(r.proposed), pair(r.final)]),
];

/** SHA-256 (base64) of every participant's report in `participants` order: equal digests, equal resolutions. */
export const flushDigest = (participants: readonly PeerId[], reports: ReadonlyMap<PeerId, FlushFrame>): string =>
  bytesToBase64(
    sha256(
      utf8Bytes(
        JSON.stringify(
          participants.map((p) => {
            const r = reports.get(p);
            return [p, r === undefined ? null : reportFields(r)];
          }),
        ),
      ),
    ),
  );

/** A participant's FLUSH-OK (checked to come from a participant of this flush). */
export const noteFlushOk = (fl: FlushAgreement, from: PeerId, f: FlushOkFrame): void => {
  if (!fl.digests.has(from)) fl.digests.set(from, f.reports);
};

export interface AgreementStep {
  /** Our FLUSH-OK to send to every other participant, the first time we hold every report. */
  readonly send: FlushOkFrame | null;
  /** Participants whose FLUSH-OK named another digest than ours, newly seen. */
  readonly disputed: readonly PeerId[];
  /** Every participant named our digest: resolve and install. */
  readonly complete: boolean;
}

/** What round two does next, once our FLUSH is out; updates `fl`. */
export const advanceAgreement = (
  fl: FlushAgreement,
  self: PeerId,
  okFrame: (digest: string) => FlushOkFrame,
): AgreementStep => {
  if (!fl.participants.every((p) => fl.reports.has(p))) return { send: null, disputed: [], complete: false };
  let send: FlushOkFrame | null = null;
  if (fl.digest === null) {
    fl.digest = flushDigest(fl.participants, fl.reports);
    fl.digests.set(self, fl.digest);
    fl.oked = true;
    send = okFrame(fl.digest);
  }
  const digest = fl.digest;
  const disputed: PeerId[] = [];
  for (const [p, d] of fl.digests)
    if (d !== digest && !fl.disputes.has(p)) {
      fl.disputes.add(p);
      disputed.push(p);
    }
  const complete = fl.participants.every((p) => fl.digests.get(p) === digest);
  return { send, disputed, complete };
};
