// The archivist: a peer with no terminal UI that stays in its groups,
// stores every message on disk and serves history to joiners exactly as any
// member does (it is the sponsor whenever it is the oldest member left, and
// joiners verify every item's signature as from any sponsor). It holds no
// special rights. Owns only "which groups should I be in, and am I": the
// peer facade re-joins after a tracker restart or a false suspicion; this
// loop covers the rest (a group that does not exist yet, a join that timed
// out, a group the peer gave up on). Logs JSON lines (pino).

import type { Logger } from 'pino';
import { resolveGroup, type ChorusPeer, type GroupRecord, type HistoryPage, type JoinedGroup, type MessageStore, type StoredMessage } from '@chorus/peer';
import type { DirectoryPage, DirectoryQuery, GroupId, GroupSummary, RestoreGroupPayload } from '@chorus/protocol';
import { connectWithRetry } from './runtime.ts';
import type { SqliteStore } from './sqlite-store.ts';

/**
 * How often the archivist checks that it is in every group it should be.
 * Also the pause before a failed join is tried again: a few seconds keeps a
 * group's history served soon after a hiccup without hammering the tracker.
 */
export const RECONCILE_MS = 3_000;
/** `--groups '*'`: every group in the directory. */
export const ALL_GROUPS = '*';
/**
 * With ALL_GROUPS, the whole directory is paged through this often (the
 * hello carries one page and pushes carry changes, but a group missed in a
 * reconnect would otherwise wait for its next change).
 */
export const FULL_SCAN_MS = 60_000;

/**
 * The store as the peer sees it, reporting each durable batch: a `stored`
 * log line is written only after the transaction committed, so every id it
 * names survives a SIGKILL that comes after it.
 */
export class ReportingStore implements MessageStore {
  readonly #inner: SqliteStore;
  readonly #onStored: (groupId: GroupId, ids: readonly string[]) => void;

  constructor(inner: SqliteStore, onStored: (groupId: GroupId, ids: readonly string[]) => void) {
    this.#inner = inner;
    this.#onStored = onStored;
  }

  async putMessages(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    await this.#inner.putMessages(groupId, items);
    if (items.length > 0) this.#onStored(groupId, items.map((m) => m.id));
  }

