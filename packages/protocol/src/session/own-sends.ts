// Our own texts on their way into the group: the outbox of texts not drafted
// yet, the one draft out for signing, and the messages sent but not yet
// delivered (shown as pending). Knows nothing of the join lifecycle: the
// SessionCore decides when drafting may start (only as a member).

import { frameMessageId } from '../ids.ts';
import type { GroupId, MessageId } from '../ids.ts';
import type { ErrorCode } from '../result.ts';
import type { MemberInfo } from '../tracker/events.ts';
import type { DataFrame, JoinerState, SignedFields } from '../wire/frames.ts';
import { MAX_BODY_CHARS } from '../wire/caps.ts';
import { isRejection } from '../ordering/engine.ts';
import type { OrderingEngine } from '../ordering/engine.ts';
import type { ChainGuard } from './chain-check.ts';
import { firstReissuePrev, ownTail, reissueOffer, type StoredOwn } from './own-reissue.ts';
import { MAX_OUTBOX } from './policy.ts';
import type { SessionCommand, SessionMessage } from './session-types.ts';

/** A pending message sorts after every delivered one, in our own order. */
const pendingOrder = (seq: number): string => `~${String(seq).padStart(16, '0')}`;

const failed = (ticket: number, code: ErrorCode, message: string): SessionCommand => ({
  type: 'submit-failed',
  ticket,
  code,
  message,
});

/**
 * A text to draft: one submitted (`ticket`), or our own stored message sent again (`again`, no ticket:
 * nobody waits for it; `prev`: the link it names when that is not our previous draft's).
 */
interface Outgoing {
  readonly ticket: number | null;
  readonly text: string;
  readonly again?: DataFrame;
  readonly prev?: string;
}

/** A signed draft ready for the engine: its frame and how it shows until delivered (`ticket` null: a re-issue). */
export interface ReadyToSend {
  readonly ticket: number | null;
  readonly frame: DataFrame;
  readonly pending: SessionMessage;
}

export class OwnSends {
  readonly #groupId: GroupId;
  readonly #self: MemberInfo;
  #outbox: Outgoing[] = [];
  /** The draft out for signing; the engine takes drafts back in the order it made them. */
  #signing: { readonly ticket: number | null; readonly draft: SignedFields } | null = null;
  /** Our newest stored messages, read when the session started, and their incarnation (own-reissue.ts). */
  #stored: DataFrame[] = [];
  #storedIn: number | null = null;
  /** Ids of ours sent again in this session (PROTOCOL.md §3.1 "Re-issue"): the store takes their new frames. */
  readonly #again = new Set<MessageId>();
  /** Own messages sent but not delivered yet, for the pending → delivered switch. */
  readonly #pending = new Map<MessageId, SessionMessage>();

  constructor(groupId: GroupId, self: MemberInfo) {
    this.#groupId = groupId;
    this.#self = self;
  }

  /** Texts submitted and not yet drafted, plus the one out for signing. */
  get size(): number {
    return this.#outbox.filter((o) => o.ticket !== null).length + ((this.#signing?.ticket ?? null) === null ? 0 : 1);
  }

  /** Our messages in the store when the session started (the `read-held` scan): what a re-issue may send. */
  storedOwn(own: StoredOwn): void {
    this.#stored = ownTail(own.frames, this.#self.peerId);
    this.#storedIn = own.incarnation;
  }

