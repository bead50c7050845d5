// Signature checks on everything inbound that carries DATA: a DATA frame,
// the unstable messages inside a FLUSH, history items and the unstable
// messages of a sponsor's joiner state; and on signed words: FINALs, the
// FINALs an ECHO restates, a FLUSH report, the reports a FLUSH-OK restates. Each message that fails is reported
// (the session counts it) and left out; what passes goes on to the
// SessionCore. Holds no state of its own beyond the group's KeyRing.

import {
  chainAnchors,
  finalOfEcho,
  finalsOf,
  flushOkStatementOf,
  frameMessageId,
  noteReceivedBytes,
  pageWireBytes,
  type DataFrame,
  type EchoFrame,
  type FinalFrame,
  type FinalsFrame,
  type FlushFrame,
  type GroupFrame,
  type GroupId,
  type HistoryItem,
  type HistoryResponseFrame,
  type JoinerState,
  type PeerId,
  type ProtocolError,
} from '@chorus/protocol';
import type { KeyRing } from './key-ring.ts';

/** What the core may take: a frame, or a history page with the items whose signature held. */
export type Verified =
  | { readonly kind: 'frame'; readonly frame: GroupFrame }
  | { readonly kind: 'page'; readonly page: HistoryResponseFrame; readonly items: readonly HistoryItem[] };

export const badSignature = (f: DataFrame): ProtocolError => ({
  code: 'bad-signature',
  message: `Message ${frameMessageId(f)} does not carry a valid signature of its sender.`,
});

type SignedWords = FinalFrame | FinalsFrame | EchoFrame;

/** A FINAL, a cumulative one, or an ECHO that restates one, without its sender's signature (PROTOCOL.md §3.3). */
const badFinal = (f: SignedWords): ProtocolError => ({
  code: 'bad-signature',
  message:
    f.t === 'final'
      ? `The FINAL of message ${f.sender}:${f.seq} does not carry a valid signature of its sender.`
      : f.t === 'finals'
        ? `The FINALs of ${f.sender}'s messages ${f.items.map((i) => i[0]).join(', ')} do not carry a valid signature of their sender.`
        : 'An ECHO restates a FINAL that its sender did not sign.',
});

/** A FLUSH report, or one a FLUSH-OK restates, without its reporter's signature (PROTOCOL.md §3.4 "Signed reports"). */
const badReport = (what: string): ProtocolError => ({
  code: 'bad-signature',
  message: `${what} does not carry a valid signature of its reporter.`,
});

/**
 * The signed FINALs a frame carries: itself, those of a cumulative FINAL (one signature over their list:
 * the first stands for all), or those its echo entries restate (entries of one list are checked once).
 */
/**
 * Frames of the ordering's hot path that carry nothing signed: `verify` hands them on as they are, so
 * `verifyNow` does too, and they (and a DATA right behind them) need no promise chain to reach the core.
 */
const UNSIGNED_NOW: ReadonlySet<GroupFrame['t']> = new Set(['propose', 'proposes', 'hwm']);

const signedFinals = (f: SignedWords): FinalFrame[] =>
  f.t === 'final' ? [f] : f.t === 'finals' ? finalsOf(f).slice(0, 1) : f.finals.map((e) => finalOfEcho(f, e));

export class FrameVerifier {
  readonly #groupId: GroupId;
  readonly #keys: KeyRing;
  readonly #rejected: (from: PeerId, error: ProtocolError) => void;

  constructor(groupId: GroupId, keys: KeyRing, rejected: (from: PeerId, error: ProtocolError) => void) {
    this.#groupId = groupId;
    this.#keys = keys;
    this.#rejected = rejected;
  }

