// Batches a group's deliveries into the MessageStore: one putMessages per
// batch instead of one per message (IndexedDB transactions are the cost).
// Writes are idempotent by message id, so a batch retried after a failure,
// or history merged over live deliveries, never duplicates anything. One
// writer serves one group: a message of another group is refused when it is
// added (reported, never queued), so it cannot wedge the retry queue. Owns
// only the queue and its timer; what is delivered is the engine's business.

import type { GroupId } from '@chorus/protocol';
import { ChorusError } from '../chorus-error.ts';
import { wrongGroup, type GroupRecord, type MessageStore, type StoredMessage } from '../storage.ts';

/** docs/design.md §5: writes are batched per 50 ms; a burst of deliveries becomes one transaction. */
export const STORE_BATCH_MS = 50;
/** Write at once past this many queued messages, so a long burst does not grow one huge batch. */
export const STORE_BATCH_MAX = 500;
/** After a failed write, retry this much later; the messages stay queued meanwhile. */
export const STORE_RETRY_MS = 1_000;

export class DeliveryWriter {
  readonly #groupId: GroupId;
  readonly #store: MessageStore;
  readonly #onError: (e: unknown) => void;
  /** The group record to save with each batch, built at write time (engine state is not free to copy). */
  readonly #record: () => GroupRecord | null;
  #queue: StoredMessage[] = [];
  /** Queued messages with a total-order group's agreed keys: written with `putHistory` (their keys win). */
  #history = new Set<StoredMessage>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    groupId: GroupId,
    store: MessageStore,
    onError: (e: unknown) => void,
    record: () => GroupRecord | null = () => null,
  ) {
    this.#groupId = groupId;
    this.#store = store;
    this.#onError = onError;
    this.#record = record;
  }

  /**
   * Queue messages; the group record is saved with the batch they go out in.
   * `history`: the items carry a total-order group's agreed keys (`putHistory`): a sponsor's history or
   * our engine's deliveries. `now`: a history page, a batch already: written at once (one transaction per page).
   */
  add(items: readonly StoredMessage[], history = false, now = false): void {
    const own: StoredMessage[] = [];
    for (const m of items) {
      const why = wrongGroup(this.#groupId, m);
      if (why === null) own.push(m);
      else this.#onError(new ChorusError('wrong-group', `Not saved with group "${this.#groupId}": ${why}.`));
    }
    if (own.length === 0) return;
    this.#queue.push(...own);
    if (history) for (const m of own) this.#history.add(m);
    if (now || this.#queue.length >= STORE_BATCH_MAX) void this.flush().catch(() => {});
    else this.#schedule(STORE_BATCH_MS);
  }

  /** Write everything queued now; resolves when it is in the store (or the write failed and is queued again). */
  flush(): Promise<void> {
    this.#cancel();
    const next = this.#writing.then(() => this.#writeQueued());
    this.#writing = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    this.#closed = true;
    this.#cancel();
  }

  async #writeQueued(): Promise<void> {
    const items = this.#queue;
    const history = this.#history;
    this.#queue = [];
    this.#history = new Set();
    if (items.length === 0) return;
    try {
      const live = items.filter((m) => !history.has(m));
      if (live.length > 0) await this.#store.putMessages(this.#groupId, live);
      if (live.length < items.length)
        await this.#store.putHistory(
          this.#groupId,
          items.filter((m) => history.has(m)),
        );
      const record = this.#record();
      if (record) await this.#store.putGroup(record);
    } catch (e) {
      // Nothing delivered is lost: put the batch back in front and try again later.
      this.#queue = [...items, ...this.#queue];
      for (const m of history) this.#history.add(m);
      this.#onError(e);
      if (!this.#closed) this.#schedule(STORE_RETRY_MS);
      throw e;
    }
  }

  #schedule(ms: number): void {
    if (this.#timer !== null || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush().catch(() => {});
    }, ms);
  }

  #cancel(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
