// Frames that pass the wire parser's shape checks, for transport tests. The
// signature is well-formed but not real: transports never verify signatures
// (the session does), so these exercise exactly what the mesh sees.

import type { DataFrame, GroupId, HistoryResponseFrame, PeerId } from '@chorus/protocol';
import { asViewId, GENESIS_PREV } from '@chorus/protocol';

export const FAKE_SIG = `${'A'.repeat(86)}==`;

export const dataFrame = (groupId: GroupId, sender: PeerId, seq: number, body = `m${seq}`): DataFrame => ({
  t: 'data',
  groupId,
  viewId: asViewId(1),
  sender,
  seq,
  lamport: seq,
  sentAt: 1_700_000_000_000 + seq,
  body,
  prev: GENESIS_PREV,
  sig: FAKE_SIG,
});

/** A history page of `items` full-length messages (~4 KiB each): big enough to need chunking. */
export const bigHistoryPage = (groupId: GroupId, sender: PeerId, items: number): HistoryResponseFrame => ({
  t: 'history-res',
  groupId,
  req: 1,
  items: Array.from({ length: items }, (_, i) => ({
    frame: dataFrame(groupId, sender, i + 1, `${i}:`.padEnd(4000, String.fromCharCode(97 + (i % 26)))),
    order: `o${String(i).padStart(8, '0')}`,
  })),
  done: true,
});
