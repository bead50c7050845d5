// Round two of a view change (PROTOCOL.md §3.4 "Same reports everywhere"): once a participant
// holds every FLUSH report it sends the others FLUSH-OK and is bound to the flush's resolution; the
// view is installed once every participant's FLUSH-OK stands for that same digest. A FLUSH-OK's
// digest is not its sender's word: it restates the signed report hash (`report`) of every other
// participant as it holds it (`held`), and the receiver computes the digest from those and the
// sender's own signed hash. So a FLUSH-OK can only claim hashes their reporters signed: when it
// differs from ours, a reporter signed two hashes for one view and we hold both signatures (a
// proof). A participant that sent two members two different reports stalls the flush (each sees
// the other's digest differ) and is proven; it cannot have them install it with different
// resolutions. Pure functions of a flush's state; view-change.ts owns that state and sends what
// they return.

import type { GroupId, PeerId, ViewId } from '../ids.ts';
import { canonicalSignedText } from '../wire/canonical.ts';
import type { FlushFrame, FlushOkFrame, HeldReport, Priority } from '../wire/frames.ts';
import type { FlushProof } from './flush-proof.ts';
import { sha256TextBase64 } from '../wire/sha256.ts';

/** What a flush under way knows about round two. */
export interface FlushAgreement {
  readonly participants: readonly PeerId[];
  readonly reports: Map<PeerId, FlushFrame>;
  /** Our digest of every participant's report, set when we hold them all and sent it (FLUSH-OK). */
  digest: string | null;
  /** We hold every report and sent our FLUSH-OK: bound to deliver this flush's resolution (but see `disputes`). */
  oked: boolean;
  /** Each participant's digest as its FLUSH-OK's `held` makes it (ours included), once we hold every report. */
  readonly digests: Map<PeerId, string>;
  /** Participants whose digest differs from ours, each reported once: nobody installs the view. */
  readonly disputes: Set<PeerId>;
  /** The signed reports each participant's FLUSH-OK restates (the first FLUSH-OK's; ours once sent). */
  readonly held: Map<PeerId, readonly HeldReport[]>;
  /** Each other participant's first FLUSH-OK as it came, signed by its sender: what we relay (flush-ok-relay.ts). */
  readonly oks: Map<PeerId, FlushOkFrame>;
  /** Reporters proven to have signed two reports for this view, each proven once. */
  readonly proven: Set<PeerId>;
  /** Reports a FLUSH-OK we hold restates and we lack, by reporter (flush-relay.ts). */
  readonly wanted: Map<PeerId, WantedReport>;
  /** When we last relayed an asker a report (by `asker reporter`, flush-relay.ts) or a FLUSH-OK (`ok asker sender`). */
  readonly relayedAt: Map<string, number>;
  /** FLUSH-OKs we lack, once we hold every report and sent ours, by sender (flush-ok-relay.ts). */
  readonly wantedOks: Map<PeerId, WantedReport>;
}

/** A report we lack that some FLUSH-OK restates (PROTOCOL.md §3.4 "Relay"). */
export interface WantedReport {
  /** When we first held a FLUSH-OK restating it, or last asked for it. */
  since: number;
  /** Bytes of its unfinished report from its reporter at `since` (more since: it is on its way). */
  bytes: number;
  /** Participants asked for it since the last round of asks. */
  readonly asked: Set<PeerId>;
  /** Rounds of asks (every holder asked) that brought nothing: each doubles the wait (flush-relay.ts). */
  rounds: number;
}

/** A flush's round-two state before any report is in. */
export const newAgreement = (participants: readonly PeerId[]): FlushAgreement => ({
  participants,
  reports: new Map(),
  digest: null,
  oked: false,
  digests: new Map(),
  disputes: new Set(),
  held: new Map(),
  proven: new Set(),
  wanted: new Map(),
  relayedAt: new Map(),
  oks: new Map(),
  wantedOks: new Map(),
});

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

// node:crypto's digest in Node, the JS one in browsers: the same base64 of the same UTF-8 (chain.test.ts).
const hashOf = (value: unknown): string => sha256TextBase64(JSON.stringify(value));

/** SHA-256 (base64) of one report's fields: what its reporter signs (`report` on the wire). */
export const reportHash = (f: FlushFrame): string => hashOf(reportFields(f));

/** The hash a report we hold stands for: its signed `report` (the engine took it only if its content hashes so). */
export const heldHash = (f: FlushFrame): string => f.report ?? reportHash(f);

/**
 * Our FLUSH-OK's words: every other participant's report hash we hold, with its reporter's signature
 * (on the wire every report is signed; engine tests run without signatures).
 */
export const heldReports = (fl: FlushAgreement, self: PeerId): HeldReport[] =>
  fl.participants.flatMap((p) => {
    const r = fl.reports.get(p);
    if (p === self || r === undefined) return [];
    return [{ reporter: p, report: heldHash(r), ...(r.sig === undefined ? {} : { sig: r.sig }) }];
  });

/**
 * SHA-256 (base64) of every participant's signed report hash in `participants` order (`hashFor(p)`,
 * null if missing): equal digests, equal reports (the hash covers every field the resolution reads),
 * equal resolutions.
 */
