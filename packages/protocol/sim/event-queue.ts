// The simulator's agenda: events ordered by virtual time, ties broken by the
// order they were scheduled, so two frames put on one link at the same
// instant arrive in the order they were sent (per-link FIFO).

import { BinaryHeap } from '../src/binary-heap.ts';

interface Entry<T> {
  readonly at: number;
  readonly seq: number;
  readonly event: T;
}

export class EventQueue<T> {
  private readonly heap = new BinaryHeap<Entry<T>>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;

  get size(): number {
    return this.heap.size;
  }

  push(at: number, event: T): void {
    this.heap.push({ at, seq: this.seq++, event });
  }

  pop(): { readonly at: number; readonly event: T } | undefined {
    return this.heap.pop();
  }
}
