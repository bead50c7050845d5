// The ISIS hold-back queue's index: finds the entry with the lowest priority
// without scanning the queue on every delivery. Owns only (priority, id)
// records; the queue entries themselves live in the engine, which stays the
// source of truth. A record is stale once its entry is gone or has another
// priority now; stale records are dropped when they reach the top (lazy
// deletion), so any change of an entry's priority — up, as ISIS does, or down —
// is just one more push.

import type { MessageId } from '../ids.ts';
import type { Priority } from '../wire/frames.ts';

interface HeapRecord {
  readonly id: MessageId;
  readonly priority: Priority;
  /** When its entry was admitted: equal priorities (only a broken comparison makes them) go first-admitted first, as a scan of the queue in insertion order would. */
  readonly admitted: number;
}

export class HoldBackHeap {
  private readonly items: HeapRecord[] = [];

  constructor(private readonly compare: (a: Priority, b: Priority) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(id: MessageId, priority: Priority, admitted: number): void {
    this.items.push({ id, priority, admitted });
    this.up(this.items.length - 1);
  }

  /** The lowest record whose entry `current` still holds at that priority; stale ones on the way are dropped. */
  peek(current: (id: MessageId) => Priority | undefined): HeapRecord | null {
    for (;;) {
      const top = this.items[0];
      if (top === undefined) return null;
      const now = current(top.id);
      if (now !== undefined && now.p === top.priority.p && now.by === top.priority.by) return top;
      this.pop();
    }
  }

  pop(): void {
    const last = this.items.pop();
    if (last === undefined || this.items.length === 0) return;
    this.items[0] = last;
    this.down(0);
  }

  clear(): void {
    this.items.length = 0;
  }

  private less(i: number, j: number): boolean {
    const a = this.items[i] as HeapRecord;
    const b = this.items[j] as HeapRecord;
    const c = this.compare(a.priority, b.priority);
    return c !== 0 ? c < 0 : a.admitted < b.admitted;
  }

  private swap(i: number, j: number): void {
    const t = this.items[i] as HeapRecord;
    this.items[i] = this.items[j] as HeapRecord;
    this.items[j] = t;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(l, m)) m = l;
      if (r < this.items.length && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