export const flushDigest = (participants: readonly PeerId[], hashFor: (p: PeerId) => string | undefined): string =>
  hashOf(participants.map((p) => [p, hashFor(p) ?? null]));

/** Our digest: of the reports we hold. */
const ownDigest = (fl: FlushAgreement): string =>
  flushDigest(fl.participants, (p) => {
    const r = fl.reports.get(p);
    return r === undefined ? undefined : heldHash(r);
  });

/**
 * Why a FLUSH-OK from `from` restates the wrong set of reporters (null when it names every other
 * participant once, and nobody else): such a FLUSH-OK stands for no digest and is refused.
 */
const heldMismatch = (participants: readonly PeerId[], from: PeerId, f: FlushOkFrame): string | null => {
  const named = new Set((f.held ?? []).map((h) => h.reporter));
  const missing = participants.filter((p) => p !== from && !named.has(p));
  if (missing.length > 0) return `restates no report of ${missing.join(', ')}`;
  const stranger = [...named].find((p) => p === from || !participants.includes(p));
  return stranger === undefined ? null : `restates a report of ${stranger}, who is no other participant`;
};

/**
 * A participant's FLUSH-OK (checked to come from a participant of this flush): noted, or, when it
 * restates the wrong set of reporters, left out and why returned.
 */
export const noteFlushOk = (fl: FlushAgreement, from: PeerId, f: FlushOkFrame): string | null => {
  const wrong = heldMismatch(fl.participants, from, f);
  if (wrong === null && !fl.held.has(from)) {
    fl.held.set(from, f.held ?? []);
    fl.oks.set(from, f);
  }
  return wrong;
};

/** The digest `by`'s FLUSH-OK stands for: its restated hashes and its own report's hash as we hold it. */
const digestOf = (fl: FlushAgreement, by: PeerId): string => {
  const held = new Map((fl.held.get(by) ?? []).map((h) => [h.reporter, h.report]));
  return flushDigest(fl.participants, (p) => {
    if (p !== by) return held.get(p);
    const r = fl.reports.get(p);
    return r === undefined ? undefined : heldHash(r);
  });
};

/** The proofs `by`'s FLUSH-OK makes with the signed reports we hold: another signed report of a reporter. */
const proofsFrom = (fl: FlushAgreement, by: PeerId, groupId: GroupId): FlushProof[] => {
  const proofs: FlushProof[] = [];
  for (const h of fl.held.get(by) ?? []) {
    const mine = fl.reports.get(h.reporter);
    if (mine?.report === undefined || mine.sig === undefined || h.sig === undefined || mine.report === h.report)
      continue;
    if (fl.proven.has(h.reporter)) continue;
    fl.proven.add(h.reporter);
    const at = { groupId, viewId: mine.viewId, reporter: h.reporter };
    proofs.push({
      flush: { ...at, report: mine.report, sig: mine.sig },
      other: { ...at, report: h.report, sig: h.sig },
    });
  }
  return proofs;
};

export interface AgreementStep {
  /** Our FLUSH-OK to send to every other participant, the first time we hold every report. */
  readonly send: FlushOkFrame | null;
  /** Participants whose FLUSH-OK named another digest than ours, newly seen. */
  readonly disputed: readonly PeerId[];
  /** Every participant named our digest: resolve and install. */
  readonly complete: boolean;
  /** Reporters newly proven to have signed two reports for this view (PROTOCOL.md §3.4 "Signed reports"). */
  readonly proofs: readonly FlushProof[];
}

/** Our FLUSH-OK of flush `fl` (for view `viewId`), or null before we hold every report. */
export const flushOkOf = (fl: FlushAgreement, self: PeerId, groupId: GroupId, viewId: ViewId): FlushOkFrame | null =>
  fl.digest === null ? null : { t: 'flush-ok', groupId, viewId, reports: fl.digest, held: heldReports(fl, self) };

/** What round two does next, once our FLUSH is out; updates `fl`. */
export const advanceAgreement = (fl: FlushAgreement, self: PeerId, groupId: GroupId, viewId: ViewId): AgreementStep => {
  if (!fl.participants.every((p) => fl.reports.has(p)))
    return { send: null, disputed: [], complete: false, proofs: [] };
  let send: FlushOkFrame | null = null;
  if (fl.digest === null) {
    fl.digest = ownDigest(fl);
    fl.digests.set(self, fl.digest);
    fl.oked = true;
    send = flushOkOf(fl, self, groupId, viewId);
  }
  const digest = fl.digest;
  for (const p of fl.held.keys()) if (!fl.digests.has(p)) fl.digests.set(p, digestOf(fl, p));
  const disputed: PeerId[] = [];
  const proofs: FlushProof[] = [];
  for (const [p, d] of fl.digests)
    if (d !== digest && !fl.disputes.has(p)) {
      fl.disputes.add(p);
      disputed.push(p);
      proofs.push(...proofsFrom(fl, p, groupId));
    }
  const complete = fl.participants.every((p) => fl.digests.get(p) === digest);
  return { send, disputed, complete, proofs };
};
