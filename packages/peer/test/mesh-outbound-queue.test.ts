// Backpressure of one data channel against a simulated channel that behaves
// like libwebrtc's: it buffers what it is given, drains at a fixed rate, and
// closes itself (losing everything) when its buffer passes 16 MiB. The real
// channel is exercised in mesh.test.ts; this one can count every byte.

import { afterEach, describe, expect, it } from 'vitest';
import {
  BULK_HIGH_WATER_BYTES,
  HIGH_WATER_BYTES,
  LOW_WATER_BYTES,
  MAX_BULK_QUEUE_BYTES,
  OutboundQueue,
} from '../src/mesh/outbound-queue.ts';
import type { ChannelSink } from '../src/mesh/outbound-queue.ts';

const LIBWEBRTC_ABORT_BYTES = 16 * 1024 * 1024;

class SimulatedChannel implements ChannelSink {
  buffered = 0;
  maxBuffered = 0;
  closed = false;
  readonly delivered: (string | Uint8Array)[] = [];
  /** Times the queue asked for bufferedAmount. */
  asked = 0;
  readonly #listeners = new Set<() => void>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(
    drainPerTickBytes: number,
    readonly firesDrainEvents: boolean,
  ) {
    this.#timer = setInterval(() => {
      if (this.buffered === 0) return;
      const before = this.buffered;
      this.buffered = Math.max(0, this.buffered - drainPerTickBytes);
      if (this.firesDrainEvents && before > LOW_WATER_BYTES && this.buffered <= LOW_WATER_BYTES)
        for (const l of this.#listeners) l();
    }, 1);
  }

  bufferedAmount(): number {
    this.asked += 1;
    return this.buffered;
  }
  send(message: string | Uint8Array): void {
    if (this.closed) throw new Error('InvalidStateError: channel is closed');
    this.buffered += message.length;
    this.maxBuffered = Math.max(this.maxBuffered, this.buffered);
    if (this.buffered > LIBWEBRTC_ABORT_BYTES) {
      this.closed = true;
      throw new Error('channel closed: send buffer overflow');
    }
    this.delivered.push(message);
  }
  onDrain(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

const channels: SimulatedChannel[] = [];
const queues: OutboundQueue[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) c.stop();
  for (const q of queues.splice(0)) q.close();
});

async function until(what: string, cond: () => boolean): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > 20_000) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each([true, false])('OutboundQueue (channel fires bufferedamountlow: %s)', (firesDrainEvents) => {
  it('delivers a 40 MiB burst whole and in order without ever overflowing the channel', async () => {
    const channel = new SimulatedChannel(256 * 1024, firesDrainEvents);
    channels.push(channel);
    const failures: unknown[] = [];
    const queue = new OutboundQueue(channel, (e) => failures.push(e));
    queues.push(queue);

    const texts = Array.from({ length: 10_000 }, (_, i) => `${i}:`.padEnd(4096, 'x'));
    for (const t of texts) queue.push([t]);
    // The burst is far beyond the high-water mark: most of it waits here, not in the channel.
    expect(queue.length).toBeGreaterThan(0);
    expect(channel.buffered).toBeLessThanOrEqual(HIGH_WATER_BYTES + 4096);

    await until('everything written', () => queue.length === 0);
    expect(failures).toEqual([]);
    expect(channel.closed).toBe(false);
    expect(channel.maxBuffered).toBeLessThanOrEqual(HIGH_WATER_BYTES + 4096);
    expect(channel.delivered).toEqual(texts);
  });
});

describe('OutboundQueue chat lane', () => {
  it('asks the channel for its buffered amount far less often than it writes a chat text', async () => {
    // On @roamhq/wrtc every ask is a blocking hop to the network thread, as costly as a quarter of a send.
    const channel = new SimulatedChannel(1024 * 1024, false);
    channels.push(channel);
    const queue = new OutboundQueue(channel, () => {});
    queues.push(queue);
    const texts = Array.from({ length: 1_000 }, (_, i) => `{"t":"propose","seq":${i}}`);
    for (const t of texts) {
      queue.push([t]);
      await new Promise((r) => setImmediate(r));
    }
    expect(channel.delivered).toEqual(texts);
    expect(channel.asked).toBeLessThan(texts.length / 4);
  });
});

