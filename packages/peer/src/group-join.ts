// One join of a group, from the tracker's phase-one answer on: a fresh
// session and engine resumed from the store, links to every member, asking
// links-ready until the tracker installs us, then history from a sponsor. A
// failed first join leaves the group; a failed re-join keeps it listed as
// joining for the next attempt (rejoin.ts). What belongs here: the steps of
// one join; peer.ts owns the groups and routes the tracker's notices.

import {
  createEngine,
  resumeAfterSent,
  type GroupId,
  type JoinReply,
  type MemberInfo,
  type PeerId,
  type View,
} from '@chorus/protocol';
import type { JoinedGroup, PeerEventMap } from './api.ts';
import { ChorusError } from './chorus-error.ts';
import type { Emitter } from './emitter.ts';
import { isInstalled, joinedGroup, setLinks, type GroupEntry, type TrackerNotice } from './group-entry.ts';
import { GroupSession } from './group-session.ts';
import { GroupMetricsRecorder } from './metrics.ts';
import {
  JOIN_INSTALLED_CHECK_MS,
  JOIN_MEMBERS_POLL_MS,
  LINKS_READY_TIMEOUT_MS,
  onceTurnFails,
  waitForLinks,
} from './join-links.ts';
import { storedResumePoint } from './peer-history.ts';
import type { MessageStore } from './storage.ts';
import type { TrackerLink } from './tracker-link.ts';
import type { Transport } from './transport.ts';
import { withFile } from './files/file-hub.ts';

export type PeerEvents = { [K in keyof PeerEventMap]: (value: PeerEventMap[K]) => void };

/** What a join needs of the Peer that owns the groups. */
export interface JoinHost {
  readonly peerId: PeerId;
  readonly store: MessageStore;
  readonly events: Emitter<PeerEvents>;
  readonly groups: ReadonlyMap<GroupId, GroupEntry>;
  readonly now: () => number;
  readonly linksReadyTimeoutMs: number | undefined;
  readonly metricsReportMs: number | undefined;
  need(): { tracker: TrackerLink; transport: Transport; self: MemberInfo; privateKey: CryptoKey };
  closed(): boolean;
  tracker(): TrackerLink | null;
  transport(): Transport | null;
  /** Lists the entry as the group's (replacing the one it re-joins). */
  put(entry: GroupEntry): void;
  /** The entry changed: tell the UI. */
  changed(entry: GroupEntry): void;
  onView(view: View): void;
  notice(groupId: GroupId, n: TrackerNotice): void;
  /** Notices heard for a group joined for the first time before its entry existed: replayed to it now. */
  replayEarly(groupId: GroupId): void;
  drop(entry: GroupEntry, status: 'left' | 'removed'): Promise<void>;
  /** Leaves the group as the person would: the tracker first, then the session and links. */
  leave(groupId: GroupId): Promise<void>;
}

/**
 * Phase one is done (`reply`): a fresh session and engine, links to every
 * member, links-ready, then history and state from a sponsor. A re-join
 * after the tracker dropped us takes the same road: our old engine state
 * misses whatever was said meanwhile, so we come back as a joiner.
 */
