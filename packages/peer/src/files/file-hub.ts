// `peer.files` (api.ts FileApi): files over the mesh (PROTOCOL.md §10). One
// per peer, across its groups, because blobs are de-duplicated by hash: it
// stores our own files (send), runs one Download per file being fetched,
// serves every chunk this peer holds (ChunkServer), fetches small files by
// itself (auto-download) and reports progress as `transfer` events. The
// group sessions only carry the file messages (signed DATA like any text).

import {
  chunkCount,
  chunkLength,
  encodeFileBody,
  parseBody,
  type FileChunkFrame,
  type GroupFrame,
  type GroupId,
  type PeerId,
} from '@chorus/protocol';
import type { ChatMessage, FileApi, FileInput, TransferEvent } from '../api.ts';
import { ChorusError, errorMessage } from '../chorus-error.ts';
import type { Transport } from '../transport.ts';
import type { BlobStore } from './blob-store.ts';
import { ChunkServer } from './chunk-server.ts';
import { chunkFile, fileSha256 } from './file-chunks.ts';
import { CHUNK_TIMEOUT_MS, Download, readWhole, storeError } from './download.ts';
import { TransferBook } from './transfer-book.ts';
import { onNextTurn } from '../next-turn.ts';

/**
 * Received chunks handed to their downloads per event-loop turn: in Node a
 * chunk's check and store run in the turn (native hash, memory store), and a
 * window's worth handled in one go held back every chat frame behind it.
 */
export const CHUNKS_HANDLED_PER_TURN = 4;

/** Default cap on a file's declared size. */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Default auto-download limit: images and small files arrive without a click. */
export const DEFAULT_AUTO_DOWNLOAD_BYTES = 10 * 1024 * 1024;
/** A fetch that stored no chunk for this long fails `unavailable` (nobody online serves it). */
export const FILE_UNAVAILABLE_MS = 60_000;
/** A sender stores its file's chunks this many at a time. */
const STORE_STRETCH = 256;
/** Downloads look for timed-out chunks and idle members this often. */
export const FILE_TICK_MS = 500;

/** `createPeer({ files })`: every field optional, the defaults above and in download.ts. */
export interface FileOptions {
  /** Declared sizes above this are refused before any byte is stored (DEFAULT_MAX_FILE_BYTES). */
  readonly maxFileBytes?: number;
  /** Delivered files up to this size are fetched without asking; 0 never (DEFAULT_AUTO_DOWNLOAD_BYTES). */
  readonly autoDownloadBytes?: number;
  /** A fetch that stored no chunk for this long fails `unavailable` (FILE_UNAVAILABLE_MS). */
  readonly unavailableMs?: number;
  /** A chunk asked of a member and not answered for this long is asked of another (CHUNK_TIMEOUT_MS). */
  readonly chunkTimeoutMs?: number;
}

export interface FileHubHost {
  readonly store: BlobStore;
  readonly self: PeerId;
  readonly now: () => number;
  /** Sends a body as a message of the group (the group session's send), refusing when not a member. */
  sendBody(groupId: GroupId, body: string): Promise<ChatMessage>;
  /** Counts a refused frame in the group's rejected frames (raising nothing: the hub says what it refused). */
  countRejected(groupId: GroupId): void;
  /** Raises an `error` event of the group; events with one `topic` are one line, updated in place (a running count). */
  problem(groupId: GroupId, code: string, message: string, topic?: string): void;
  /** How a member is named to a person: `Alice (3f9a·c2)`, its display name and key fingerprint. */
  memberLabel(groupId: GroupId, peer: PeerId): string;
  emit(event: TransferEvent): void;
}

/** `m` with its file description when its body is a file (PROTOCOL.md §10). */
export function withFile(m: ChatMessage): ChatMessage {
  if (m.file !== undefined || m.body.charCodeAt(0) !== 0) return m;
  const parsed = parseBody(m.body, m.groupId);
  return parsed.kind === 'file' ? { ...m, file: parsed.file } : m;
}

export class FileHub implements FileApi {
  readonly #host: FileHubHost;
  readonly #downloads = new Map<string, Download>();
  readonly #server: ChunkServer;
  readonly #book: TransferBook;
  readonly #unavailableMs: number;
  readonly #chunkTimeoutMs: number;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #topics = new WeakMap<Download, string>();
  #downloadSeq = 0;
  #transport: Transport | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  autoDownloadBytes: number;
  readonly maxFileBytes: number;

