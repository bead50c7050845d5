// Order keys: the sortable strings a delivered message is stored and merged
// under. Pure encoding; which key a message gets is decided by the engine.

import type { PeerId } from '../ids.ts';
import type { Priority } from '../wire/frames.ts';

/** Digits of Number.MAX_SAFE_INTEGER (9007199254740991): every valid number fits zero-padded. */
export const ORDER_KEY_DIGITS = 16;

const pad = (n: number): string => String(n).padStart(ORDER_KEY_DIGITS, '0');

/**
 * Total order: the group's incarnation (the view it last started afresh in,
 * PROTOCOL.md §3.11), then the agreed (p, by) — identical on every member of
 * that incarnation. Incarnations sort one after the other, so a group that
 * emptied and started again never interleaves its new log with the old one.
 */
export const totalOrderKey = (incarnation: number, agreed: Priority): string =>
  `${pad(incarnation)}:${pad(agreed.p)}:${agreed.by}`;

/** The parts of a total-order key, or null for anything else (a FIFO key, a key from before incarnations). */
export const parseTotalOrderKey = (
  key: string,
): { readonly incarnation: number; readonly p: number; readonly by: string } | null => {
  const d = ORDER_KEY_DIGITS;
  if (key.length < 2 * d + 3 || key[d] !== ':' || key[2 * d + 1] !== ':') return null;
  const incarnation = Number(key.slice(0, d));
  const p = Number(key.slice(d + 1, 2 * d + 1));
  if (!/^\d+$/.test(key.slice(0, d)) || !/^\d+$/.test(key.slice(d + 1, 2 * d + 1))) return null;
  if (!Number.isSafeInteger(incarnation) || !Number.isSafeInteger(p)) return null;
  return { incarnation, p, by: key.slice(2 * d + 2) };
};

/** FIFO groups: a display and merge order only; per-sender order is the guarantee. */
export const fifoOrderKey = (lamport: number, sender: PeerId, seq: number): string =>
  `${pad(lamport)}:${sender}:${pad(seq)}`;
