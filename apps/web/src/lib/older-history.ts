// What the top of a group's log says about its older history (PROTOCOL.md §4):
// a joiner is a member with the newest page while older pages still arrive,
// and a backfill can stop with no member online left to hand the rest.

import type { OlderHistory } from '@chorus/peer';

export const LOADING_OLDER = 'Loading older messages…';
export const OLDER_MISSING = 'Older messages could not be loaded: nobody online has them';

/** The status line's text; empty when the group's history is whole (nothing to say). */
export const olderHistoryText = (state: OlderHistory): string =>
  state === 'arriving' ? LOADING_OLDER : state === 'missing' ? OLDER_MISSING : '';
