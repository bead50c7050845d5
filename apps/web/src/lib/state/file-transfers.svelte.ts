// Files in the page (docs/design.md §6 "Files and images"): sending a staged
// file with its caption, what each file message's bytes are doing here (held,
// moving with their progress, or not fetched), fetching on "Download" or by
// themselves up to the "Download automatically" setting (and resuming one
// left partly stored by a reload), saving, cancelling. The bytes, their checks
// and the swarm are the runtime's (`peer.files`, PROTOCOL.md §10); this holds
// only what the page shows of them: one object URL per image held and shown,
// revoked when the page quits.

import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { errorCode, errorMessage } from '@chorus/peer/light';
import type { ChatMessage, FileInfo, TransferEvent } from '@chorus/peer';
import type { GroupId } from '@chorus/protocol/light';
import { fileOf, mib, safeFileName, sniffImage, tooBigText } from '../files.ts';
import type { Live } from './runtime.ts';

/** The runtime's default cap on one file, until a runtime is up to say its own. */
export const DEFAULT_FILE_CAP = mib(100);
/** "Download automatically up to" when the profile never set it. */
export const DEFAULT_AUTO_MIB = 10;
const AUTO_KEY = 'chorus:profile:auto-download-mib';
/** What the storage banner adds when a file's bytes did not fit. */
const STORAGE_FULL_HINT =
  'Free space in the browser (or delete old files) and try again; nothing stored so far is lost.';
/** A saved file's object URL lives this long (the browser has read it by then). */
const SAVE_URL_MS = 60_000;

export interface FileTransfersDeps {
  readonly live: Live;
  /** The profile's storage (localStorage): the setting is one for every group and tab. */
  readonly profile: Storage | null;
  /** A line in the group's log: where the composer says what went wrong. */
  readonly note: (groupId: GroupId, text: string) => void;
  /** The browser's storage is full (a file's bytes did not fit): the page's storage banner says so. */
  readonly storageFull?: (text: string) => void;
  /** A message of ours the runtime returned (file sent): the group shows it. */
  readonly sent: (message: ChatMessage) => void;
  /** Hands the bytes to the browser as a download named `name` (replaced in unit tests). */
  readonly save?: (name: string, bytes: Uint8Array) => void;
}

export class FileTransfers {
  readonly #deps: FileTransfersDeps;
  #auto = $state(DEFAULT_AUTO_MIB);
  /** Files stored complete here (by hash); an inline image's value is its object URL, '' otherwise. */
  readonly #held = new SvelteMap<string, string>();
  /** Transfers moving now, by hash (the runtime's last report). */
  readonly #running = new SvelteMap<string, TransferEvent>();
  /** Hashes whose fetch was asked for and has not settled. */
  readonly #fetching = new SvelteSet<string>();
  /** Hashes looked up once in the store since the page loaded. */
  readonly #checked = new Set<string>();
  /** Hashes whose fetch ends by saving the file (Download pressed before it was held). */
  readonly #saveWhenDone = new Set<string>();
  /** File messages shown before the runtime was up (cached history at load): looked at once it is. */
  readonly #early = new Map<string, ChatMessage>();

  constructor(deps: FileTransfersDeps) {
    this.#deps = deps;
    const stored = Number(deps.profile?.getItem(AUTO_KEY) ?? Number.NaN);
    if (Number.isFinite(stored) && stored >= 0) this.#auto = stored;
  }

  /** The largest file the runtime sends or accepts. */
  get cap(): number {
    return this.#deps.live.peer?.files.maxFileBytes ?? DEFAULT_FILE_CAP;
  }

  get autoMiB(): number {
    return this.#auto;
  }
  set autoMiB(value: number) {
    this.#auto = value;
    this.#deps.live.peer?.files.setAutoDownload(mib(value));
    try {
      this.#deps.profile?.setItem(AUTO_KEY, String(value));
    } catch {
      // Storage full or refused: the setting holds for this page.
    }
  }

