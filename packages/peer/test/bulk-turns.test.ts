// A peer serving a file to several members at once: the bulk work of all its
// links shares one budget per event-loop turn (next-turn.ts TurnQueue), so a
// chat frame waits behind a bounded number of chunk writes and chunk serves
// however many receivers there are, and goes out before any further chunk of
// its link. Counted in writes per turn, never timed.

import { afterEach, describe, expect, it } from 'vitest';
import type { FileWantFrame, GroupFrame, GroupId, PeerId } from '@chorus/protocol';
import { BULK_WRITES_PER_TURN, OutboundQueue, type ChannelSink } from '../src/mesh/outbound-queue.ts';
import { ChunkServer, CHUNKS_PER_TURN } from '../src/files/chunk-server.ts';
import { MemoryBlobs } from '../src/files/blob-store.ts';
import { chunkFile } from '../src/files/file-chunks.ts';
import { bytesOf } from './files-fixtures.ts';

/** Counts event-loop turns: one increment per turn while running (a setImmediate chain, as onNextTurn in Node). */
class TurnCounter {
  turn = 0;
  #running = true;
  constructor() {
    const tick = (): void => {
      this.turn += 1;
      if (this.#running) setImmediate(tick);
    };
    setImmediate(tick);
  }
  stop(): void {
    this.#running = false;
  }
}

/** A channel that always has room (a fast link) and logs what it is given, with the turn. */
class LoggingChannel implements ChannelSink {
  constructor(
    readonly link: number,
    readonly log: { link: number; message: string | Uint8Array; turn: number }[],
    readonly turns: TurnCounter,
  ) {}
  bufferedAmount(): number {
    return 0;
  }
  send(message: string | Uint8Array): void {
    this.log.push({ link: this.link, message, turn: this.turns.turn });
  }
  onDrain(): () => void {
    return () => {};
  }
}

const settle = async (turns: number): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

const maxPerTurn = (turnsOfWrites: readonly number[]): number => {
  const perTurn = new Map<number, number>();
  for (const t of turnsOfWrites) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
  return Math.max(...perTurn.values());
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('bulk writes of every link share one budget per turn', () => {
  it('seven links with a window of chunks each: a few chunk writes a turn in all, and chat goes before further chunks', async () => {
    const turns = new TurnCounter();
    cleanups.push(() => turns.stop());
    const log: { link: number; message: string | Uint8Array; turn: number }[] = [];
    const links = Array.from({ length: 7 }, (_, i) => new OutboundQueue(new LoggingChannel(i, log, turns), () => {}));
    cleanups.push(() => links.forEach((q) => q.close()));
    const WINDOW = 32;
    for (const q of links)
      for (let c = 0; c < WINDOW; c++) expect(q.pushBulk(new Uint8Array(15 * 1024).fill(c))).toBe(true);
    await settle(10);
    // A chat frame on link 3 while every lane still holds chunks: written at once, before any further chunk.
    const sentBefore = log.length;
    expect(links[3]!.bulkBytes).toBeGreaterThan(0);
    links[3]!.push(['chat to member 3']);
    expect(log.slice(sentBefore).map((e) => e.message)).toEqual(['chat to member 3']);
    await settle(7 * WINDOW);
    const chunks = log.filter((e) => typeof e.message !== 'string');
    expect(chunks).toHaveLength(7 * WINDOW);
    // However many links, the process writes at most BULK_WRITES_PER_TURN chunk messages a turn
    // (each a blocking send on wrtc that a chat frame made in that turn waits behind).
    expect(maxPerTurn(chunks.map((e) => e.turn))).toBeLessThanOrEqual(BULK_WRITES_PER_TURN);
    // Every link gets its turn (round robin), and each link's chunks keep their order.
    for (let i = 0; i < 7; i++)
      expect(chunks.filter((e) => e.link === i).map((e) => (e.message as Uint8Array)[0])).toEqual(
        Array.from({ length: WINDOW }, (_, c) => c),
      );
    const firstOfEach = Array.from({ length: 7 }, (_, i) => chunks.findIndex((e) => e.link === i));
    expect(Math.max(...firstOfEach)).toBeLessThan(7);
  });

  it('one link alone still writes one chunk message a turn', async () => {
    const turns = new TurnCounter();
    cleanups.push(() => turns.stop());
    const log: { link: number; message: string | Uint8Array; turn: number }[] = [];
    const q = new OutboundQueue(new LoggingChannel(0, log, turns), () => {});
    cleanups.push(() => q.close());
    for (let c = 0; c < 16; c++) q.pushBulk(new Uint8Array(1024).fill(c));
    await settle(20);
    expect(log).toHaveLength(16);
    expect(new Set(log.map((e) => e.turn)).size).toBe(16);
  });
});

describe('serving chunks to several members shares one budget per turn', () => {
  /** A holder of a 40-chunk file, logging the chunks it sends with their turn. */
  async function holder() {
    const store = new MemoryBlobs();
    const file = await chunkFile(bytesOf(15 * 1024 * 40, 7));
    const hash = file.sha256;
    await store.putBlob({ hash, root: file.root, size: 15 * 1024 * 40, chunkSize: file.chunkSize, complete: true });
    for (const [i, c] of file.chunks.entries()) await store.putChunk(hash, i, c);
    const turns = new TurnCounter();
    cleanups.push(() => turns.stop());
    const sent: { to: PeerId; index: number; turn: number }[] = [];
    const server = new ChunkServer({
      store,
      send: (_g: GroupId, to: PeerId, frame: GroupFrame) => {
        if (frame.t === 'file-chunk') sent.push({ to, index: frame.index, turn: turns.turn });
      },
    });
    const groupId = 'g-files' as GroupId;
    const want = (m: PeerId, chunks: number[]): void => {
      const frame: FileWantFrame = { t: 'file-want', groupId, hash, root: file.root, chunks };
      server.onWant(groupId, m, frame);
    };
    return { sent, want };
  }

  it('one member alone gets CHUNKS_PER_TURN chunks a turn', async () => {
    const { sent, want } = await holder();
    want(
      'p-member0' as PeerId,
      Array.from({ length: 16 }, (_, i) => i),
    );
    for (let i = 0; i < 100 && sent.length < 16; i++) await settle(1);
    expect(sent.map((s) => s.index)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(new Set(sent.map((s) => s.turn)).size).toBe(16 / CHUNKS_PER_TURN);
  });

  it('wants from seven members: at most CHUNKS_PER_TURN chunks served a turn in all, every member in turn', async () => {
    const { sent, want } = await holder();
    const members = Array.from({ length: 7 }, (_, i) => `p-member${i}` as PeerId);
    const chunks = Array.from({ length: 16 }, (_, i) => i);
    for (const m of members) want(m, chunks);
    for (let i = 0; i < 200 && sent.length < 7 * 16; i++) await settle(1);
    expect(sent).toHaveLength(7 * 16);
    expect(maxPerTurn(sent.map((s) => s.turn))).toBeLessThanOrEqual(CHUNKS_PER_TURN);
    // Round robin: every member has its first chunk before any member has its third.
    const firstThird = sent.findIndex((s, k) => sent.slice(0, k).filter((x) => x.to === s.to).length === 2);
    expect(new Set(sent.slice(0, firstThird).map((s) => s.to)).size).toBe(7);
    for (const m of members) expect(sent.filter((s) => s.to === m).map((s) => s.index)).toEqual(chunks);
  });
});
