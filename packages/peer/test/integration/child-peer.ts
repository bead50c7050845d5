// The parent's handle on one peer-child process: a ChorusPeer whose every
// call crosses IPC, so the shared scenarios run unchanged over real processes,
// real WebRTC and a real tracker. Synchronous getters answer from the state
// the child pushes (at most ~50 ms old); scenarios poll them with waitFor.

import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GroupId, GroupSummary, MessageOp, Ordering, PeerId } from '@chorus/protocol';
import type {
  ChatMessage,
  ChorusPeer,
  CommandResult,
  FileApi,
  GroupMetrics,
  JoinedGroup,
  PeerEventMap,
} from '../../src/api.ts';
import type { FileOptions } from '../../src/files/file-hub.ts';
import type { ChildPush, ChildRequest, ChildResponse } from './ipc-protocol.ts';

const CHILD_PATH = fileURLToPath(new URL('./peer-child.ts', import.meta.url));
/**
 * A child that has not loaded its modules by then is broken: tsx + wrtc load in ~1-2 s on a busy box, and took
 * over 30 s once in a clean-clone run on a 2-core VM at load 17 (every suite about twice as slow as elsewhere).
 */
export const CHILD_LOAD_TIMEOUT_MS = 90_000;
/** Any one command; joins wait for links and history, bursts for every send to be accepted. */
export const CHILD_REQUEST_TIMEOUT_MS = 40_000;

export class ChildError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChildError';
  }
}

type Listener = (value: unknown) => void;

