// The page's side of the chunk worker (files/chunk-worker-client.ts), with a
// stand-in worker: a received chunk's message buffer is handed over, not
// copied, and a sender's own bytes are never taken; each answer settles its
// chunk (stored, refused, a quota error a UI can name); a worker that cannot
// open the database is given up without losing a chunk to a strike: what it
// held is answered null (asked again) and later chunks stay in thread.
import { describe, expect, it } from 'vitest';
import { ChunkWorker } from '../src/files/chunk-worker-client.ts';
import { storeError } from '../src/files/download.ts';

interface Sent {
  readonly k: string;
  readonly id?: number;
  readonly data?: Uint8Array;
}

/** A Worker stand-in: records what it is sent (transferring as postMessage does) and answers when told. */
class FakeWorker {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: (() => void) | null = null;
  readonly sent: Sent[] = [];
  terminated = false;
  postMessage(message: unknown, transfer: Transferable[] = []): void {
    this.sent.push(structuredClone(message, { transfer }) as Sent);
  }
  terminate(): void {
    this.terminated = true;
  }
  answer(data: unknown): void {
    this.onmessage?.({ data } as MessageEvent);
  }
}

const setUp = (): { fake: FakeWorker; worker: ChunkWorker } => {
  const fake = new FakeWorker();
  return { fake, worker: new ChunkWorker('chorus-test', () => fake as unknown as Worker) };
};

/** A chunk message as the bulk channel hands it over: a header, the path, the data, all in one buffer. */
const received = (): { data: Uint8Array; proof: Uint8Array[] } => {
  const buffer = new ArrayBuffer(8 + 64 + 100);
  return {
    proof: [new Uint8Array(buffer, 8, 32), new Uint8Array(buffer, 40, 32)],
    data: new Uint8Array(buffer, 72, 100).fill(7),
  };
};

const check = (chunk: { data: Uint8Array; proof: Uint8Array[] }, index = 0) => ({
  hash: 'ab'.repeat(32),
  root: 'cd'.repeat(32),
  index,
  count: 4,
  ...chunk,
});

describe('ChunkWorker', () => {
  it('checks in thread until the worker has opened the database, then hands chunks over and settles each answer', async () => {
    const { fake, worker } = setUp();
    const early = received();
    expect(worker.check(check(early))).toBeNull();
    expect(early.data.length).toBe(100); // not taken: the caller checks it
    expect(fake.sent).toEqual([{ k: 'open', name: 'chorus-test' }]);
    fake.answer({ k: 'ready' });

    const good = received();
    const bad = received();
    const lost = received();
    const pGood = worker.check(check(good, 1));
    const pBad = worker.check(check(bad, 2));
    const pQuota = worker.check(check(lost, 3));
    // The message's own buffer went to the worker (transferred: detached here), with the chunk's bytes intact there.
    expect(good.data.length).toBe(0);
    const [, first, second, third] = fake.sent;
    expect(first?.data).toEqual(new Uint8Array(100).fill(7));
    fake.answer({ k: 'done', good: [first?.id], bad: [second?.id] });
    fake.answer({ k: 'failed', ids: [third?.id], name: 'QuotaExceededError', message: 'full' });
    await expect(pGood).resolves.toBe(true);
    await expect(pBad).resolves.toBe(false);
    const e = await pQuota!.catch((x: unknown) => x);
    expect(storeError(e).code).toBe('quota');
  });

  it("copies a sender's chunk that is a view into a larger file, leaving the file whole", async () => {
    const { fake, worker } = setUp();
    worker.check(check(received()));
    fake.answer({ k: 'ready' });
    const file = new Uint8Array(10_000).fill(3);
    const stored = worker.put('ab'.repeat(32), 0, { bytes: file.subarray(0, 100), proof: ['x'] });
    expect(file.length).toBe(10_000);
    expect(file[0]).toBe(3);
    const put = fake.sent.at(-1) as unknown as { id: number; record: { bytes: Uint8Array } };
    expect(put.record.bytes).toEqual(new Uint8Array(100).fill(3));
    fake.answer({ k: 'done', good: [put.id], bad: [] });
    await expect(stored).resolves.toBe(true);
  });

  it('gives up a worker that cannot open the database: what it held is asked again, later chunks stay in thread', async () => {
    const { fake, worker } = setUp();
    worker.check(check(received()));
    fake.answer({ k: 'ready' });
    const held = worker.check(check(received(), 1));
    fake.answer({ k: 'open-failed', message: 'no IndexedDB here' });
    await expect(held).resolves.toBeNull();
    expect(fake.terminated).toBe(true);
    const later = received();
    expect(worker.check(check(later, 2))).toBeNull();
    expect(later.data.length).toBe(100);
  });
});