describe('OutboundQueue bulk lane (file chunks)', () => {
  const CHUNK = 15 * 1024;
  const chunk = (i: number): Uint8Array => new Uint8Array(CHUNK).fill(i & 255);

  it('writes a chat text queued behind a transfer before the rest of the transfer, and bounds the lane', async () => {
    const channel = new SimulatedChannel(64 * 1024, false);
    channels.push(channel);
    const queue = new OutboundQueue(channel, () => {});
    queues.push(queue);
    let accepted = 0;
    while (queue.pushBulk(chunk(accepted))) accepted += 1;
    // The lane is bounded by bytes; what does not fit is refused, not queued.
    expect(accepted).toBeGreaterThan(0);
    expect(queue.bulkBytes).toBeLessThanOrEqual(MAX_BULK_QUEUE_BYTES);
    // Bulk messages are written in turns (next-turn.ts TurnQueue): a synchronous burst of pushes writes none yet.
    expect(channel.delivered).toHaveLength(0);
    await until('the channel is at the bulk mark', () => channel.maxBuffered > BULK_HIGH_WATER_BYTES - CHUNK);
    expect(channel.maxBuffered).toBeLessThanOrEqual(BULK_HIGH_WATER_BYTES);
    const before = channel.delivered.length;
    queue.push(['chat!']);
    // Written at once, ahead of every bulk message still queued.
    expect(channel.delivered[before]).toBe('chat!');
    expect(before).toBeLessThan(accepted);
    await until('the transfer is written', () => queue.bulkBytes === 0 && channel.delivered.length === accepted + 1);
    // Every chunk, in order (told apart by their fill byte and length).
    const bulk = channel.delivered.filter((t) => t !== 'chat!').map((m) => `${m.length}:${(m as Uint8Array)[0]}`);
    expect(bulk).toEqual(Array.from({ length: accepted }, (_, i) => `${CHUNK}:${i & 255}`));
  });

  it('asks the channel for its buffered amount far less often than it writes a chunk', async () => {
    const channel = new SimulatedChannel(1024 * 1024, false);
    channels.push(channel);
    const queue = new OutboundQueue(channel, () => {});
    queues.push(queue);
    const n = 200;
    let pushed = 0;
    const feed = (): void => {
      while (pushed < n && queue.pushBulk(chunk(pushed))) pushed += 1;
    };
    feed();
    await until('every chunk is written', () => {
      feed();
      return pushed === n && queue.bulkBytes === 0;
    });
    expect(channel.delivered).toHaveLength(n);
    expect(channel.asked).toBeLessThan(n / 4);
  });
});

describe('OutboundQueue with a bulk channel of its own', () => {
  it('writes chunks to the bulk channel and chat to the main one, and falls back to the main one when it fails', async () => {
    const main = new SimulatedChannel(1024 * 1024, false);
    const bulk = new SimulatedChannel(1024 * 1024, false);
    channels.push(main, bulk);
    const failures: unknown[] = [];
    const queue = new OutboundQueue(main, (e) => failures.push(e));
    queues.push(queue);
    queue.setBulkSink(bulk);
    const chunk = (i: number): Uint8Array => new Uint8Array(1024).fill(i);
    for (let i = 0; i < 10; i++) queue.pushBulk(chunk(i));
    queue.push(['chat!']);
    await until('ten chunks on the bulk channel', () => bulk.delivered.length === 10);
    expect(main.delivered).toEqual(['chat!']);
    // The bulk channel dies: the lane goes back to the main channel, the link lives on.
    bulk.closed = true;
    for (let i = 10; i < 15; i++) queue.pushBulk(chunk(i));
    await until('the rest on the main channel', () => main.delivered.length === 6);
    expect(main.delivered.slice(1).map((m) => (m as Uint8Array)[0])).toEqual([10, 11, 12, 13, 14]);
    expect(failures).toEqual([]);
  });
});

describe('OutboundQueue failures', () => {
  it('reports a channel that dies under it once, and takes nothing more', async () => {
    const channel = new SimulatedChannel(1024, true);
    channels.push(channel);
    const failures: unknown[] = [];
    const queue = new OutboundQueue(channel, (e) => failures.push(e));
    queues.push(queue);
    queue.push(['a', 'b']);
    channel.closed = true;
    queue.push(['c']);
    queue.push(['d']);
    expect(failures).toHaveLength(1);
    expect(queue.length).toBe(0);
    expect(channel.delivered).toEqual(['a', 'b']);
  });
});