export async function joinWith(
  host: JoinHost,
  reply: JoinReply,
  leaveOnFailure: boolean,
  password: string | undefined,
): Promise<JoinedGroup> {
  const { tracker, transport, self, privateKey } = host.need();
  const groupId = reply.group.groupId;
  const { point: stored, floors } = await storedResumePoint(host.store, groupId, host.peerId, reply.group.ordering);
  const previous = host.groups.get(groupId);
  // The store's point, raised above what the session we replace sent (delivered here or not).
  const sentSeq = Math.max(previous?.sentSeq ?? 0, previous?.session.sentSeq ?? 0);
  const resume = resumeAfterSent(stored, sentSeq);
  // Re-joined after the tracker dropped us: the page's counts (rejected frames too) go on adding up.
  const replaces = previous !== undefined && previous.status !== 'left' && previous.status !== 'removed';
  const metrics = replaces ? previous.metrics : new GroupMetricsRecorder(host.now());
  const session = new GroupSession({
    groupId,
    self,
    privateKey,
    transport,
    store: host.store,
    groupName: reply.group.name,
    floors,
    engine: createEngine({
      mode: reply.group.ordering,
      self: self.peerId,
      groupId,
      ...(resume === null ? {} : { resume }),
    }),
    metrics,
    reportMetrics: (r) => host.tracker()?.reportMetrics(r),
    // Overdue after one link grace time: the tracker's own measure of a link that does not work.
    ...(tracker.hello?.linkGraceMs === undefined ? {} : { agreementWaitMs: tracker.hello.linkGraceMs }),
    now: host.now,
    ...(host.metricsReportMs === undefined ? {} : { metricsReportMs: host.metricsReportMs }),
  });
  const entry: GroupEntry = {
    summary: reply.group,
    status: 'joining',
    session,
    view: null,
    known: new Map(previous?.known ?? []),
    joiners: new Map(),
    member: Promise.resolve(),
    unsubscribe: [],
    password,
    charter: reply.charter ?? previous?.charter,
    held: null,
    sentSeq,
    metrics,
  };
  entry.member = new Promise<void>((resolve, reject) => {
    entry.unsubscribe.push(
      session.on('phase', (phase) => {
        if (phase === 'member') resolve();
        if (phase === 'closed') reject(new ChorusError('bad-state', 'The group was closed before the join finished.'));
      }),
    );
  });
  entry.member.catch(() => {});
  const events = host.events;
  entry.unsubscribe.push(
    session.on('message', (m) => events.emit('message', withFile(m))),
    session.on('system', (line) => events.emit('system', line)),
    session.on('view', (view) => {
      if (entry.view === null || view.viewId >= entry.view.viewId) entry.view = view;
      host.changed(entry);
    }),
    session.on('signal', (sig) => events.emit('signal', sig)),
    session.on('older', () => host.changed(entry)),
    session.on('accuse', (a) => host.tracker()?.accuse(a.groupId, a.accused, a.proof)),
    session.on('report-link', (r) => host.tracker()?.reportLink(r.groupId, r.peer, r.state)),
    session.on('problem', (p) => {
      events.emit('error', { groupId: p.groupId, code: p.code, message: p.message });
      // A frame we cannot sign holds every later send of ours, and in total order the group's delivery.
      if (p.code === 'sign-failed' && host.groups.get(groupId) === entry) void host.leave(groupId).catch(() => {});
    }),
    onceTurnFails(groupId, transport, (message) => events.emit('error', { groupId, code: 'turn', message })),
  );
  if (previous && previous.status !== 'left' && previous.status !== 'removed') {
    // Keep the links (the new session takes them over); only the old session and its listeners go.
    previous.status = 'removed';
    for (const u of previous.unsubscribe) u();
    await previous.session.close('Re-joining the group.');
  }
  host.put(entry);
  for (const m of reply.view.members) entry.known.set(m.peerId, m);
  for (const m of reply.view.members) session.noteJoining(m);
  // What the tracker said while this attempt was being set up (the views that installed us and
  // those after it come before the join's answer is handled): the new session hears it first.
  for (const n of previous?.held?.splice(0) ?? []) host.notice(groupId, n);
  host.replayEarly(groupId);
  host.changed(entry);
  try {
    await enterMesh(host, entry, reply.view, tracker, transport);
    await entry.member;
  } catch (e) {
    if (leaveOnFailure) {
      await host.drop(entry, 'left');
      tracker.leave(groupId).catch(() => {});
    } else await parkFailedRejoin(host, entry);
    throw e;
  }
  entry.status = 'member';
  host.changed(entry);
  // With the links' relays, as every other report of the group: the UI applies this one last.
  return joinedGroup(entry, (g, p) => transport.relayOf?.(g, p) ?? null);
}

/** Phase two of a join: open links to everyone in `view`, report them ready, hand the view to the session. */
async function enterMesh(
  host: JoinHost,
  entry: GroupEntry,
  view: View,
  tracker: TrackerLink,
  transport: Transport,
): Promise<void> {
  const groupId = entry.summary.groupId;
  // A newer view may have come already (replayed notices): links follow the newest one.
  setLinks(
    entry,
    (entry.view !== null && entry.view.viewId > view.viewId ? entry.view : view).members,
    host.peerId,
    host.transport(),
  );
  const others = view.members.map((m) => m.peerId).filter((p) => p !== host.peerId);
  await waitForLinks(groupId, others, tracker, transport, host.linksReadyTimeoutMs ?? LINKS_READY_TIMEOUT_MS);
  // The tracker installs us once the members confirm their channels to us
  // too; until then links-ready answers the view without us, and the view
  // with us comes as a push, usually a moment later: looked for often. Asking
  // again now and then re-checks (a member that never confirmed may have
  // gone); a tracker that dropped us answers not-member, which fails the join.
  host.onView(await tracker.linksReady(groupId));
  for (let asked = Date.now(); !isInstalled(entry, host.peerId);) {
    await new Promise((r) => setTimeout(r, JOIN_INSTALLED_CHECK_MS));
    if (
      host.closed() ||
      host.groups.get(groupId) !== entry ||
      entry.status !== 'joining' ||
      isInstalled(entry, host.peerId)
    )
      return;
    if (Date.now() - asked < JOIN_MEMBERS_POLL_MS) continue;
    asked = Date.now();
    host.onView(await tracker.linksReady(groupId));
  }
}

/**
 * A re-join attempt failed after its session was made: close that session
 * (its listeners go with it) but keep the group listed as `joining`, so the
 * next attempt takes its place and the UI never sees the group vanish.
 */
async function parkFailedRejoin(host: JoinHost, entry: GroupEntry): Promise<void> {
  if (entry.status === 'left' || entry.status === 'removed') return;
  entry.status = 'joining';
  for (const u of entry.unsubscribe.splice(0)) u();
  await entry.session.close('Getting back into the group failed; trying again.');
  host.changed(entry);
}
