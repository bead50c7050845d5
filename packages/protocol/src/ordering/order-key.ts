// Order keys: the sortable strings a delivered message is stored and merged
// under. Pure encoding; which key a message gets is decided by the engine.

import type { PeerId } from '../ids.ts';
import type { Priority } from '../wire/frames.ts';

/** Digits of Number.MAX_SAFE_INTEGER (9007199254740991): every valid number fits zero-padded. */
export const ORDER_KEY_DIGITS = 16;

const pad = (n: number): string => String(n).padStart(ORDER_KEY_DIGITS, '0');

/** Total order: the agreed (p, by), identical on every member. */
export const totalOrderKey = (agreed: Priority): string => `${pad(agreed.p)}:${agreed.by}`;

/** FIFO groups: a display and merge order only; per-sender order is the guarantee. */
export const fifoOrderKey = (lamport: number, sender: PeerId, seq: number): string =>
  `${pad(lamport)}:${sender}:${pad(seq)}`;
