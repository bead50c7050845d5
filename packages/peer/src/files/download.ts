// Fetching one file from the members that hold it (PROTOCOL.md §10
// "Swarming"). Every open link of the group is a possible source: each gets
// `file-want`s for up to WANT_WINDOW chunks at a time (DOWNLOAD_WINDOW in
// all), different chunks to different members, so a file arrives from all of
// them in parallel. Each
// chunk is checked against the signed root before it is stored; a bad one is
// refused, counted against its sender (rejected frames) and asked of
// another member, and a member that sent MAX_STRIKES bad chunks is not asked
// again by this download. A `file-none`, a link going down, or silence for
// the chunk timeout (`files.chunkTimeoutMs`, CHUNK_TIMEOUT_MS by default)
// puts its chunks back for the others; silence is no strike (a holder
// serving many receivers on a busy machine is slow, not hostile, and one
// late window would be a window's worth of strikes). Chunks already
// stored (an earlier, interrupted download) are never fetched again, and
// every stored chunk is served at once (a downloader is a holder).

import {
  chunkCount,
  chunkLength,
  MAX_WANT_CHUNKS,
  fromHex,
  sha256Bytes,
  toHex,
  verifyChunk,
  type FileChunkFrame,
  type FileMeta,
  type FileNoneFrame,
  type GroupFrame,
  type GroupId,
  type PeerId,
  type ProvenNodes,
} from '@chorus/protocol';
import { ChorusError } from '../chorus-error.ts';
import { readChunks, type BlobStore } from './blob-store.ts';
import { proofTexts } from './file-chunks.ts';

/**
 * Chunks asked of one member at a time, by all of this peer's downloads in the
 * group together (≈ 15.5 KiB each on the wire, ≈ 2 MiB in all): bounds what
 * one holder queues for us (its link's bulk lane holds at most
 * MAX_BULK_QUEUE_BYTES, 4 MiB) and what arrives ahead of the chunks asked
 * next. Chunks received and not yet checked count against it. 32 (≈ 500 KiB)
 * kept a Node holder writing every chunk into an empty data channel, where
 * @roamhq/wrtc's `send` hands the message to SCTP within the blocking call
 * (0.25–0.59 ms a chunk against 0.05–0.15 ms into a channel that holds
 * megabytes): the one-receiver transfer reached 0.56 of the raw channel. With
 * chunks on a data channel of their own (mesh/bulk-channel.ts) a chat frame
 * no longer waits behind what is asked ahead (PROTOCOL.md §10.3), so the
 * window is sized for the transport (bench/results/comparisons.md, 2026-12-01).
 */
export const WANT_WINDOW = 128;
/**
 * A member's window is refilled once at most this many of its chunks are
 * outstanding (by halves). A window of 40 refilled at 8 (half as many wants)
 * made Node transfers slower (3.6–4.9 s against 3.2–3.3 s for 50 MiB, A/B at
 * load 17–18): the last 8 chunks drain before the next want's first arrives.
 */
export const WANT_REFILL_AT = WANT_WINDOW / 2;
/**
 * Chunks asked of all members together, by all of this peer's downloads in
 * the group (≈ 4 MiB): what can be on its way to us at once when many
 * members serve one receiver (a window each would be 128 × members).
 */
export const DOWNLOAD_WINDOW = 2 * WANT_WINDOW;
/**
 * The windows of a receiver that checks and stores its chunks in IndexedDB (a
 * page, `BlobStore.checkAndPutChunk`): it works through them slower than a
 * holder sends (≈ 6–8 MiB/s in the bench, already past 0.7 of its raw channel
 * with these), so a deeper window only lengthens the backlog its chat frames
 * share the machine with (bench/results/comparisons.md, 2026-12-01).
 */
export const STORED_WANT_WINDOW = 32;
export const STORED_DOWNLOAD_WINDOW = 2 * STORED_WANT_WINDOW;
/** A chunk asked for and not answered within this long is asked of someone else (default of `files.chunkTimeoutMs`). */
export const CHUNK_TIMEOUT_MS = 30_000;
/** Bad chunks after which a member is not asked again by this download. */
export const MAX_STRIKES = 3;
/** A member that said it lacks chunks is asked again after this long (it may have fetched them meanwhile). */
export const LACK_RETRY_MS = 3_000;