  constructor(host: FileHubHost, opts: FileOptions = {}) {
    this.#host = host;
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.autoDownloadBytes = opts.autoDownloadBytes ?? DEFAULT_AUTO_DOWNLOAD_BYTES;
    this.#unavailableMs = positive('unavailableMs', opts.unavailableMs ?? FILE_UNAVAILABLE_MS);
    this.#chunkTimeoutMs = positive('chunkTimeoutMs', opts.chunkTimeoutMs ?? CHUNK_TIMEOUT_MS);
    this.#book = new TransferBook(host.now, (e) => host.emit(e));
    this.#server = new ChunkServer({ store: host.store, send: (g, to, f) => this.#send(g, to, f) });
  }

  /** Chunks this peer served since it started. */
  get chunksServed(): number {
    return this.#server.served;
  }

  /** Starts serving and fetching over this transport (the peer's, once it exists). */
  attach(transport: Transport): void {
    if (this.#transport === transport) return;
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#transport = transport;
    this.#unsubscribe.push(
      transport.on('frame', (g, from, frame) => this.#onFrame(g, from, frame)),
      transport.on('link', (g, peer, state) => {
        for (const d of this.#downloads.values()) {
          if (d.groupId !== g) continue;
          if (state === 'up') d.pump();
          else d.onLinkDown(peer);
        }
      }),
    );
  }

  setAutoDownload(maxBytes: number): void {
    this.autoDownloadBytes = Number.isFinite(maxBytes) && maxBytes > 0 ? Math.floor(maxBytes) : 0;
  }

  /** A delivered message: fetch its file when auto-download covers it. */
  noteMessage(m: ChatMessage): void {
    const f = m.file;
    if (f === undefined || m.state !== 'delivered' || m.sender === this.#host.self) return;
    if (f.size > this.autoDownloadBytes || f.size > this.maxFileBytes) return;
    this.fetch(m).catch(() => {});
  }

  async send(groupId: GroupId, file: FileInput, caption = ''): Promise<ChatMessage> {
    const size = file.bytes.length;
    if (size > this.maxFileBytes)
      throw new ChorusError('too-large', `"${file.name}" is ${overLimit(size, this.maxFileBytes)}.`);
    const start = { groupId, name: file.name, direction: 'send' as const, bytesTotal: size, sources: 0 };
    // The whole file's hash first (one native call): every report of this send, the first included, names the
    // file by it, so the one that ends the send ends the same entry (a report under a hash not yet known stayed
    // "running" in every view).
    const hash = await fileSha256(file.bytes);
    const progress = (n: number) => this.#book.update({ ...start, hash, bytesDone: n / 2 });
    let chunked = await chunkFile(file.bytes, progress, undefined, hash);
    const { store } = this.#host;
    // The same bytes stored under another chunk size (a file first sent or fetched with it): keep that blob's
    // chunking, so the new message's root is the one its holders serve.
    const stored = await store.getBlob(hash).catch(() => null);
    if (stored !== null && stored.chunkSize !== chunked.chunkSize)
      chunked = await chunkFile(file.bytes, progress, stored.chunkSize, hash);
    const body = encodeFileBody({
      name: file.name,
      type: file.type,
      size,
      sha256: chunked.sha256,
      root: chunked.root,
      chunkSize: chunked.chunkSize,
      caption,
    });
    const { chunkSize } = chunked;
    const record = { hash, root: chunked.root, size, chunkSize };
    try {
      const old = await store.getBlob(hash);
      if (old?.complete !== true) {
        await store.putBlob({ ...record, complete: false });
        // A stretch of chunks at a time, so a store that batches its writes (idb-blobs.ts) can.
        for (let i = 0; i < chunked.chunks.length; i += STORE_STRETCH) {
          const stretch = chunked.chunks.slice(i, i + STORE_STRETCH);
          await Promise.all(stretch.map((c, k) => store.putChunk(hash, i + k, c)));
          this.#book.update({
            ...start,
            hash,
            bytesDone: Math.min(size, size / 2 + ((i + stretch.length) * chunkSize) / 2),
          });
        }
        await store.putBlob({ ...record, complete: true });
      }
    } catch (e) {
      const error = storeError(e);
      this.#book.end({ ...start, hash, bytesDone: 0 }, 'failed', error);
      throw error;
    }
    const message = withFile(await this.#host.sendBody(groupId, body));
    this.#book.end({ ...start, hash, bytesDone: size }, 'done');
    return message;
  }

  fetch(message: ChatMessage): Promise<Uint8Array> {
    const f = withFile(message).file;
    if (f === undefined) return Promise.reject(new ChorusError('not-file', 'That message is not a file.'));
    if (f.size > this.maxFileBytes)
      return Promise.reject(
        new ChorusError('too-large', `"${f.name}" declares ${overLimit(f.size, this.maxFileBytes)}.`),
      );
    const running = this.#downloads.get(f.sha256);
    if (running?.state === 'running') return running.done;
    return this.#startDownload(message.groupId, f);
  }

  async #startDownload(groupId: GroupId, f: NonNullable<ChatMessage['file']>): Promise<Uint8Array> {
    const { store } = this.#host;
    const old = await store.getBlob(f.sha256);
    if (old?.complete === true) {
      const bytes = await readWhole(store, f.sha256, old.size, old.chunkSize);
      this.#book.end(this.#event(groupId, f, f.size), 'done');
      return bytes;
    }
    const running = this.#downloads.get(f.sha256);
    if (running?.state === 'running') return running.done;
    const d = new Download(this.#downloadHost(), groupId, f);
    this.#downloads.set(f.sha256, d);
    try {
      if (old !== null && old.root !== f.root)
        throw new ChorusError('bad-file', `Another message names "${f.name}"'s hash with a different chunk root.`);
      await store.putBlob({ hash: f.sha256, root: f.root, size: f.size, chunkSize: f.chunkSize, complete: false });
    } catch (e) {
      d.fail(storeError(e));
      return d.done;
    }
    this.#timer ??= setInterval(() => this.#tick(), FILE_TICK_MS);
    await d.start();
    return d.done;
  }

  cancel(hash: string): void {
    this.#downloads.get(hash)?.cancel();
  }

  async read(hash: string): Promise<Uint8Array | null> {
    const rec = await this.#host.store.getBlob(hash);
    return rec?.complete === true ? readWhole(this.#host.store, hash, rec.size, rec.chunkSize) : null;
  }

  async stored(hash: string): Promise<{ bytesStored: number; bytesTotal: number; complete: boolean } | null> {
    const { store } = this.#host;
    const rec = await store.getBlob(hash);
    if (rec === null) return null;
    if (rec.complete) return { bytesStored: rec.size, bytesTotal: rec.size, complete: true };
    const n = chunkCount(rec.size, rec.chunkSize);
    const have = (await store.chunkIndexes(hash)).filter((i) => i < n);
    const bytesStored = have.reduce((sum, i) => sum + chunkLength(rec.size, i, rec.chunkSize), 0);
    return { bytesStored, bytesTotal: rec.size, complete: false };
  }

  transfers(): readonly TransferEvent[] {
    return this.#book.list();
  }

  close(): void {
    for (const d of this.#downloads.values()) d.cancel();
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #onFrame(groupId: GroupId, from: PeerId, frame: GroupFrame): void {
    if (frame.t === 'file-want') this.#server.onWant(groupId, from, frame);
    else if (frame.t === 'file-chunk' || frame.t === 'file-none') {
      const d = this.#downloads.get(frame.hash);
      if (d === undefined || d.groupId !== groupId) return;
      if (frame.t === 'file-none') d.onNone(from, frame);
      else if (!d.expects(from, frame.index)) return;
      else if (this.#inbox.length === 0 && this.#handledThisTurn < CHUNKS_HANDLED_PER_TURN)
        this.#handle(d, from, frame);
      else {
        // A few a turn: a chat frame that arrived with a window of chunks is handled before most of them.
        this.#inbox.push({ d, from, frame });
        if (this.#inbox.length === 1) onNextTurn(() => this.#drain());
      }
    }
  }

  /** Received chunks (each asked of its sender: at most a window per member) not yet handed to their download. */
  readonly #inbox: { d: Download; from: PeerId; frame: FileChunkFrame }[] = [];
  /** Chunks handed to their download in this event-loop turn. */
  #handledThisTurn = 0;

  #drain(): void {
    for (const { d, from, frame } of this.#inbox.splice(0, CHUNKS_HANDLED_PER_TURN)) this.#handle(d, from, frame);
    if (this.#inbox.length > 0) onNextTurn(() => this.#drain());
  }

  #handle(d: Download, from: PeerId, frame: FileChunkFrame): void {
    if (this.#handledThisTurn++ === 0) onNextTurn(() => (this.#handledThisTurn = 0));
    d.onChunk(from, frame).catch((e: unknown) =>
      d.fail(new ChorusError('internal', `Handling a chunk failed: ${errorMessage(e)}`)),
    );
  }

  #send(groupId: GroupId, to: PeerId, frame: GroupFrame): void {
    this.#transport?.send(groupId, to, frame);
  }

  #downloadHost() {
    return {
      store: this.#host.store,
      now: this.#host.now,
      chunkTimeoutMs: this.#chunkTimeoutMs,
      openPeers: (g: GroupId) => this.#transport?.openPeers(g) ?? [],
      running: (g: GroupId) => this.#running(g).length,
      asked: (g: GroupId, peer?: PeerId) => this.#running(g).reduce((n, d) => n + d.askedOf(peer), 0),
      send: (g: GroupId, to: PeerId, f: GroupFrame) => this.#send(g, to, f),
      refused: (d: Download, from: PeerId, bad: number, skipped: boolean) => this.#refused(d, from, bad, skipped),
      changed: (d: Download) => this.#changed(d),
    };
  }

  /** The downloads running in a group: they share the windows of wants (download.ts windowShares). */
  #running(groupId: GroupId): Download[] {
    return [...this.#downloads.values()].filter((d) => d.groupId === groupId && d.state === 'running');
  }

  /**
   * A bad chunk: counted in rejected frames, and said in one line per member
   * and download that counts them (the line's topic), plus one when that
   * member is no longer asked; a window of bad chunks is not a window of lines.
   */
  #refused(d: Download, from: PeerId, bad: number, skipped: boolean): void {
    const { groupId, meta } = d;
    this.#host.countRejected(groupId);
    const who = this.#host.memberLabel(groupId, from);
    const chunks = bad === 1 ? '1 chunk' : `${bad} chunks`;
    this.#host.problem(
      groupId,
      'bad-proof',
      `Refused ${chunks} of "${meta.name}" from ${who}: not matching the file's signed root; asking other members.`,
      `bad-chunks:${this.#topicOf(d)}:${from}`,
    );
    if (skipped)
      this.#host.problem(
        groupId,
        'bad-proof',
        `${who} is not asked for "${meta.name}" again: ${chunks} from them did not match the file's signed root.`,
      );
  }

  /** A name for one download, unique in this hub (a later download of the same file gets new lines). */
  #topicOf(d: Download): string {
    let topic = this.#topics.get(d);
    if (topic === undefined) this.#topics.set(d, (topic = `${d.meta.sha256}:${++this.#downloadSeq}`));
    return topic;
  }

