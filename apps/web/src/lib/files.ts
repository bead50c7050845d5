// What the page shows of a file (docs/design.md §6 "Files and images"): its
// name made safe to show, sizes and rates in binary units, which bytes are
// shown inline as a picture. Pure functions: no DOM, no runtime.

import type { ChatMessage, FileInfo } from '@chorus/peer';
import { isOpBody, parseBody } from '@chorus/protocol/light';

/**
 * The file a message carries, or null: the runtime's `message.file`, else read
 * from the body (a message the page read from the store itself has only that).
 */
export function fileOf(message: ChatMessage): FileInfo | null {
  if (message.file) return message.file;
  if (!isOpBody(message.body)) return null;
  const parsed = parseBody(message.body, message.groupId);
  return parsed.kind === 'file' ? parsed.file : null;
}

const KIB = 1024;
const MIB = KIB * 1024;
const GIB = MIB * 1024;

/** Longest name shown (code points); the rest is cut with an ellipsis, keeping the extension. */
export const MAX_SHOWN_NAME = 120;

/**
 * A file name as the page shows it and saves it: the last part of any path
 * (a sender's `../../x` or `C:\x` is `x`), without control characters,
 * direction overrides or invisible characters (which could make
 * `exe.txt` read `txt.exe`), trimmed, at most MAX_SHOWN_NAME code points, never
 * empty. It is text: Svelte renders it as a text node, never as markup.
 */
export function safeFileName(raw: string): string {
  const last = raw.split(/[/\\]/u).pop() ?? '';
  const clean = last
    .replace(/\s+/gu, ' ')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .replace(/^\.+/u, '');
  const chars = [...clean];
  if (chars.length === 0) return 'file';
  if (chars.length <= MAX_SHOWN_NAME) return clean;
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : '';
  return `${chars.slice(0, MAX_SHOWN_NAME - [...ext].length - 1).join('')}…${ext}`;
}

/** `512 B`, `1.5 KiB`, `20 MiB`, `1.25 GiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  if (n < KIB) return `${Math.round(n)} B`;
  const [value, unit, digits] = n < MIB ? [n / KIB, 'KiB', 1] : n < GIB ? [n / MIB, 'MiB', 1] : [n / GIB, 'GiB', 2];
  return `${value.toFixed(digits).replace(/\.0+$/u, '')} ${unit}`;
}

/** Bytes per second as `1.2 MiB/s` (`–` when unknown). */
export function formatRate(bytesPerSec: number): string {
  return Number.isFinite(bytesPerSec) && bytesPerSec >= 0 ? `${formatBytes(bytesPerSec)}/s` : '–';
}

/** `3.2 MiB of 20.0 MiB`, with the rate when there is one. */
export function progressText(done: number, total: number, bytesPerSec?: number): string {
  const amount = `${formatBytes(done)} of ${formatBytes(total)}`;
  return bytesPerSec === undefined ? amount : `${amount} · ${formatRate(bytesPerSec)}`;
}

/**
 * The picture type the bytes are, from their first bytes (the declared type
 * is the sender's word), or null when they are none of the inline formats.
 */
export function sniffImage(bytes: Uint8Array): string | null {
  const at = (i: number, ...want: number[]): boolean => want.every((b, k) => bytes[i + k] === b);
  const ascii = (i: number, text: string): boolean => at(i, ...[...text].map((c) => c.charCodeAt(0)));
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'image/gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'image/webp';
  if (ascii(4, 'ftypavif') || ascii(4, 'ftypavis')) return 'image/avif';
  if (ascii(0, 'BM') && bytes.length > 26) return 'image/bmp';
  return null;
}

/** The type as the card shows it: the declared MIME type, or `unknown type`. */
export function shownType(type: string): string {
  const t = type.trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/u.test(t) ? t : 'unknown type';
}

/** Mebibytes as bytes. */
export const mib = (n: number): number => Math.round(n * MIB);

/** The sentence the composer shows for a file over the cap. */
export function tooBigText(name: string, size: number, cap: number): string {
  return `Not attached: ${safeFileName(name)} is ${formatBytes(size)}; a file may be at most ${formatBytes(cap)}.`;
}
