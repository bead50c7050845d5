// Who takes part in a view change and who joins by it, as pure functions of
// the view the tracker sent. Every member computes the same answer from the
// same view, so nobody waits for a FLUSH that never comes. Which old member a
// joiner asks for history is the session's (session/policy.ts `sponsorOrder`).

import { comparePeerIds } from '../ids.ts';
import type { PeerId } from '../ids.ts';
import type { View } from '../tracker/events.ts';

/** Members of `view` that were not added by it: they send a FLUSH for it. */
export const flushParticipants = (view: View): PeerId[] => {
  const joined = new Set(view.changes.filter((c) => c.change === 'joined').map((c) => c.peerId));
  return view.members
    .map((m) => m.peerId)
    .filter((p) => !joined.has(p))
    .sort(comparePeerIds);
};

/** Members added by `view` (they get history and state from the sponsor). */
export const joinersOf = (view: View): PeerId[] => {
  const inView = new Set(view.members.map((m) => m.peerId));
  return view.changes
    .filter((c) => c.change === 'joined' && inView.has(c.peerId))
    .map((c) => c.peerId)
    .sort(comparePeerIds);
};
