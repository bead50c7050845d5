// Batches a group's deliveries into the MessageStore: one putMessages per
// batch instead of one per message (IndexedDB transactions are the cost).
// Writes are idempotent by message id, so a batch retried after a failure,
// or history merged over live deliveries, never duplicates anything. Owns
// only the queue and its timer; what is delivered is the engine's business.

import type { GroupRecord, MessageStore, StoredMessage } from '../storage.ts';

/** DESIGN §5: writes are batched per 50 ms; a burst of deliveries becomes one transaction. */
export const STORE_BATCH_MS = 50;
/** Write at once past this many queued messages, so a long burst does not grow one huge batch. */
export const STORE_BATCH_MAX = 500;
/** After a failed write, retry this much later; the messages stay queued meanwhile. */
export const STORE_RETRY_MS = 1_000;

export class DeliveryWriter {
  readonly #store: MessageStore;
  readonly #onError: (e: unknown) => void;
  #queue: StoredMessage[] = [];
  #record: GroupRecord | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(store: MessageStore, onError: (e: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  /** Queue messages (and the group record to save with them). */
  add(items: readonly StoredMessage[], record: GroupRecord | null): void {
    if (items.length === 0 && record === null) return;
    this.#queue.push(...items);
    if (record) this.#record = record;
    if (this.#queue.length >= STORE_BATCH_MAX) void this.flush();
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
    const record = this.#record;
    this.#queue = [];
    this.#record = null;
    if (items.length === 0 && record === null) return;
    try {
      if (items.length > 0) await this.#store.putMessages(items);
      if (record) await this.#store.putGroup(record);
    } catch (e) {
      // Nothing delivered is lost: put the batch back in front and try again later.
      this.#queue = [...items, ...this.#queue];
      this.#record ??= record;
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
