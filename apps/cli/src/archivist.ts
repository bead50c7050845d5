// The archivist: a peer with no terminal UI that stays in its groups,
// stores every message on disk and serves history to joiners exactly as any
// member does (a joiner asks it first when its order of sponsors, PROTOCOL.md
// §7.2, puts it first or it is the only old member left, and joiners verify
// every item's signature as from any sponsor). It holds no
// special rights. Owns only "which groups should I be in, and am I": the
// peer facade re-joins after a tracker restart or a false suspicion; this
// loop covers the rest (a group that does not exist yet, a join that timed
// out, a group the peer gave up on) and locked groups, which it joins with
// the passwords it was given. Why it is not in a group is written to its
// database for `--status`. Logs JSON lines (pino); never a password.

import type { Logger } from 'pino';
import {
  errorCode,
  randomRestoreOffset,
  resolveGroup,
  type ChorusPeer,
  type GroupRecord,
  type HistoryPage,
  type JoinedGroup,
  type MessageStore,
  type StoredMessage,
} from '@chorus/peer';
import {
  membership,
  type DirectoryPage,
  type DirectoryQuery,
  type GroupId,
  type GroupSummary,
  type RestoreGroupPayload,
} from '@chorus/protocol';
import { firstOfTopic } from './error-topics.ts';
import type { GroupPasswords } from './group-passwords.ts';
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
 * A password the tracker refused is not tried again for this long (each try
 * costs the tracker a scrypt and counts against its password rate limit),
 * unless a different password for the group turns up (the file was edited).
 */