  /**
   * A live DATA's or signed FINAL's verdict without waiting, where that can be
   * had (Node, the sender's key known), and a frame with nothing signed: the
   * frame, or null when it fails (reported). Any other frame, or no synchronous
   * verdict: undefined, and `verify` decides.
   */
  verifyNow(from: PeerId, frame: GroupFrame): GroupFrame | null | undefined {
    if (UNSIGNED_NOW.has(frame.t)) return frame;
    if (frame.t === 'final' || frame.t === 'finals' || frame.t === 'echo') {
      const verdicts = signedFinals(frame).map((f) => this.#keys.verifyFinalNow(f));
      if (verdicts.includes(null)) return undefined;
      if (verdicts.every(Boolean)) return frame;
      this.#rejected(from, badFinal(frame));
      return null;
    }
    if (frame.t !== 'data') return undefined;
    const valid = this.#keys.verifyNow(frame);
    if (valid === null) return undefined;
    if (valid) return frame;
    this.#rejected(from, badSignature(frame));
    return null;
  }

  /** The frame with every unverifiable message left out; null when the frame itself is a DATA that fails. */
  async verify(from: PeerId, frame: GroupFrame): Promise<Verified | null> {
    switch (frame.t) {
      case 'data':
        if (await this.#keys.verify(frame)) return { kind: 'frame', frame };
        this.#rejected(from, badSignature(frame));
        return null;
      case 'final':
      case 'finals':
      case 'echo': {
        const verdicts = await Promise.all(signedFinals(frame).map((f) => this.#keys.verifyFinal(f)));
        if (verdicts.every(Boolean)) return { kind: 'frame', frame };
        this.#rejected(from, badFinal(frame));
        return null;
      }
      case 'flush': {
        // A relayed report names its reporter (the parser refuses the link's peer there): checked with its key.
        const { report, sig, reporter = from } = frame;
        const signed =
          report !== undefined &&
          sig !== undefined &&
          (await this.#keys.verifyStatement({ groupId: frame.groupId, viewId: frame.viewId, reporter, report, sig }));
        if (signed) return { kind: 'frame', frame: await this.#flush(from, frame) };
        const relayed = reporter === from ? '' : ` relayed by ${from}`;
        this.#rejected(from, badReport(`${reporter}'s FLUSH report for view ${frame.viewId}${relayed}`));
        return null;
      }
      case 'flush-ok': {
        // Its sender's signature first (a relayed one names its sender: checked with that one's key).
        const sender = frame.sender ?? from;
        const statement = flushOkStatementOf(frame, sender);
        if (frame.sig === undefined || !(await this.#keys.verifyFlushOkStatement(statement, frame.sig))) {
          const relayed = sender === from ? '' : ` relayed by ${from}`;
          this.#rejected(from, {
            code: 'bad-signature',
            message: `${sender}'s FLUSH-OK for view ${frame.viewId}${relayed} does not carry a valid signature of its sender.`,
          });
          return null;
        }
        const held = frame.held ?? [];
        const verdicts = await Promise.all(
          held.map(({ reporter, report, sig }) =>
            sig === undefined
              ? false
              : this.#keys.verifyStatement({ groupId: frame.groupId, viewId: frame.viewId, reporter, report, sig }),
          ),
        );
        const bad = held.find((_, i) => !verdicts[i]);
        if (bad === undefined) return { kind: 'frame', frame };
        this.#rejected(from, badReport(`The report of ${bad.reporter} that ${from}'s FLUSH-OK restates`));
        return null;
      }
      case 'history-res': {
        const items = await this.#items(from, frame.items);
        const state = frame.state ? await this.#state(from, frame.state) : undefined;
        // The heads beside a state (PROTOCOL.md §4) back its counts only with their sender's signature.
        const heads = frame.heads ? await this.#items(from, frame.heads) : undefined;
        const page = state ? { ...frame, state, ...(heads ? { heads } : {}) } : frame;
        // The copy arrived as the same text: the joiner's byte budget counts it as such (join-sync.ts `vetPage`).
        const bytes = pageWireBytes(frame);
        if (page !== frame && bytes !== undefined) noteReceivedBytes(page, bytes);
        return { kind: 'page', page, items };
      }
      default:
        return { kind: 'frame', frame };
    }
  }

  /** Unstable messages that fail to verify are dropped one by one; the flush itself must go on (liveness). */
  async #flush(from: PeerId, flush: FlushFrame): Promise<FlushFrame> {
    const ok = await Promise.all(flush.unstable.map((f) => this.#keys.verify(f)));
    if (ok.every(Boolean)) return flush;
    const unstable: DataFrame[] = [];
    flush.unstable.forEach((f, i) => {
      if (ok[i]) unstable.push(f);
      else this.#rejected(from, badSignature(f));
    });
    return { ...flush, unstable };
  }

  /**
   * History items of this group whose sender's key (from a view, else the
   * item's own) verifies them — one signature per chain segment: an item that
   * the next item of its sender in the page names by hash is decided by that
   * item's signature (`chainAnchors`, PROTOCOL.md §1.5), so a page costs
   * about one signature per sender instead of one per message.
   */
  async #items(from: PeerId, items: readonly HistoryItem[]): Promise<HistoryItem[]> {
    const ours: HistoryItem[] = [];
    for (const item of items) {
      if (item.frame.groupId === this.#groupId) ours.push(item);
      else
        this.#rejected(from, {
          code: 'not-member',
          message: `History item ${frameMessageId(item.frame)} belongs to another group.`,
        });
    }
    const keyOf = (item: HistoryItem): string | undefined =>
      this.#keys.knows(item.frame.sender) ? undefined : item.senderKey;
    const anchors = chainAnchors(ours, (item) => item.frame, keyOf);
    // One check per anchor (about one per sender on a page), not a promise per item.
    const heads = [...new Set(anchors)];
    const checked = await Promise.all(heads.map((i) => this.#item(ours[i]!)));
    const verdicts = new Map(heads.map((i, k) => [i, checked[k] === true]));
    // An item whose anchor failed (a sponsor altered or forged it) is checked on its own: the genuine
    // items below a forged one stay, at one signature each, only on a page that carries a forgery.
    const orphans = ours.flatMap((_, i) => (verdicts.get(anchors[i]!) === true || anchors[i] === i ? [] : [i]));
    const own = new Map(orphans.map((i) => [i, this.#item(ours[i]!)] as const));
    const out: HistoryItem[] = [];
    for (const [i, item] of ours.entries()) {
      if (verdicts.get(anchors[i]!) === true || (await own.get(i)) === true) out.push(item);
      else this.#rejected(from, badSignature(item.frame));
    }
    return out;
  }

  async #item(item: HistoryItem): Promise<boolean> {
    const sender = item.frame.sender;
    if (this.#keys.knows(sender)) return this.#keys.verify(item.frame, 0);
    if (item.senderKey === undefined) return false;
    const valid = await this.#keys.verifyWith(item.frame, item.senderKey);
    if (valid) this.#keys.vouch(sender, item.senderName, item.senderKey);
    return valid;
  }

  /** The sponsor's unstable messages enter our engine (and later flushes): each must carry its sender's signature. */
  async #state(from: PeerId, state: JoinerState): Promise<JoinerState> {
    const unstable = state.unstable ?? [];
    const ok = await Promise.all(unstable.map((u) => this.#keys.verify(u.frame, 0)));
    if (ok.every(Boolean)) return state;
    unstable.forEach((u, i) => {
      if (!ok[i]) this.#rejected(from, badSignature(u.frame));
    });
    return { ...state, unstable: unstable.filter((_, i) => ok[i]) };
  }
}
