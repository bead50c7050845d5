// Phase two of a join, as far as links go: waiting until a data channel to
// every member is open (re-reading the member list, giving up after a
// timeout, failing at once when TURN cannot work), and telling the user once
// when a relay-only link cannot get a TURN address. What belongs here: the
// joiner's wait for its links; the join sequence itself is peer.ts.

import type { GroupId, PeerId } from '@chorus/protocol';
import { ChorusError } from './chorus-error.ts';
import type { TrackerLink } from './tracker-link.ts';
import type { Transport } from './transport.ts';

/**
 * How long a joiner waits for data channels to every member before giving
 * up. ICE through STUN/TURN takes a few seconds at worst; the mesh's own
 * connect timeout is 10 s, so this leaves it room for one retry.
 */
export const LINKS_READY_TIMEOUT_MS = 25_000;
/** While a joiner waits for its links, it re-reads the member list this often (a member may die meanwhile). */
export const JOIN_MEMBERS_POLL_MS = 1_000;
/**
 * Links ready, a joiner looks this often whether the tracker's view with it has come (a push): a member
 * sooner than the next poll, which would add up to JOIN_MEMBERS_POLL_MS to every join.
 */
export const JOIN_INSTALLED_CHECK_MS = 10;

/**
 * Resolves once a data channel to every member is open. A joiner hears no
 * views, so it asks the tracker for the member list now and then: a member
 * that died meanwhile must not hold the join up until the timeout.
 */
export function waitForLinks(
  groupId: GroupId,
  peers: readonly PeerId[],
  tracker: TrackerLink,
  transport: Transport,
  timeoutMs: number,
): Promise<void> {
  let wanted = new Set(peers);
  return new Promise<void>((resolve, reject) => {
    const missing = (): PeerId[] => {
      const open = new Set(transport.openPeers(groupId));
      return [...wanted].filter((p) => !open.has(p));
    };
    const finish = (error: Error | null): void => {
      clearTimeout(timer);
      clearInterval(poll);
      off();
      offTurn();
      if (error) reject(error);
      else resolve();
    };
    let turnProblem = '';
    const timer = setTimeout(() => {
      const turn = turnProblem ? ` ${turnProblem}` : '';
      finish(
        new ChorusError(
          'timeout',
          `No data channel to ${missing().length} member(s) after ${timeoutMs / 1000} s; the group cannot be joined from this network.${turn}`,
        ),
      );
    }, timeoutMs);
    // Relay-only ICE without a TURN address cannot open any link: say so now, not at the timeout.
    const offTurn = transport.on('turn', (g, peer, problem) => {
      if (g !== groupId || !wanted.has(peer)) return;
      if (problem.fatal)
        finish(new ChorusError('turn', `No data channel to the group's members through TURN. ${problem.message}`));
      else turnProblem = problem.message;
    });
    const poll = setInterval(() => {
      tracker.members(groupId).then(
        (members) => {
          const now = new Set(members.map((m) => m.peerId));
          wanted = new Set([...wanted].filter((p) => now.has(p)));
          if (missing().length === 0) finish(null);
        },
        () => {},
      );
    }, JOIN_MEMBERS_POLL_MS);
    const off = transport.on('link', (g) => {
      if (g === groupId && missing().length === 0) finish(null);
    });
    if (missing().length === 0) finish(null);
  });
}

/** A relay-only link that cannot get a TURN address is told to the user once per join, naming TURN. */
export function onceTurnFails(groupId: GroupId, transport: Transport, tell: (message: string) => void): () => void {
  let told = false;
  return transport.on('turn', (g, _peer, problem) => {
    if (g !== groupId || !problem.fatal || told) return;
    told = true;
    tell(problem.message);
  });
}