export class ChildPeer implements ChorusPeer {
  readonly child: ChildProcess;
  readonly loaded: Promise<void>;
  readonly exited: Promise<number | null>;
  #peerId: PeerId | null = null;
  #name = '';
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }
  >();
  readonly #listeners = new Map<string, Set<Listener>>();
  #groups: readonly JoinedGroup[] = [];
  #directory: readonly GroupSummary[] = [];
  #metrics: Readonly<Record<string, GroupMetrics | null>> = {};
  #dead = false;

  /** Starts the process; `loaded` resolves once its modules are in (a warm spare waits there). */
  constructor() {
    this.child = fork(CHILD_PATH, [], {
      execArgv: ['--import', 'tsx'],
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    let onLoaded: () => void = () => {};
    this.loaded = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('peer child did not load in time')), CHILD_LOAD_TIMEOUT_MS);
      onLoaded = () => {
        clearTimeout(timer);
        resolve();
      };
      this.child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error('peer child exited while loading'));
      });
    });
    this.loaded.catch(() => {});
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.#dead = true;
        for (const p of this.#pending.values()) {
          clearTimeout(p.timer);
          p.reject(new ChildError('crashed', `peer ${this.#name || '(unnamed)'} exited before answering`));
        }
        this.#pending.clear();
        resolve(code);
      });
    });
    this.child.on('message', (raw: unknown) => {
      const msg = raw as ChildResponse | ChildPush;
      if ('push' in msg) {
        if (msg.push === 'loaded') onLoaded();
        else if (msg.push === 'state') {
          this.#groups = msg.groups;
          this.#directory = msg.directory;
          this.#metrics = msg.metrics;
        } else {
          for (const l of this.#listeners.get(msg.event) ?? []) l(msg.value);
        }
        return;
      }
      const pending = this.#pending.get(msg.id);
      if (!pending) return;
      this.#pending.delete(msg.id);
      clearTimeout(pending.timer);
      if (msg.ok) pending.resolve(msg.value);
      else pending.reject(new ChildError(msg.error.code, msg.error.message));
    });
  }

  get peerId(): PeerId {
    if (!this.#peerId) throw new Error('peer child is not connected yet');
    return this.#peerId;
  }
  get name(): string {
    return this.#name;
  }
  get dead(): boolean {
    return this.#dead;
  }

  request<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#dead) return Promise.reject(new ChildError('crashed', `peer ${this.#name} is dead`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new ChildError('timeout', `peer ${this.#name}: "${cmd}" got no answer in ${CHILD_REQUEST_TIMEOUT_MS} ms`),
        );
      }, CHILD_REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const req: ChildRequest = args === undefined ? { id, cmd } : { id, cmd, args };
      this.child.send(req);
    });
  }

  /** Files over IPC: bytes cross as Uint8Array (advanced serialization); `transfers()` is not mirrored. */
  readonly files: FileApi & { corrupt(): Promise<null> } = {
    send: (groupId, file, caption) => this.request('fileSend', { groupId, file, caption: caption ?? '' }),
    fetch: (message) => this.request('fileFetch', { message }),
    cancel: (hash) => void this.request('fileCancel', { hash }).catch(() => {}),
    read: (hash) => this.request('fileRead', { hash }),
    stored: (hash) => this.request('fileStored', { hash }),
    transfers: () => [],
    setAutoDownload: (bytes) => void this.request('fileAuto', { bytes }).catch(() => {}),
    autoDownloadBytes: 0,
    maxFileBytes: 0,
    corrupt: () => this.request('corruptChunks'),
  };

  /** Connects as `name` to the tracker; what createPeer + connect() is in-process. */
  async start(
    trackerUrl: string,
    name: string,
    files?: FileOptions,
    opts: Record<string, unknown> = {},
  ): Promise<this> {
    await this.loaded;
    this.#name = name;
    const { peerId } = await this.request<{ peerId: PeerId }>(
      'connect',
      files === undefined ? { ...opts, trackerUrl, name } : { ...opts, trackerUrl, name, files },
    );
    this.#peerId = peerId;
    return this;
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }
  directory(): readonly GroupSummary[] {
    return this.#directory;
  }
  groups(): readonly JoinedGroup[] {
    return this.#groups;
  }
  createGroup(name: string, ordering: Ordering, password?: string): Promise<GroupSummary> {
    return this.request('createGroup', password === undefined ? { name, ordering } : { name, ordering, password });
  }
  /** Not driven across processes (apps/tracker and e2e test direct messages). */
  openDm(): Promise<GroupSummary> {
    return Promise.reject(new Error('ChildPeer does not open direct messages.'));
  }
  dms(): readonly GroupSummary[] {
    return [];
  }
  join(groupId: GroupId, password?: string): Promise<JoinedGroup> {
    return this.request('join', password === undefined ? { groupId } : { groupId, password });
  }
  leave(groupId: GroupId): Promise<void> {
    return this.request('leave', { groupId });
  }
  send(groupId: GroupId, text: string): Promise<ChatMessage> {
    return this.request('send', { groupId, text });
  }
  sendOp(groupId: GroupId, op: MessageOp): Promise<ChatMessage> {
    return this.request('sendOp', { groupId, op });
  }
  /** `count` sends started at once inside the child; resolves with their ids. */
  burst(groupId: GroupId, count: number, prefix: string): Promise<readonly string[]> {
    return this.request('burst', { groupId, count, prefix });
  }
  history(
    groupId: GroupId,
    opts?: { readonly since?: number; readonly limit?: number },
  ): Promise<readonly ChatMessage[]> {
    return this.request('history', opts === undefined ? { groupId } : { groupId, opts });
  }
  /** Typing and read markers are not carried over the IPC seam: none of the process scenarios uses them. */
  signal(): boolean {
    return false;
  }

  metrics(groupId: GroupId): GroupMetrics | null {
    return this.#metrics[groupId] ?? null;
  }
  /** Fresh metrics straight from the child (the getter may be ~50 ms old). */
  fetchMetrics(groupId: GroupId): Promise<GroupMetrics | null> {
    return this.request('metrics', { groupId });
  }
  command(line: string, current: GroupId | null): Promise<CommandResult> {
    return this.request('command', { line, current });
  }
  dropLink(groupId: GroupId, peer: PeerId): Promise<boolean> {
    return this.request('dropLink', { groupId, peer });
  }
  inject(groupId: GroupId, to: PeerId, text: string): Promise<boolean> {
    return this.request('inject', { groupId, to, text });
  }
  /** Frames this peer's mesh received so far, by kind. */
  frameCounts(): Promise<Record<string, number>> {
    return this.request('frameCounts');
  }
  linkState(groupId: GroupId, peer: PeerId): Promise<'connecting' | 'up' | 'down' | null> {
    return this.request('linkState', { groupId, peer });
  }
  /** ICE candidate types of the selected pair of the open link to `peer` (`relay` = through TURN). */
  selectedPair(groupId: GroupId, peer: PeerId): Promise<{ local: string; remote: string } | null> {
    return this.request('selectedPair', { groupId, peer });
  }
  /** Debug: from now on every history page this peer sends says "not done" and carries nothing (a lying sponsor). */
  endlessHistoryPages(): Promise<null> {
    return this.request('endlessPages');
  }
  /** Debug: from now on the state on this peer's newest history pages counts the others' messages `by` too many. */
  inflateCounts(by: number): Promise<null> {
    return this.request('inflateCounts', { by });
  }
  /** Debug: from now on the state on this peer's newest history pages names an `agreed` priority `by` above its own. */
  raiseAgreed(by: number): Promise<null> {
    return this.request('raiseAgreed', { by });
  }
  /** Debug: make this peer tell the tracker a link is up or down, whatever it is (a lying member). */
  reportLink(groupId: GroupId, peer: PeerId, state: 'up' | 'down'): Promise<null> {
    return this.request('reportLink', { groupId, peer, state });
  }
  /** Relay runs (`start(…, { relay: true })`): the direct links to these peers never open. */
  block(peers: readonly PeerId[]): Promise<null> {
    return this.request('block', { peers });
  }
  /** Relay runs: the member this peer's frames to `peer` go through, or null (direct, or down). */
  relayOf(groupId: GroupId, peer: PeerId): Promise<PeerId | null> {
    return this.request('relayOf', { groupId, peer });
  }
  /** Relay runs: envelopes this peer forwarded and dropped as a relay for others. */
  relayCounts(): Promise<{ forwarded: number; dropped: number }> {
    return this.request('relayCounts');
  }
  /** Debug: as a relay, alter every DATA body this peer forwards (on) or stop (off). */
  tamperRelay(on: boolean): Promise<null> {
    return this.request('tamperRelay', { on });
  }
  on<K extends keyof PeerEventMap>(event: K, listener: (value: PeerEventMap[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    const l = listener as Listener;
    set.add(l);
    return () => set.delete(l);
  }

  /** A clean quit: the peer leaves its groups' meshes and the process exits. */
  async close(): Promise<void> {
    if (this.#dead) return;
    await this.request('close').catch(() => {});
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 3_000))]);
    this.kill();
  }

  /** SIGKILL: no goodbye to anyone; the tracker notices by missed heartbeats. */
  kill(): Promise<number | null> {
    if (!this.#dead) this.child.kill('SIGKILL');
    return this.exited;
  }
}
