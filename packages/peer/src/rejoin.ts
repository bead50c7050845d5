// Getting back into a group the tracker no longer lists this peer in (it
// restarted, or declared us failed while we were away): re-sync after a
// reconnect, re-join with growing pauses on errors that may pass, restore a
// group the tracker forgot from its charter, give up on a final answer. What
// belongs here: the retry policy and the restore; how a join runs is peer.ts.

import { membership, type GroupId, type JoinReply, type View } from '@chorus/protocol';
import type { PeerEventMap } from './api.ts';
import { Backoff } from './backoff.ts';
import { errorCode, errorMessage } from './chorus-error.ts';
import type { GroupEntry } from './group-entry.ts';
import { randomRestoreOffset } from './key-store.ts';
import type { TrackerLink } from './tracker-link.ts';

/**
 * A re-join that failed on a tracker error which may pass (rate-limited,
 * timeout, offline, a member gone mid-join) is tried again after a pause:
 * the first window is this long and doubles per failure (full jitter).
 */
export const REJOIN_RETRY_BASE_MS = 500;
/** The longest pause between re-join attempts: a tracker down for minutes is still tried twice a minute. */
export const REJOIN_RETRY_CAP_MS = 30_000;
/** Never retry sooner than this, so a retry cannot spin on an error that comes back at once. */
export const REJOIN_RETRY_MIN_MS = 100;
/**
 * Answers after which another attempt cannot help, so the group is dropped:
 * the group is gone (not-found, after the restore attempt), the password
 * changed, its name went to another group, or the tracker refuses who we
 * are, or this peer is closing.
 */
export const FINAL_REJOIN_CODES: ReadonlySet<string> = new Set([
  'not-found',
  'wrong-password',
  'name-taken',
  'not-authenticated',
  'closed',
]);

/** What a re-join needs of the Peer that owns the groups. */
export interface RejoinHost {
  closed(): boolean;
  tracker(): TrackerLink | null;
  entry(groupId: GroupId): GroupEntry | undefined;
  /** Phases two and on of a join with this phase-one reply; a failure leaves the group listed as joining. */
  joinWith(reply: JoinReply, password: string | undefined): Promise<unknown>;
  /** Ends the group here as removed. */
  drop(entry: GroupEntry): Promise<void>;
  /** The entry's status changed: tell the UI. */
  changed(entry: GroupEntry): void;
  onView(view: View): void;
  error(e: PeerEventMap['error']): void;
}

export class Rejoins {
  readonly #host: RejoinHost;
  /** Re-joins waiting out a pause after a transient error; a reconnect ends their wait. */
  readonly #wake = new Set<() => void>();

  constructor(host: RejoinHost) {
    this.#host = host;
  }

  /** Ends every pause now (the tracker is back, or the peer is closing). */
  wakeAll(): void {
    for (const wake of [...this.#wake]) wake();
  }

  /** After a reconnect: fetch the group's view again; re-join if the tracker forgot us. */
  async resync(entry: GroupEntry): Promise<void> {
    const groupId = entry.summary.groupId;
    const tracker = this.#host.tracker();
    if (!tracker) return;
    try {
      this.#host.onView(await tracker.view(groupId));
      return;
    } catch (e) {
      if (errorCode(e) !== 'not-member' && errorCode(e) !== 'not-found') {
        this.#host.error({ groupId, code: errorCode(e), message: `Re-syncing the group failed: ${errorMessage(e)}` });
        return;
      }
    }
    // The tracker no longer lists us (it restarted, or declared us failed while we were away): join again.
    await this.rejoin(entry, null);
  }

  /**
   * Back into a group the tracker no longer lists us in. A tracker error that
   * may pass is retried after a growing pause (REJOIN_RETRY_*_MS), as a person
   * expects the app to keep trying; the group is dropped only on a final
   * answer (FINAL_REJOIN_CODES) or when it was left meanwhile.
   */
  async rejoin(entry: GroupEntry, reply: JoinReply | null): Promise<void> {
    const host = this.#host;
    const groupId = entry.summary.groupId;
    if (!host.tracker() || entry.status !== 'member') return;
    // Marks the re-join as under way, so a `removed` and a reconnect do not both start one.
    entry.status = 'joining';
    host.changed(entry);
    // A restored group's views must continue above every view this tab saw of it.
    const restoreViewId = entry.view?.viewId ?? 0;
    const backoff = new Backoff({
      baseMs: REJOIN_RETRY_BASE_MS,
      capMs: REJOIN_RETRY_CAP_MS,
      minMs: REJOIN_RETRY_MIN_MS,
    });
    let first = reply;
    for (;;) {
      const current = host.entry(groupId);
      const tracker = host.tracker();
      // Left (leave(), close()) or dropped meanwhile: nothing to get back into.
      if (host.closed() || !tracker || current === undefined || current.status !== 'joining') return;
      // From here the tracker's notices for the group wait for the session this attempt makes.
      current.held = [];
      try {
        await host.joinWith(first ?? (await joinOrRestore(current, tracker, restoreViewId)), current.password);
        return;
      } catch (e) {
        first = null;
        const code = errorCode(e);
        const now = host.entry(groupId);
        if (host.closed() || now === undefined || now.status !== 'joining') return;
        if (FINAL_REJOIN_CODES.has(code)) {
          host.error({ groupId, code, message: `Could not get back into the group: ${errorMessage(e)}` });
          await host.drop(now);
          return;
        }
        const pause = backoff.next();
        host.error({
          groupId,
          code,
          message: `Getting back into the group failed (${errorMessage(e)}); trying again in ${Math.ceil(pause / 1000)} s.`,
        });
        await this.#pause(pause);
      }
    }
  }

  /** Waits `ms`, or less if the tracker connection comes back meanwhile (a retry then has a chance at once). */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake.add(done);
    });
  }
}

/**
 * Phase one of a re-join. A tracker that restarted with the in-memory store
 * no longer knows the group at all: re-register it (same id, name,
 * ordering, password; views continue above ours) and join it.
 */
async function joinOrRestore(entry: GroupEntry, tracker: TrackerLink, restoreViewId: number): Promise<JoinReply> {
  const { groupId } = entry.summary;
  try {
    return await tracker.join(groupId, entry.password);
  } catch (e) {
    // Without a charter (a tracker older than charters) there is no proof to restore with: the group is gone.
    if (errorCode(e) !== 'not-found' || entry.charter === undefined) throw e;
  }
  await tracker.restoreGroup({
    groupId,
    charter: entry.charter,
    viewId: membership.restoreViewFloor(Math.max(restoreViewId, entry.view?.viewId ?? 0), randomRestoreOffset()),
    ...(entry.password === undefined ? {} : { password: entry.password }),
  });
  return tracker.join(groupId, entry.password);
}
