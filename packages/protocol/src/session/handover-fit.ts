// The joiner state a sponsor hands over rides on a history page, and it
// carries the sponsor's unstable messages, so after a burst of long messages
// it can outgrow a frame by itself. Here it is cut to fit; the page reader
// (packages/peer session/history-pages.ts) gives it a page of its own.

import type { JoinerState } from '../wire/frames.ts';
import { MAX_FRAME_BYTES } from '../wire/caps.ts';
import { utf8ByteLength } from '../wire/utf8.ts';

/** The largest hand-over state: a frame less room for the page around it. */
export const MAX_STATE_BYTES = MAX_FRAME_BYTES - 64 * 1024;

/**
 * The state cut to MAX_STATE_BYTES: its oldest unstable messages go first
 * (the most likely to be stable already). Returns how many were cut.
 */
export function fitState(state: JoinerState): { readonly state: JoinerState; readonly cut: number } {
  const unstable = state.unstable ?? [];
  let size = utf8ByteLength(JSON.stringify(state));
  if (size <= MAX_STATE_BYTES) return { state, cut: 0 };
  let cut = 0;
  while (cut < unstable.length && size > MAX_STATE_BYTES) {
    size -= utf8ByteLength(JSON.stringify(unstable[cut])) + 1;
    cut += 1;
  }
  return { state: { ...state, unstable: unstable.slice(cut) }, cut };
}