  /** The runtime is up: it fetches by itself what the setting allows. */
  started(): void {
    this.#deps.live.peer?.files.setAutoDownload(mib(this.#auto));
    const early = [...this.#early.values()];
    this.#early.clear();
    for (const message of early) void this.shown(message);
  }

  /** The sentence to show for a file that may not be attached, or null when it may. */
  refusal(file: File): string | null {
    return file.size > this.cap ? tooBigText(file.name, file.size, this.cap) : null;
  }

  /** The object URL of an inline image held here, else null. */
  imageUrl(hash: string): string | null {
    return this.#held.get(hash) || null;
  }

  held(hash: string): boolean {
    return this.#held.has(hash);
  }

  /** A fetch of it was asked for and has not settled (before its first report too). */
  busy(hash: string): boolean {
    return this.#fetching.has(hash) || this.#running.has(hash);
  }

  /** The transfer of this file running now, if any (a fetch asked for shows from its start). */
  transfer(info: FileInfo): TransferEvent | null {
    return this.#running.get(info.sha256) ?? null;
  }

  /** Transfers of our own files being stored before their message goes out, in `groupId`. */
  sending(groupId: GroupId): readonly TransferEvent[] {
    return [...this.#running.values()].filter((t) => t.direction === 'send' && t.groupId === groupId);
  }

  /** Sends `file` with `caption`; false (and a line in the log) when it was not sent. */
  async send(groupId: GroupId, file: File, caption: string): Promise<boolean> {
    const peer = this.#deps.live.peer;
    if (!peer) return false;
    const refused = this.refusal(file);
    if (refused !== null) {
      this.#deps.note(groupId, refused);
      return false;
    }
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const message = await peer.files.send(groupId, { name: file.name, type: file.type, bytes }, caption);
      this.#deps.sent(message);
      return true;
    } catch (e) {
      this.#failed(groupId, `Not sent: ${safeFileName(file.name)}`, errorCode(e), errorMessage(e));
      return false;
    }
  }

  /**
   * A file message is on screen: show it held if it is, resume it if a reload
   * left it partly stored, fetch it if it is within "Download automatically".
   */
  async shown(message: ChatMessage): Promise<void> {
    const info = fileOf(message);
    const peer = this.#deps.live.peer;
    if (!info || this.#checked.has(info.sha256)) return;
    if (!peer) {
      this.#early.set(info.sha256, message);
      return;
    }
    this.#checked.add(info.sha256);
    const stored = await peer.files.stored(info.sha256).catch(() => null);
    if (stored?.complete) return this.#hold(info.sha256);
    if ((stored !== null && stored.bytesStored > 0) || info.size <= mib(this.#auto)) void this.fetch(message);
  }

  /** "Download": save it, fetching it first from the members who hold it when it is not held here. */
  async download(message: ChatMessage): Promise<void> {
    const info = fileOf(message);
    const peer = this.#deps.live.peer;
    if (!info || !peer) return;
    if (this.#held.has(info.sha256)) {
      const bytes = await peer.files.read(info.sha256).catch(() => null);
      if (bytes) return this.#save(info, bytes);
      this.#held.delete(info.sha256); // gone from the store: fetch it again
    }
    this.#saveWhenDone.add(info.sha256);
    await this.fetch(message);
  }

  async fetch(message: ChatMessage): Promise<void> {
    const info = fileOf(message);
    const peer = this.#deps.live.peer;
    if (!info || !peer || this.#fetching.has(info.sha256)) return;
    this.#fetching.add(info.sha256);
    try {
      const bytes = await peer.files.fetch(message);
      await this.#hold(info.sha256, bytes);
      if (this.#saveWhenDone.has(info.sha256)) this.#save(info, bytes);
    } catch (e) {
      if (errorCode(e) !== 'cancelled')
        this.#failed(message.groupId, safeFileName(info.name), errorCode(e), errorMessage(e));
    } finally {
      this.#fetching.delete(info.sha256);
      this.#saveWhenDone.delete(info.sha256);
    }
  }

  /** "Cancel transfer": the chunks stored so far are kept; Download resumes from them. */
  cancel(hash: string): void {
    this.#saveWhenDone.delete(hash);
    this.#deps.live.peer?.files.cancel(hash);
  }

  /** The runtime's report on one transfer. */
  progress(event: TransferEvent): void {
    if (event.state === 'running') this.#running.set(event.hash, event);
    else this.#running.delete(event.hash);
    // Fetched by the runtime itself (within "Download automatically"): a message on screen shows it held.
    if (event.state === 'done' && event.direction === 'receive' && this.#checked.has(event.hash))
      void this.#hold(event.hash);
    // One the runtime fetched by itself and could not finish (a fetch asked for here says so where it was asked).
    if (event.state === 'failed' && event.direction === 'receive' && !this.#fetching.has(event.hash))
      this.#failed(
        event.groupId,
        `Not downloaded: ${safeFileName(event.name)}`,
        event.error?.code ?? 'failed',
        event.error?.message ?? 'the transfer failed.',
      );
  }

  /** A file that did not go or come: a line in its group's log, and the storage banner when storage is full. */
  #failed(groupId: GroupId, what: string, code: string, message: string): void {
    this.#deps.note(groupId, `${what}: ${message}`);
    if (code === 'quota') this.#deps.storageFull?.(`Storage is full: ${what}. ${STORAGE_FULL_HINT}`);
  }

  async #hold(hash: string, bytes?: Uint8Array): Promise<void> {
    if (this.#held.has(hash)) return;
    const data = bytes ?? (await this.#deps.live.peer?.files.read(hash).catch(() => null)) ?? null;
    if (data === null) return;
    // The declared type is the sender's word: a picture is shown only when its bytes are one.
    const image = sniffImage(data);
    this.#held.set(
      hash,
      image === null ? '' : URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type: image })),
    );
  }

  #save(info: FileInfo, bytes: Uint8Array): void {
    if (this.#deps.save) return this.#deps.save(safeFileName(info.name), bytes);
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = safeFileName(info.name);
    a.rel = 'noopener';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), SAVE_URL_MS);
  }

  /** Quitting: forget the URLs (the files stay stored). */
  clear(): void {
    for (const url of this.#held.values()) if (url) URL.revokeObjectURL(url);
    this.#held.clear();
    this.#running.clear();
    this.#fetching.clear();
    this.#checked.clear();
    this.#saveWhenDone.clear();
    this.#early.clear();
  }
}