export const WRONG_PASSWORD_RETRY_MS = 10 * 60_000;

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
    if (items.length > 0)
      this.#onStored(
        groupId,
        items.map((m) => m.id),
      );
  }

  async putHistory(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    await this.#inner.putHistory(groupId, items);
    if (items.length > 0)
      this.#onStored(
        groupId,
        items.map((m) => m.id),
      );
  }

  page(groupId: GroupId, opts: { readonly after?: string | null; readonly limit: number }): Promise<HistoryPage> {
    return this.#inner.page(groupId, opts);
  }
  /** A sponsor pages backwards (PROTOCOL.md §4): without this a store is read by a forward scan per page. */
  before(groupId: GroupId, before: string | null, limit: number): Promise<readonly StoredMessage[]> {
    return this.#inner.before(groupId, before, limit);
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
  /** Passwords of locked groups; the file behind them is read again when it changes. */
  readonly passwords: GroupPasswords;
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
  /** Why each group (id, or a name not listed yet) is not joined, as last logged and written down. */
  readonly #notJoined = new Map<string, string>();
  /** Locked groups whose password the tracker refused: which password, and when. */
  readonly #refused = new Map<GroupId, { readonly password: string; readonly at: number }>();
  #passwordFileProblem: string | null = null;
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
    const firstOfItsTopic = firstOfTopic();
    peer.on('error', (e) => {
      const fields = { groupId: e.groupId, code: e.code, ...(e.topic === undefined ? {} : { topic: e.topic }) };
      if (firstOfItsTopic(e)) this.#log.warn(fields, e.message);
      else this.#log.debug(fields, e.message);
    });
    peer.on('system', (s) => this.#log.info({ groupId: s.groupId, peer: s.name, change: s.change }, 'member change'));
    peer.on('group', (g) => void this.#onGroup(g));
    peer.on('directory', () => void this.#reconcile());
    this.#log.info(
      {
        name: peer.name,
        peerId: peer.peerId,
        tracker: this.#opts.trackerUrl,
        groups: this.#opts.groups,
        db: this.#opts.store.file,
        passwords: this.#opts.passwords.size,
      },
      'archivist starting',
    );
    // What an earlier run could not join is its news, not ours: this run finds out again.
    this.#opts.store.clearNotJoined();
    await connectWithRetry(
      peer,
      (r) =>
        this.#log.warn(
          { tracker: this.#opts.trackerUrl, attempt: r.attempt, retryInMs: r.delayMs },
          `tracker unreachable: ${r.message}`,
        ),
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
        this.#noteNotJoined(
          { ref, groupId: null, name: ref, locked: false },
          'not in the directory yet; waiting for it',
          false,
        );
        continue;
      }
      if (this.#missing.delete(ref)) this.#clearNotJoined(ref);
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
      // A locked group's restore needs its password too (the tracker checks it against the charter's lock).
      const password = this.#opts.passwords.for(held);
      // Above its last view with the margin and a random offset, as a browser restores (membership.restoreViewFloor).
      const viewId = membership.restoreViewFloor(held.viewId, randomRestoreOffset());
      try {
        await this.#opts.restoreGroup({
          groupId: held.groupId,
          charter: held.charter,
          viewId,
          ...(password === undefined ? {} : { password }),
        });
        this.#log.info({ groupId: held.groupId, group: held.name }, 'restored a group the tracker forgot');
        await this.#opts.listDirectory({ query: held.name });
      } catch (e) {
        this.#log.warn(
          { groupId: held.groupId, group: held.name },
          `restoring the group failed: ${(e as Error).message}`,
        );
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
    this.#reloadPasswords();
    const inGroup = new Set(
      this.#peer
        .groups()
        .filter((g) => g.status === 'member' || g.status === 'joining')
        .map((g) => g.groupId),
    );
    for (const g of this.#targets()) {
      if (inGroup.has(g.groupId) || this.#joining.has(g.groupId)) continue;
      const password = g.locked ? this.#opts.passwords.for(g) : undefined;
      if (g.locked && password === undefined) {
        this.#noteNotJoined(g, `locked, and no password was given for it: ${this.#opts.passwords.hint(g.name)}`);
        continue;
      }
      const refused = this.#refused.get(g.groupId);
      if (refused !== undefined && refused.password === password && this.#now() - refused.at < WRONG_PASSWORD_RETRY_MS)
        continue;
      void this.#join(g, password);
    }
  }

  #reloadPasswords(): void {
    try {
      this.#opts.passwords.reload();
      this.#passwordFileProblem = null;
    } catch (e) {
      // The passwords read before stay in force; said once per problem, not every round.
      const message = (e as Error).message;
      if (message !== this.#passwordFileProblem) this.#log.error(`${message} (keeping the passwords read before)`);
      this.#passwordFileProblem = message;
    }
  }

  /** Written down for --status and logged, once per reason. */
  #noteNotJoined(
    g: { readonly ref?: string; readonly groupId: GroupId | null; readonly name: string; readonly locked: boolean },
    reason: string,
    log = true,
  ): void {
    const ref = g.ref ?? (g.groupId as string);
    if (this.#notJoined.get(ref) === reason) return;
    this.#notJoined.set(ref, reason);
    if (log) this.#log.warn({ groupId: g.groupId, group: g.name, locked: g.locked }, `not joining: ${reason}`);
    this.#opts.store.noteNotJoined({
      ref,
      groupId: g.groupId,
      name: g.name,
      locked: g.locked,
      reason,
      since: this.#now(),
    });
  }

  #clearNotJoined(ref: string): void {
    if (!this.#notJoined.delete(ref)) return;
    this.#opts.store.clearNotJoined(ref);
  }

  async #join(g: GroupSummary, password: string | undefined): Promise<void> {
    this.#joining.add(g.groupId);
    const started = this.#now();
    this.#log.info({ groupId: g.groupId, group: g.name }, 'joining');
    try {
      await this.#peer.join(g.groupId, password);
      this.#refused.delete(g.groupId);
      this.#clearNotJoined(g.groupId);
      const messages = await this.#opts.store.count(g.groupId);
      this.#log.info(
        { groupId: g.groupId, group: g.name, messages, ms: this.#now() - started },
        'in group; history synced',
      );
    } catch (e) {
      if (errorCode(e) === 'wrong-password' && password !== undefined) {
        this.#refused.set(g.groupId, { password, at: this.#now() });
        this.#noteNotJoined(
          g,
          `locked, and the tracker refused the password given for it (${(e as Error).message}); ` +
            `tried again in ${WRONG_PASSWORD_RETRY_MS / 60_000} min, or at once when the password file changes`,
        );
      } else {
        this.#log.warn(
          { groupId: g.groupId, group: g.name, retryInMs: RECONCILE_MS },
          `join failed: ${(e as Error).message}`,
        );
        this.#noteNotJoined(
          g,
          `join failed (${errorCode(e)}): ${(e as Error).message}; trying again every ${RECONCILE_MS / 1000} s`,
          false,
        );
      }
    } finally {
      this.#joining.delete(g.groupId);
    }
  }

  async #onGroup(g: JoinedGroup): Promise<void> {
    const before = this.#status.get(g.groupId);
    this.#status.set(g.groupId, g.status);
    if (before === g.status) return;
    if (g.status === 'member') {
      this.#opts.store.noteSync(g.groupId, g.name, g.ordering, this.#now());
      this.#clearNotJoined(g.groupId);
    }
    this.#log.info(
      { groupId: g.groupId, group: g.name, status: g.status, members: g.view?.members.length ?? 0 },
      'group status',
    );
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