export interface DownloadHost {
  readonly store: BlobStore;
  /** A chunk asked and not answered for this long goes back to be asked again. */
  readonly chunkTimeoutMs: number;
  openPeers(groupId: GroupId): readonly PeerId[];
  /** Downloads of this peer running in the group (this one included): they share the windows. */
  running(groupId: GroupId): number;
  /** Chunks asked and not yet received by the group's running downloads (this one too), of `peer` or of anyone. */
  asked(groupId: GroupId, peer?: PeerId): number;
  send(groupId: GroupId, to: PeerId, frame: GroupFrame): void;
  /**
   * A chunk from `from` failed its proof: counted in the group's rejected
   * frames. `bad` is how many this download refused from that member so far;
   * `skipped` is true for the one that made this download stop asking it.
   */
  refused(d: Download, from: PeerId, bad: number, skipped: boolean): void;
  now(): number;
  /** Something changed (bytes, sources, state): the hub emits progress. */
  changed(d: Download): void;
}

interface Source {
  outstanding: number;
  /** Chunks this member said it lacks, and when. */
  readonly lacks: Map<number, number>;
}

export class Download {
  readonly groupId: GroupId;
  readonly meta: FileMeta;
  readonly count: number;
  readonly #host: DownloadHost;
  readonly #root: Uint8Array;
  /** Chunks are checked and stored in IndexedDB here: the shallower windows. */
  readonly #stores: boolean;
  /** Chunks not stored and not asked for, in the order to ask (a Set keeps insertion order). */
  readonly #todo = new Set<number>();
  readonly #asked = new Map<number, { readonly peer: PeerId; readonly at: number }>();
  readonly #sources = new Map<PeerId, Source>();
  /** Bad chunks refused from each member by this download (kept when its link drops and comes back). */
  readonly #bad = new Map<PeerId, number>();
  readonly #skipped = new Set<PeerId>();
  #stored = 0;
  /** Nodes of the file's tree earlier chunks proved: a chunk's path is hashed only up to the first of them. */
  readonly #proven: ProvenNodes = new Map();
  /** The chunk being checked now: the next waits for it. */
  #checking: Promise<unknown> = Promise.resolve();
  bytesDone = 0;
  lastProgressAt: number;
  state: 'running' | 'done' | 'failed' | 'cancelled' = 'running';
  error: ChorusError | null = null;
  readonly done: Promise<Uint8Array>;
  #resolve!: (bytes: Uint8Array) => void;
  #reject!: (e: ChorusError) => void;

  constructor(host: DownloadHost, groupId: GroupId, meta: FileMeta) {
    this.#host = host;
    this.groupId = groupId;
    this.meta = meta;
    this.count = chunkCount(meta.size, meta.chunkSize);
    this.#root = fromHex(meta.root);
    this.#stores = typeof host.store.checkAndPutChunk === 'function';
    this.lastProgressAt = host.now();
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A caller that never awaits must not see an unhandled rejection.
    this.done.catch(() => {});
  }

