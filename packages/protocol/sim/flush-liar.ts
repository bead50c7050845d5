// The `flush-lie` hostile kind (PROTOCOL.md §7.6): a participant that lies in the rounds of a view
// change without ever signing two reports for one view, each lie by `variant` mod 9:
// - false-digest: every FLUSH-OK it sends names a made-up digest (`reports`); its restated signed
//   reports (`held`) are the true ones. The receivers read the digest from `held`, so the lie is
//   inert: the view change completes;
// - bad-report: its FLUSH to half the members (by peer id) carries content that does not hash to
//   the report it signed (its signature over the true report's hash stays): refused as unsigned;
// - forged-held: its FLUSH-OK to half the members restates another participant's report under a
//   hash that participant never signed (the signature is the one it holds for the true hash, and
//   its own over the FLUSH-OK is the true one's): refused as a forgery;
// - short-held: its FLUSH-OK to half the members leaves one participant's report out: refused (its
//   own signature no longer holds, and it would stand for no digest);
// - withhold-report: its own FLUSH never reaches half the members (PROTOCOL.md §3.4 "Relay"): they
//   ask a participant whose FLUSH-OK restates it, and take the relayed copy;
// - withhold-ok: its FLUSH-OK never reaches half the members: they ask a participant whose FLUSH-OK
//   they hold, and take the liar's signed FLUSH-OK relayed;
// - forged-relay: besides its true FLUSH, half the members get its report relayed as another
//   participant's (its own signature under another reporter's name): refused as a forgery;
// - withhold-all: its own FLUSH reaches nobody (a member silent toward this flush): nobody holds the
//   report to relay, so the honest participants report it `stalled` and the tracker evicts it
//   (PROTOCOL.md §3.4 "Withheld from everyone");
// - withhold-ok-all: its own FLUSH-OK reaches nobody (it holds every report and is bound, but says
//   so to nobody): nobody holds it to relay, so the same watch has it reported and evicted, and the
//   others, bound too, deliver the resolution it may have delivered when they abandon that flush.
// bad-report, forged-held and short-held are refused, so to those members the liar withheld a
// frame; with withhold-report and withhold-ok it withholds one outright. A withheld report or
// FLUSH-OK is relayed, and a refused one is what a withheld one is: relayed (PROTOCOL.md §3.4
// "Relay"). Its frames are not signed again (the liar keeps the signatures its core asked for).

import type { PeerId } from '../src/ids.ts';
import type { FlushFrame, FlushOkFrame, GroupFrame } from '../src/wire/frames.ts';
import { LIAR_ID } from './hostile.ts';

export const FLUSH_LIES = [
  'false-digest',
  'bad-report',
  'forged-held',
  'short-held',
  'withhold-report',
  'withhold-ok',
  'forged-relay',
  'withhold-all',
  'withhold-ok-all',
] as const;
export type FlushLie = (typeof FLUSH_LIES)[number];

export const flushLieOf = (variant: number): FlushLie => FLUSH_LIES[variant % FLUSH_LIES.length] as FlushLie;

/** A base64 SHA-256 that no report hashes to (the shape the parser takes). */
const MADE_UP_HASH = `${'L'.repeat(42)}A=`;

/** A report whose content is not the one whose hash its reporter signed: `agreed` one higher. */
const badReport = (f: FlushFrame): FlushFrame => ({ ...f, agreed: f.agreed + 1 });

const forgedHeld = (f: FlushOkFrame): FlushOkFrame => {
  const held = f.held ?? [];
  return held.length === 0 ? f : { ...f, held: [{ ...held[0]!, report: MADE_UP_HASH }, ...held.slice(1)] };
};

const shortHeld = (f: FlushOkFrame): FlushOkFrame => {
  const held = f.held ?? [];
  return held.length === 0 ? f : { ...f, held: held.slice(1) };
};

/** Its own report relayed under the name of another member it had installed (neither it nor `to`), if any. */
const forgedRelay = (f: FlushFrame, to: PeerId): FlushFrame[] => {
  const other = f.installed?.members.find((m) => m !== LIAR_ID && m !== to);
  return other === undefined ? [] : [{ ...f, reporter: other }];
};

/** What the liar puts on the link to `to` instead of its core's `frame`; `half` says whether `to` is a victim. */
export const lieInFlush = (lie: FlushLie, frame: GroupFrame, to: PeerId, half: boolean): GroupFrame[] => {
  if (frame.t === 'flush-ok' && lie === 'false-digest') return [{ ...frame, reports: MADE_UP_HASH }];
  // Its own report and FLUSH-OK (a relayed one names its reporter or sender) are what it withholds.
  const own = frame.t === 'flush' && frame.reporter === undefined;
  const ownOk = frame.t === 'flush-ok' && frame.sender === undefined;
  if (own && lie === 'withhold-all') return [];
  if (ownOk && lie === 'withhold-ok-all') return [];
  if (!half) return [frame];
  if (own && lie === 'bad-report') return [badReport(frame)];
  if (own && lie === 'withhold-report') return [];
  if (own && lie === 'forged-relay') return [frame, ...forgedRelay(frame, to)];
  if (ownOk && lie === 'withhold-ok') return [];
  if (ownOk && lie === 'forged-held') return [forgedHeld(frame)];
  if (ownOk && lie === 'short-held') return [shortHeld(frame)];
  return [frame];
};