  page(groupId: GroupId, opts: { readonly after?: string | null; readonly limit: number }): Promise<HistoryPage> {
    return this.#inner.page(groupId, opts);
  }
  since(groupId: GroupId, since: number, limit: number): Promise<readonly StoredMessage[]> {
    return this.#inner.since(groupId, since, limit);
  }
  cursor(groupId: GroupId): Promise<string | null> {
    return this.#inner.cursor(groupId);
  }
  count(groupId: GroupId): Promise<number> {
    return this.#inner.count(groupId);
  }
  putGroup(record: GroupRecord): Promise<void> {
    return this.#inner.putGroup(record);
  }
  getGroup(groupId: GroupId): Promise<GroupRecord | null> {
    return this.#inner.getGroup(groupId);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

export interface ArchivistOptions {
  readonly peer: ChorusPeer;
  readonly store: SqliteStore;
  readonly log: Logger;
  readonly trackerUrl: string;
  /** Names or ids, or ALL_GROUPS. */
  readonly groups: readonly string[];
  /** One page of the tracker's directory; its groups join `peer.directory()`. */
  readonly listDirectory: (query?: DirectoryQuery) => Promise<DirectoryPage>;
  /** Re-registers a group the tracker forgot, with a charter kept from an earlier join. */
  readonly restoreGroup: (payload: RestoreGroupPayload) => Promise<GroupSummary>;
  readonly now?: () => number;
}

export class Archivist {
  readonly #opts: ArchivistOptions;
  readonly #peer: ChorusPeer;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Joins under way, so a slow join is not started twice. */
  readonly #joining = new Set<GroupId>();
  /** Refs already reported as missing from the directory (said once, not every round). */
  readonly #missing = new Set<string>();
  /** Locked groups already reported as skipped. */
  readonly #skipped = new Set<GroupId>();
  readonly #status = new Map<GroupId, JoinedGroup['status']>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #lastFullScan = -Infinity;
  /** When each missing ref was last looked up at the tracker. */
  readonly #lookedUp = new Map<string, number>();
  /** When a restore of each forgotten group was last tried. */
  readonly #restoredAt = new Map<GroupId, number>();
  #reconciling = false;
  #stopped = false;

  constructor(opts: ArchivistOptions) {
    this.#opts = opts;
    this.#peer = opts.peer;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
  }

  /** Called by the ReportingStore after every durable batch. */
  noteStored(groupId: GroupId, ids: readonly string[]): void {
    const g = this.#peer.groups().find((x) => x.groupId === groupId);
    if (g) this.#opts.store.noteSync(groupId, g.name, g.ordering, this.#now());
    this.#log.debug({ groupId, count: ids.length, ids }, 'stored');
  }

  async start(): Promise<void> {
    const peer = this.#peer;
    peer.on('connection', (state) => this.#log.info({ state }, 'tracker connection'));
    peer.on('error', (e) => this.#log.warn({ groupId: e.groupId, code: e.code }, e.message));
    peer.on('system', (s) => this.#log.info({ groupId: s.groupId, peer: s.name, change: s.change }, 'member change'));
    peer.on('group', (g) => void this.#onGroup(g));
    peer.on('directory', () => void this.#reconcile());
    this.#log.info({ name: peer.name, peerId: peer.peerId, tracker: this.#opts.trackerUrl, groups: this.#opts.groups, db: this.#opts.store.file }, 'archivist starting');
    await connectWithRetry(
      peer,
      (r) => this.#log.warn({ tracker: this.#opts.trackerUrl, attempt: r.attempt, retryInMs: r.delayMs }, `tracker unreachable: ${r.message}`),
      () => this.#stopped,
    );
    this.#timer = setInterval(() => void this.#reconcile(), RECONCILE_MS);
    await this.#reconcile();
  }

  /** The groups this archivist should be in, as the directory lists them now. */
  #targets(): GroupSummary[] {
    const directory = this.#peer.directory();
    if (this.#opts.groups.includes(ALL_GROUPS)) return [...directory];
    const out: GroupSummary[] = [];
    for (const ref of this.#opts.groups) {
      const id = resolveGroup(ref, directory);
      const g = id === null ? undefined : directory.find((d) => d.groupId === id);
      if (!g) {
        if (!this.#missing.has(ref)) this.#log.warn({ group: ref }, 'group not in the directory yet; waiting for it');
        this.#missing.add(ref);
        continue;
      }
      this.#missing.delete(ref);
      out.push(g);
    }
    return out;
  }

  /** Makes sure the groups we want are in the peer's directory: pages by name, or all pages for ALL_GROUPS. */
  async #lookUp(): Promise<void> {
    const list = this.#opts.listDirectory;
    if (this.#opts.groups.includes(ALL_GROUPS)) {
      if (this.#now() - this.#lastFullScan < FULL_SCAN_MS) return;
      this.#lastFullScan = this.#now();
      for (let offset = 0; ;) {
        const page = await list({ offset });
        offset += page.groups.length;
        if (page.groups.length === 0 || offset >= page.total) break;
      }
      return;
    }
    const known = this.#peer.directory();
    for (const ref of this.#opts.groups) {
      if (resolveGroup(ref, known) !== null) continue;
      // A lookup publishes the directory, which starts another round: ask at most once per round's interval.
      if (this.#now() - (this.#lookedUp.get(ref) ?? -Infinity) < RECONCILE_MS) continue;
      this.#lookedUp.set(ref, this.#now());
      await list({ query: ref });
    }
  }

  /**
   * Groups this archivist holds (a charter kept from a join) that the
   * tracker no longer lists — it restarted with the in-memory store while
   * every member was away — are registered again with their charter, as a
   * browser member would after a tracker restart. Only after a look-up said
   * they are missing, and at most once per round each.
   */
  async #restoreForgotten(): Promise<void> {
    const all = this.#opts.groups.includes(ALL_GROUPS);
    const directory = this.#peer.directory();
    for (const held of this.#opts.store.charters()) {
      if (directory.some((g) => g.groupId === held.groupId)) continue;
      const ref = this.#opts.groups.find((r) => r === held.groupId || r.toLowerCase() === held.name.toLowerCase());
      // A named group is restored only after the tracker was asked for it by name and did not have it.
      if (!all && (ref === undefined || !this.#lookedUp.has(ref))) continue;
      if (this.#now() - (this.#restoredAt.get(held.groupId) ?? -Infinity) < RECONCILE_MS) continue;
      this.#restoredAt.set(held.groupId, this.#now());
      try {
        await this.#opts.restoreGroup({ groupId: held.groupId, charter: held.charter, viewId: held.viewId });
        this.#log.info({ groupId: held.groupId, group: held.name }, 'restored a group the tracker forgot');
        await this.#opts.listDirectory({ query: held.name });
      } catch (e) {
        this.#log.warn({ groupId: held.groupId, group: held.name }, `restoring the group failed: ${(e as Error).message}`);
      }
    }
  }

  async #reconcile(): Promise<void> {
    if (this.#stopped || this.#reconciling) return;
    this.#reconciling = true;
    try {
      await this.#lookUp();
      await this.#restoreForgotten();
    } catch (e) {
      this.#log.warn({ retryInMs: RECONCILE_MS }, `looking up groups at the tracker failed: ${(e as Error).message}`);
    } finally {
      this.#reconciling = false;
    }
    if (this.#stopped) return;
    const inGroup = new Set(this.#peer.groups().filter((g) => g.status === 'member' || g.status === 'joining').map((g) => g.groupId));
    for (const g of this.#targets()) {
      if (inGroup.has(g.groupId) || this.#joining.has(g.groupId)) continue;
      if (g.locked) {
        if (!this.#skipped.has(g.groupId)) this.#log.warn({ groupId: g.groupId, group: g.name }, 'group has a password; the archivist does not join locked groups');
        this.#skipped.add(g.groupId);
        continue;
      }
      void this.#join(g);
    }
  }

  async #join(g: GroupSummary): Promise<void> {
    this.#joining.add(g.groupId);
    const started = this.#now();
    this.#log.info({ groupId: g.groupId, group: g.name }, 'joining');
    try {
      await this.#peer.join(g.groupId);
      const messages = await this.#opts.store.count(g.groupId);
      this.#log.info({ groupId: g.groupId, group: g.name, messages, ms: this.#now() - started }, 'in group; history synced');
    } catch (e) {
      this.#log.warn({ groupId: g.groupId, group: g.name, retryInMs: RECONCILE_MS }, `join failed: ${(e as Error).message}`);
    } finally {
      this.#joining.delete(g.groupId);
    }
  }

  async #onGroup(g: JoinedGroup): Promise<void> {
    const before = this.#status.get(g.groupId);
    this.#status.set(g.groupId, g.status);
    if (before === g.status) return;
    if (g.status === 'member') this.#opts.store.noteSync(g.groupId, g.name, g.ordering, this.#now());
    this.#log.info({ groupId: g.groupId, group: g.name, status: g.status, members: g.view?.members.length ?? 0 }, 'group status');
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#log.info('archivist stopping');
    await this.#peer.close().catch(() => {});
    await this.#opts.store.close();
  }
}
