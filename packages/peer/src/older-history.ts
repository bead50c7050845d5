// Waiting for a group's older history (PROTOCOL.md §4): a joiner is a member
// once the newest page and the state are in, and takes its older pages after
// that. A caller that needs the whole history before it reads (a client that
// joins for a moment to ask the members) waits here.

import type { GroupId } from '@chorus/protocol';
import type { ChorusPeer } from './api.ts';

/**
 * Resolves true once `groupId`'s older history is all in (or the group is no
 * longer joined), false when `timeoutMs` passes first.
 */
export function olderHistoryIn(peer: ChorusPeer, groupId: GroupId, timeoutMs: number): Promise<boolean> {
  const whole = (): boolean => peer.groups().find((g) => g.groupId === groupId)?.olderHistory !== true;
  if (whole()) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const finish = (done: boolean): void => {
      off();
      clearTimeout(timer);
      resolve(done);
    };
    const off = peer.on('group', () => {
      if (whole()) finish(true);
    });
    const timer = setTimeout(() => finish(false), timeoutMs);
  });
}
