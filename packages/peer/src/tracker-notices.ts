// What the tracker pushes, as the client (tracker-client.ts) takes it in:
// each notice is checked for the fields its listeners rely on (a malformed
// one is dropped) and handed to `deliver`, which holds it while a handshake
// runs; and the part of the directory this client knows, kept from the
// hello's first page, fetched pages and `directory:delta` pushes. What
// belongs here: pushed events and their shape checks; requests and their
// acks are tracker-acks.ts.

import type { DirectoryDelta, GroupId, GroupSummary } from '@chorus/protocol';
import type { Emitter } from './emitter.ts';
import { isRecord, type ChorusSocket } from './tracker-acks.ts';
import type { TrackerLinkEvents } from './tracker-link.ts';

/** Passes each well-formed notice on `socket` to `events` through `deliver`; a directory delta goes to `onDelta`. */
export function listenForNotices(
  socket: ChorusSocket,
  deliver: (emit: () => void) => void,
  events: Emitter<TrackerLinkEvents>,
  onDelta: (delta: DirectoryDelta) => void,
): void {
  socket.on('directory:delta', (delta) => {
    if (!isRecord(delta) || !Array.isArray(delta.upserted) || !Array.isArray(delta.removed)) return;
    deliver(() => onDelta(delta));
  });
  socket.on('group:view', (view) => {
    if (isRecord(view) && typeof view.groupId === 'string' && Array.isArray(view.members))
      deliver(() => events.emit('view', view));
  });
  socket.on('group:joining', (notice) => {
    if (isRecord(notice) && typeof notice.groupId === 'string' && isRecord(notice.peer))
      deliver(() => events.emit('joining', notice));
  });
  socket.on('group:joiner-gone', (notice) => {
    if (isRecord(notice) && typeof notice.groupId === 'string' && typeof notice.peerId === 'string')
      deliver(() => events.emit('joinerGone', notice));
  });
  socket.on('group:removed', (notice) => {
    if (isRecord(notice) && typeof notice.groupId === 'string') deliver(() => events.emit('removed', notice));
  });
  socket.on('signal', (delivery) => {
    if (isRecord(delivery) && typeof delivery.groupId === 'string' && typeof delivery.from === 'string') {
      deliver(() => events.emit('signal', delivery));
    }
  });
  socket.on('dm:opened', (dm) => {
    if (isRecord(dm) && typeof dm.groupId === 'string' && Array.isArray(dm.dm)) deliver(() => events.emit('dm', dm));
  });
  socket.on('tracker:error', (notice) => {
    if (isRecord(notice) && typeof notice.code === 'string') deliver(() => events.emit('error', notice));
  });
}

/**
 * The groups this client knows: the hello's first page, kept current by
 * `directory:delta` pushes, plus pages fetched with listDirectory. Never
 * the whole directory of a big tracker (thousands of groups).
 */
export class KnownDirectory {
  #known = new Map<GroupId, GroupSummary>();
  #list: readonly GroupSummary[] = [];

  get list(): readonly GroupSummary[] {
    return this.#list;
  }

  /** The hello's first page replaces everything known. */
  reset(groups: readonly GroupSummary[]): void {
    this.#known = new Map(groups.map((g) => [g.groupId, g]));
    this.#list = groups;
  }

  /** The groups of a fetched page join the known ones. */
  merge(groups: readonly GroupSummary[]): void {
    for (const g of groups) this.#known.set(g.groupId, g);
    this.#list = [...this.#known.values()];
  }

  apply(delta: DirectoryDelta): void {
    for (const id of delta.removed) this.#known.delete(id);
    for (const g of delta.upserted) if (isRecord(g) && typeof g.groupId === 'string') this.#known.set(g.groupId, g);
    this.#list = [...this.#known.values()];
  }
}
