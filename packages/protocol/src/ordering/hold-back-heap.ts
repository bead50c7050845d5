// The ISIS hold-back queue's index: finds the entry with the lowest priority
// without scanning the queue on every delivery. Owns only (priority, id)
// records; the queue entries themselves live in the engine, which stays the
// source of truth. A record is stale once its entry is gone or has another
// priority now; stale records are dropped when they reach the top (lazy
// deletion), so any change of an entry's priority — up, as ISIS does, or down —
// is just one more push.

import { BinaryHeap } from '../binary-heap.ts';
import type { MessageId } from '../ids.ts';
import type { Priority } from '../wire/frames.ts';

interface HeapRecord {
  readonly id: MessageId;
  readonly priority: Priority;
  /**
   * When its entry was admitted: equal priorities (only a broken comparison makes them) go first-admitted first, as a
   * scan of the queue in insertion order would.
   */
  readonly admitted: number;
}

export class HoldBackHeap {
  private readonly heap: BinaryHeap<HeapRecord>;

  constructor(compare: (a: Priority, b: Priority) => number) {
    this.heap = new BinaryHeap<HeapRecord>((a, b) => {
      const c = compare(a.priority, b.priority);
      return c !== 0 ? c < 0 : a.admitted < b.admitted;
    });
  }

  get size(): number {
    return this.heap.size;
  }

  push(id: MessageId, priority: Priority, admitted: number): void {
    this.heap.push({ id, priority, admitted });
  }

  /** The lowest record whose entry `current` still holds at that priority; stale ones on the way are dropped. */
  peek(current: (id: MessageId) => Priority | undefined): HeapRecord | null {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined) return null;
      const now = current(top.id);
      if (now !== undefined && now.p === top.priority.p && now.by === top.priority.by) return top;
      this.heap.pop();
    }
  }

  pop(): void {
    this.heap.pop();
  }

  clear(): void {
    this.heap.clear();
  }
}
