// The tracker's directory: the summary of a group as clients see it, the
// paged listing, and the coalesced `directory:delta` pushes to every
// authenticated session. What belongs here: how groups are listed and how
// listings reach clients; what a group is and who is in it is the store's and
// tracker-service.ts's.

import { DIRECTORY_PAGE_BYTES, DIRECTORY_PAGE_GROUPS, isDmGroupId, jsonByteLength, otherParty } from '@chorus/protocol';
import { DM_CHARTER_NAME, isDm } from './direct-messages.ts';
import type { DirectoryPage, GroupId, GroupSummary, Membership, ParsedDirectoryQuery } from '@chorus/protocol';
import type { GroupRecord, TrackerStore } from './store/tracker-store.ts';
import type { TrackerMetrics } from './tracker-metrics.ts';
import type { ChorusServer } from './tracker-service.ts';

/**
 * Directory changes are pushed as deltas at most this often: many joins in
 * one burst (a class opening the app) make one push, and a client flooding
 * view changes makes every other client receive each changed group at most
 * four times a second, not once per change. Online counts need not be faster.
 */
export const DIRECTORY_PUSH_COALESCE_MS = 250;
/** Summaries per `directory:delta` push; a bigger burst goes out as several. */
const DELTA_CHUNK_GROUPS = 50;
/** Authenticated sessions join this room at hello: directory pushes go to them only. */
export const DIRECTORY_ROOM = 'directory';

/** Every group, most online first, then newest; refreshes the metrics' snapshot on the way. */
export async function listDirectory(store: TrackerStore, metrics: TrackerMetrics): Promise<readonly GroupSummary[]> {
  const [groups, ms] = await Promise.all([store.listGroups(), store.listMemberships()]);
  let members = 0;
  let joining = 0;
  for (const m of ms.values()) {
    members += m.members.length;
    joining += m.joining.length;
  }
  metrics.snapshot = { groups: groups.length, members, joining };
  metrics.retainGroups(new Set(groups.map((g) => g.groupId)));
  // Direct messages are never listed: not in pages, hello, search, deltas or /api/stats.
  return groups
    .filter((g) => !isDm(g))
    .map((g) => summary(g, ms.get(g.groupId)))
    .sort((a, b) => b.online - a.online || b.createdAt - a.createdAt || (a.groupId < b.groupId ? -1 : 1));
}

/** One page of `all` (in its order), capped in count and in JSON bytes. */
export function directoryPage(all: readonly GroupSummary[], q: ParsedDirectoryQuery): DirectoryPage {
  const matching = q.query === '' ? all : all.filter((g) => g.name.toLowerCase().includes(q.query));
  const groups: GroupSummary[] = [];
  let bytes = 2;
  for (const g of matching.slice(q.offset, q.offset + DIRECTORY_PAGE_GROUPS)) {
    bytes += (jsonByteLength(g) ?? 0) + 1;
    if (bytes > DIRECTORY_PAGE_BYTES) break;
    groups.push(g);
  }
  return { groups, total: matching.length, offset: q.offset };
}

/** Collects changed groups and pushes them to DIRECTORY_ROOM at most every DIRECTORY_PUSH_COALESCE_MS. */
export class DirectoryPushes {
  private timer: NodeJS.Timeout | null = null;
  /** Groups changed since the last directory push. */
  private readonly dirty = new Set<GroupId>();
  private closed = false;

  constructor(
    private readonly io: ChorusServer,
    private readonly store: TrackerStore,
    /** Runs a push in the background (awaited on close, failures logged). */
    private readonly track: (p: Promise<unknown>) => void,
  ) {}

  soon(groupId: GroupId): void {
    this.dirty.add(groupId);
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const ids = [...this.dirty];
      this.dirty.clear();
      this.track(this.pushDelta(ids));
    }, DIRECTORY_PUSH_COALESCE_MS);
  }

  private async pushDelta(ids: readonly GroupId[]): Promise<void> {
    const upserted: GroupSummary[] = [];
    const removed: GroupId[] = [];
    for (const id of ids) {
      const g = await this.store.getGroup(id);
      // A direct message's id is never pushed, not even when it goes.
      if (g === null) {
        if (!isDmGroupId(id)) removed.push(id);
      } else if (!isDm(g)) upserted.push(summary(g, await this.store.getMembership(id)));
    }
    for (let i = 0; i < Math.max(upserted.length, removed.length); i += DELTA_CHUNK_GROUPS) {
      this.io.to(DIRECTORY_ROOM).emit('directory:delta', {
        upserted: upserted.slice(i, i + DELTA_CHUNK_GROUPS),
        removed: removed.slice(i, i + DELTA_CHUNK_GROUPS),
      });
    }
  }

  stop(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }
}

/** `viewer`: the key it is sent to; a direct message is named after its other person, as that key sees it. */
export function summary(g: GroupRecord, m: Membership | undefined, viewer?: string): GroupSummary {
  const dm = g.charter?.dm;
  return {
    groupId: g.groupId,
    name: dm === undefined ? g.name : ((viewer === undefined ? null : otherParty(dm, viewer)?.name) ?? DM_CHARTER_NAME),
    ordering: g.ordering,
    locked: g.passwordHash !== undefined,
    // People, not tabs: one key with several sessions in the group counts once.
    online: m ? new Set(m.members.map((x) => x.publicKey)).size : 0,
    createdBy: g.createdBy,
    createdAt: g.createdAt,
    ...(dm !== undefined ? { dm } : {}),
  };
}