  /** Members serving chunks to us now. */
  get sources(): number {
    return [...this.#sources.values()].filter((s) => s.outstanding > 0).length;
  }

  /** Reads what is stored already, then asks the members for the rest. */
  async start(): Promise<void> {
    const { store } = this.#host;
    const have = new Set(await store.chunkIndexes(this.meta.sha256));
    for (let i = 0; i < this.count; i++) {
      if (have.has(i)) {
        this.#stored += 1;
        this.bytesDone += chunkLength(this.meta.size, i, this.meta.chunkSize);
      } else this.#todo.add(i);
    }
    this.#host.changed(this);
    if (this.#stored === this.count) await this.#finish();
    else this.pump();
  }

  /**
   * Ask every open member (not skipped) for chunks, up to WANT_WINDOW outstanding each, DOWNLOAD_WINDOW in all,
   * shared evenly by the group's running downloads (what a holder queues for us stays within a window whatever
   * number of files we fetch from it at once).
   */
  pump(): void {
    if (this.state !== 'running') return;
    const now = this.#host.now();
    const { member, all, memberMax, allMax } = windowShares(this.#host.running(this.groupId), this.#stores);
    const refillAt = Math.max(1, Math.floor(member / 2));
    for (const peer of this.#host.openPeers(this.groupId)) {
      if (this.#skipped.has(peer)) continue;
      let s = this.#sources.get(peer);
      if (!s) this.#sources.set(peer, (s = { outstanding: 0, lacks: new Map() }));
      // Refill a member's window by halves: fewer, fuller wants than one per chunk received.
      if (s.outstanding > refillAt) continue;
      // The download's window refills by halves too: with several holders it binds before theirs, and asking as
      // soon as one place was free sent a want of one chunk per chunk stored (a blocking send here and a want
      // served there for each, ≈ 1 ms each at 3 receivers: bench/results/comparisons.md).
      const room = Math.min(all - this.#asked.size, allMax - this.#host.asked(this.groupId));
      if (room < Math.min(refillAt, this.#todo.size) || room <= 0) break;
      // A download that started alone may hold more than its share of a member for a while: the others wait.
      const memberRoom = Math.min(member - s.outstanding, memberMax - this.#host.asked(this.groupId, peer));
      const want: number[] = [];
      for (const i of this.#todo) {
        if (want.length >= memberRoom || want.length >= room) break;
        const lacked = s.lacks.get(i);
        if (lacked !== undefined && now - lacked < LACK_RETRY_MS) continue;
        want.push(i);
      }
      if (want.length === 0) continue;
      for (const i of want) {
        this.#todo.delete(i);
        this.#asked.set(i, { peer, at: now });
      }
      s.outstanding += want.length;
      const { sha256: hash, root } = this.meta;
      for (let i = 0; i < want.length; i += MAX_WANT_CHUNKS) {
        const chunks = want.slice(i, i + MAX_WANT_CHUNKS);
        this.#host.send(this.groupId, peer, { t: 'file-want', groupId: this.groupId, hash, root, chunks });
      }
    }
  }

  /** Whether chunk `index` is asked of `from` now (anything else it sends is ignored). */
  expects(from: PeerId, index: number): boolean {
    return this.state === 'running' && this.#asked.get(index)?.peer === from;
  }

  async onChunk(from: PeerId, frame: FileChunkFrame): Promise<void> {
    const asked = this.#asked.get(frame.index);
    // Not asked of this member (a late answer after a timeout, or unasked): ignored, nothing buffered.
    if (this.state !== 'running' || asked?.peer !== from) return;
    const bytes = frame.data;
    const length = bytes.length;
    if (length !== chunkLength(this.meta.size, frame.index, this.meta.chunkSize)) {
      this.#refuse(frame.index, from);
      return;
    }
    const { sha256: hash, root } = this.meta;
    const { index } = frame;
    // In a page the store checks and stores off the main thread (chunk-worker-client.ts); it may take the bytes.
    const offThread = this.#host.store.checkAndPutChunk?.({
      hash,
      root,
      index,
      count: this.count,
      data: bytes,
      proof: frame.proof,
    });
    let good: boolean | null;
    if (offThread) {
      try {
        good = await offThread;
      } catch (e) {
        if (this.#asked.get(index)?.peer === from) this.fail(storeError(e));
        return;
      }
    } else {
      // One chunk is checked at a time: its leaf hash runs on WebCrypto's worker threads, which also check the
      // signatures of chat messages, and a window's worth of hashes queued there would delay every chat frame.
      const check = this.#checking.then(() =>
        verifyChunk(this.#root, index, this.count, bytes, frame.proof, this.#proven),
      );
      this.#checking = check.catch(() => false);
      good = await check;
    }
    if (this.#asked.get(index)?.peer !== from || this.state !== 'running') return;
    if (good === null) {
      // Lost on the way to the worker (it failed): asked again, no strike.
      this.#release(index, from);
      this.#todo.add(index);
      this.pump();
      return;
    }
    if (!good) {
      this.#refuse(index, from);
      return;
    }
    if (!offThread) {
      try {
        await this.#host.store.putChunk(hash, index, { bytes, proof: proofTexts(frame.proof) });
      } catch (e) {
        this.fail(storeError(e));
        return;
      }
      if (this.#asked.get(index)?.peer !== from || this.state !== 'running') return;
    }
    this.#release(index, from);
    this.#stored += 1;
    this.bytesDone += length;
    this.lastProgressAt = this.#host.now();
    this.#host.changed(this);
    if (this.#stored === this.count) await this.#finish();
    else this.pump();
  }

  /** A bad chunk: counted against its sender, asked of someone else. */
  #refuse(index: number, from: PeerId): void {
    this.#release(index, from);
    this.#strike(from);
    this.#todo.add(index);
    this.pump();
  }

  onNone(from: PeerId, frame: FileNoneFrame): void {
    const now = this.#host.now();
    const s = this.#sources.get(from);
    for (const i of frame.chunks) {
      if (this.#asked.get(i)?.peer !== from) continue;
      this.#release(i, from);
      s?.lacks.set(i, now);
      this.#todo.add(i);
    }
    this.pump();
  }

  /** A link went down: its chunks go back to the others. */
  onLinkDown(peer: PeerId): void {
    for (const [i, a] of this.#asked) {
      if (a.peer !== peer) continue;
      this.#release(i, peer);
      this.#todo.add(i);
    }
    this.#sources.delete(peer);
    this.pump();
  }

  /**
   * Called every tick: chunks asked too long ago go back to be asked again,
   * of the other members first (the silent one is treated as having said it
   * lacks them, so it is asked for them again only after LACK_RETRY_MS, and
   * not before a member that answers; it is asked for other chunks meanwhile).
   */
  tick(): void {
    if (this.state !== 'running') return;
    const now = this.#host.now();
    for (const [i, a] of this.#asked) {
      if (now - a.at < this.#host.chunkTimeoutMs) continue;
      this.#release(i, a.peer);
      this.#sources.get(a.peer)?.lacks.set(i, now);
      this.#todo.add(i);
    }
    this.pump();
  }

  /** Chunks asked of `peer` (all members: undefined) by this download and not yet received. */
  askedOf(peer?: PeerId): number {
    if (peer === undefined) return this.#asked.size;
    return this.#sources.get(peer)?.outstanding ?? 0;
  }

  get idle(): boolean {
    return this.#asked.size === 0;
  }

  cancel(): void {
    if (this.state !== 'running') return;
    this.state = 'cancelled';
    this.error = new ChorusError('cancelled', `The transfer of "${this.meta.name}" was cancelled.`);
    this.#reject(this.error);
    this.#host.changed(this);
  }

  fail(error: ChorusError): void {
    if (this.state !== 'running') return;
    this.state = 'failed';
    this.error = error;
    this.#reject(error);
    this.#host.changed(this);
  }

  #release(index: number, peer: PeerId): void {
    this.#asked.delete(index);
    const s = this.#sources.get(peer);
    if (s) s.outstanding = Math.max(0, s.outstanding - 1);
  }

  #strike(peer: PeerId): void {
    const bad = (this.#bad.get(peer) ?? 0) + 1;
    this.#bad.set(peer, bad);
    const skipped = bad >= MAX_STRIKES && !this.#skipped.has(peer);
    if (skipped) this.#skipped.add(peer);
    this.#host.refused(this, peer, bad, skipped);
  }

  /** Every chunk is stored: the whole file must match its SHA-256, then it is complete here. */
  async #finish(): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = await readWhole(this.#host.store, this.meta.sha256, this.meta.size, this.meta.chunkSize);
    } catch (e) {
      this.fail(storeError(e));
      return;
    }
    if (toHex(await sha256Bytes(bytes)) !== this.meta.sha256) {
      this.fail(
        new ChorusError(
          'bad-file',
          `"${this.meta.name}" matches its chunk root but not its SHA-256: the sender described it inconsistently.`,
        ),
      );
      return;
    }
    const { sha256: hash, root, size, chunkSize } = this.meta;
    try {
      await this.#host.store.putBlob({ hash, root, size, chunkSize, complete: true });
    } catch (e) {
      this.fail(storeError(e));
      return;
    }
    if (this.state !== 'running') return;
    this.state = 'done';
    this.#resolve(bytes);
    this.#host.changed(this);
  }
}

/**
 * One download's part of the windows when `running` downloads of the group
 * run at once: an even share, at least one chunk, so together they ask at most
 * WANT_WINDOW of a member and DOWNLOAD_WINDOW in all (up to `running` chunks
 * more when there are more downloads than chunks in a window); `stored`: the
 * receiver stores in IndexedDB (STORED_WANT_WINDOW).
 */
export function windowShares(running: number, stored = false) {
  const n = Math.max(1, running);
  const memberMax = stored ? STORED_WANT_WINDOW : WANT_WINDOW;
  const allMax = stored ? STORED_DOWNLOAD_WINDOW : DOWNLOAD_WINDOW;
  return {
    member: Math.max(1, Math.floor(memberMax / n)),
    all: Math.max(1, Math.floor(allMax / n)),
    memberMax,
    allMax,
  };
}

/** Chunks read at a time when a whole file is read back. */
const READ_STRETCH = 256;

/** The stored chunks of a blob, joined; throws when one is missing. */
export async function readWhole(store: BlobStore, hash: string, size: number, chunkSize: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  const n = chunkCount(size, chunkSize);
  for (let from = 0; from < n; from += READ_STRETCH) {
    const indexes = Array.from({ length: Math.min(READ_STRETCH, n - from) }, (_, k) => from + k);
    const chunks = await readChunks(store, hash, indexes);
    for (const [k, c] of chunks.entries()) {
      const i = from + k;
      if (c === null || c.bytes.length !== chunkLength(size, i, chunkSize))
        throw new ChorusError('store-failed', `Chunk ${i} of ${hash.slice(0, 12)}… is not stored whole.`);
      out.set(c.bytes, i * chunkSize);
    }
  }
  return out;
}

export function storeError(e: unknown): ChorusError {
  if (e instanceof ChorusError) return e;
  const quota = e instanceof DOMException && (e.name === 'QuotaExceededError' || e.code === 22);
  const why = e instanceof Error ? e.message : String(e);
  return quota
    ? new ChorusError('quota', 'Storage is full: the file could not be stored. Chunks already stored are kept.')
    : new ChorusError('store-failed', `Storing the file failed: ${why}. Chunks already stored are kept.`);
}