  /** The engine's `reissue` offer for adopting `state` (own-reissue.ts), or undefined. */
  offer(state: Pick<JoinerState, 'incarnation'>): { from: number; to: number } | undefined {
    return reissueOffer(this.#stored, this.#storedIn, state) ?? undefined;
  }

  /**
   * The engine kept `range` to draft again: our stored messages there go first, before any text, each
   * signed for the view it is drafted in. The first names the group's message at `from − 1` (its link as
   * our store holds it) unless the engine's floor passed that seq (a restart, §1.5): `firstReissuePrev`.
   */
  reissue(range: { readonly from: number; readonly to: number }, floor: number | null, chains: ChainGuard): void {
    const again = this.#stored.filter((f) => f.seq >= range.from && f.seq <= range.to);
    chains.reissuing(this.#self.peerId, range.from);
    const prev = firstReissuePrev(this.#stored, range.from, floor);
    const entries = again.map((f, i): Outgoing => ({
      ticket: null,
      text: f.body,
      again: f,
      ...(i === 0 ? { prev } : {}),
    }));
    for (const f of again) this.#again.add(frameMessageId(f));
    this.#outbox.unshift(...entries);
    this.#stored = [];
  }

  /** Whether `id` is ours, sent again in this session: its delivery replaces the stored copy. */
  reissued(id: MessageId): boolean {
    return this.#again.has(id);
  }

  pending(): readonly SessionMessage[] {
    return [...this.#pending.values()];
  }

  /** Queue `text`, or the refusal when it can never be sent (checked at once, whatever the phase). */
  queue(ticket: number, text: string): SessionCommand | null {
    if (typeof text !== 'string' || text.trim() === '')
      return failed(ticket, 'missing-field', 'A message needs some text.');
    // Checked here because every receiver's parser refuses a longer body: it would reach only us.
    if (text.length > MAX_BODY_CHARS)
      return failed(
        ticket,
        'too-long',
        `A message is at most ${MAX_BODY_CHARS} characters; this one has ${text.length}.`,
      );
    if (this.#outbox.length >= MAX_OUTBOX)
      return failed(ticket, 'too-many', `More than ${MAX_OUTBOX} messages are waiting to be sent; wait a moment.`);
    this.#outbox.push({ ticket, text });
    return null;
  }

  /** Drafts the next text when no draft is out: a `sign` command, or refusals of texts the engine will not draft. */
  draftNext(engine: OrderingEngine, now: number, chains?: ChainGuard): SessionCommand[] {
    const out: SessionCommand[] = [];
    while (this.#signing === null) {
      const entry = this.#outbox.shift();
      if (entry === undefined) break;
      // A re-issue keeps the time its person sent it.
      const draft = engine.draft(entry.text, entry.again?.sentAt ?? now);
      if (isRejection(draft)) {
        if (entry.ticket !== null) out.push(failed(entry.ticket, draft.error.code, draft.error.message));
        continue;
      }
      // The runtime signs the draft with its chain link (`prev`, PROTOCOL.md §1.5).
      const prev = entry.prev ?? chains?.prevFor(this.#self.peerId, draft.seq, engine.resumeFloor ?? 0);
      const chained = prev === undefined ? draft : { ...draft, prev };
      this.#signing = { ticket: entry.ticket, draft: chained };
      out.push({ type: 'sign', draft: chained });
    }
    return out;
  }

  /** The signature for the draft out; null when no such draft is out (a stray answer). */
  signed(draft: SignedFields, sig: string): ReadyToSend | null {
    const s = this.#signing;
    if (s === null || s.draft.seq !== draft.seq || s.draft.body !== draft.body) return null;
    this.#signing = null;
    const frame: DataFrame = { t: 'data', ...s.draft, sig };
    const id = frameMessageId(frame);
    const pending: SessionMessage = {
      id,
      groupId: this.#groupId,
      sender: frame.sender,
      senderName: this.#self.name,
      senderKey: this.#self.publicKey,
      body: frame.body,
      sentAt: frame.sentAt,
      order: pendingOrder(frame.seq),
      state: 'pending',
      viewId: frame.viewId,
    };
    if (s.ticket !== null) this.#pending.set(id, pending);
    return { ticket: s.ticket, frame, pending };
  }

  /** A message left the pending list: delivered, or refused by the engine. */
  settled(id: MessageId): void {
    this.#pending.delete(id);
  }

  /** Every text not sent yet fails (the session closes). */
  failAll(message: string): SessionCommand[] {
    const tickets = [this.#signing?.ticket ?? null, ...this.#outbox.map((o) => o.ticket)];
    this.#signing = null;
    this.#outbox = [];
    return tickets.flatMap((t) => (t === null ? [] : [failed(t, 'bad-state', message)]));
  }
}
