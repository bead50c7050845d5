// Binding a peer id to the socket that just proved its key: the takeover of
// a stale session of the same key (on this node, or on a node that died) and
// the sweep of a dead node's other stale sessions. Only hello calls this.

import type { MemberInfo, PeerId } from '@chorus/protocol';
import type { ChorusSocket, SessionDeps } from './socket-session.ts';
import type { SessionRecord } from './store/tracker-store.ts';

/** How long a reconnecting session waits for its own stale session (on another node) to go away. */
const TAKEOVER_WAIT_MS = 3_000;
const TAKEOVER_POLL_MS = 50;

/**
 * Binds the peer id to this socket. A session proving the same key for the
 * same peer id is the same tab reconnecting before the tracker noticed the old
 * transport died: the stale session is closed (its groups see it fail) and
 * the new one takes over; if the stale session's node is dead, at once. A
 * different key is another session: refused.
 */
export async function bindOrTakeOver(
  d: SessionDeps,
  info: MemberInfo,
  socket: ChorusSocket,
): Promise<'bound' | 'other-key' | 'timeout'> {
  // Spelled out, not spread: a spread copy here got a hidden class of its own per session (~230 B each).
  const { peerId, name, publicKey, role } = info;
  const { nodeId } = d;
  const socketId = socket.id;
  const record: SessionRecord =
    role === undefined
      ? { peerId, name, publicKey, nodeId, socketId }
      : { peerId, name, publicKey, role, nodeId, socketId };
  const deadline = d.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    if (await d.store.bindSession(record)) return 'bound';
    if (d.now() > deadline) return 'timeout';
    const held = await d.store.getSession(info.peerId);
    if (held === null) continue;
    if (held.publicKey !== info.publicKey) return 'other-key';
    if (held.nodeId !== d.nodeId && !(await d.socketExists(held.socketId))) {
      // Its socket is gone from every live node (its tracker died or restarted):
      // do not wait for the reaper. The old session fails out of its groups
      // first, exactly as in a local takeover.
      d.log.info(
        { peerId: info.peerId, staleNode: held.nodeId },
        'session reconnected after its node died: taking over',
      );
      await d.service.removeEverywhere(info.peerId, 'failed');
      if (await d.store.replaceSession(record, held.socketId)) {
        await sweepStaleSessions(d, held.nodeId, info.peerId);
        return 'bound';
      }
      continue;
    }
    const stale = d.local.get(info.peerId);
    if (stale !== undefined && stale.socket.id === held.socketId) {
      d.log.info({ peerId: info.peerId }, 'session reconnected: closing its stale socket');
      stale.socket.disconnect(true);
    } else {
      d.disconnectSocket(held.socketId);
    }
    const cleanup = d.cleanups.get(info.peerId);
    if (cleanup !== undefined) await cleanup;
    else await new Promise((r) => setTimeout(r, TAKEOVER_POLL_MS));
  }
}

/**
 * The first session back from a node whose sockets are gone (a tracker that
 * restarted on a shared store) fails every other session of that node whose
 * socket exists nowhere, before its own hello is answered. One at a time, at
 * each member's reconnect, re-joiners would meet members that are about to
 * be failed, and a group whose every member re-joins as a joiner loses the
 * counts only their stores hold; all at once, the group empties and the
 * first member back founds it from its store, as after an in-memory
 * restart. The groups learn first and the binding goes after, so a member
 * reconnecting meanwhile does not race its own removal.
 */
async function sweepStaleSessions(d: SessionDeps, node: string, self: PeerId): Promise<void> {
  if (d.sweptNodes?.has(node) === true) return;
  d.sweptNodes?.add(node);
  try {
    for (const s of await d.store.sessionsOfNode(node)) {
      if (s.peerId === self || (await d.socketExists(s.socketId))) continue;
      d.log.info({ peerId: s.peerId, staleNode: node }, 'stale session of a node whose sockets are gone: failing it');
      await d.service.removeEverywhere(s.peerId, 'failed');
      await d.store.unbindSession(s.peerId, s.socketId);
    }
  } catch (e) {
    // The reaper fails them later; a sweep that could not finish changes nothing for this session.
    d.log.warn({ err: (e as Error).message, staleNode: node }, 'sweeping stale sessions failed');
  }
}