  #event(groupId: GroupId, f: NonNullable<ChatMessage['file']>, bytesDone: number, sources = 0) {
    return {
      groupId,
      hash: f.sha256,
      name: f.name,
      direction: 'receive' as const,
      bytesTotal: f.size,
      bytesDone,
      sources,
    };
  }

  #changed(d: Download): void {
    const e = this.#event(d.groupId, d.meta, d.bytesDone, d.sources);
    if (d.state === 'running') this.#book.update(e);
    else {
      this.#book.end(e, d.state, d.error ?? undefined);
      if (this.#downloads.get(d.meta.sha256) === d) this.#downloads.delete(d.meta.sha256);
    }
  }

  #tick(): void {
    const now = this.#host.now();
    for (const d of this.#downloads.values()) {
      d.tick();
      if (d.state === 'running' && now - d.lastProgressAt > this.#unavailableMs)
        d.fail(
          new ChorusError(
            'unavailable',
            `No member online served a chunk of "${d.meta.name}" for ${this.#unavailableMs / 1000} s.`,
          ),
        );
    }
    this.#book.flush();
    if (this.#downloads.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}

function positive(name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`files.${name} must be a positive number of milliseconds.`);
  return ms;
}

const mib = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MiB`;

/** `104 857 601`: digits in groups of three. */
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/gu, ' ');

/**
 * `120.0 MiB; files are limited to 100.0 MiB`: a size over the cap beside
 * the cap, in exact bytes when the two would round to the same MiB (a file
 * of the cap and one byte is not "100.0 MiB, the limit is 100.0 MiB").
 */
export function overLimit(size: number, limit: number): string {
  if (mib(size) !== mib(limit)) return `${mib(size)}; files are limited to ${mib(limit)}`;
  return `${grouped(size)} bytes; files are limited to ${grouped(limit)} bytes (${mib(limit)})`;
}
