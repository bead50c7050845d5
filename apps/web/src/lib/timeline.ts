// Turns a group's messages, system lines and command notes into what the log
// shows: one list in log order with a day separator wherever the local date
// changes. Messages keep the group's log order (the order key, identical on
// every member for total order); system lines and notes are placed by time
// among them, because they are local observations, not part of the log.
// This is the definition; the page keeps the same thing up to date change by
// change in log-index.ts (and its tests hold the two equal).

import type { ChatMessage, SystemLine } from '@chorus/peer';

export interface Note {
  readonly id: string;
  readonly at: number;
  readonly text: string;
  readonly tone: 'info' | 'error';
}

export type TimelineItem =
  | { readonly kind: 'day'; readonly key: string; readonly label: string }
  | { readonly kind: 'message'; readonly key: string; readonly message: ChatMessage }
  | { readonly kind: 'system'; readonly key: string; readonly line: SystemLine }
  | { readonly kind: 'note'; readonly key: string; readonly note: Note };

type Entry = Exclude<TimelineItem, { kind: 'day' }>;

export function compareMessages(a: ChatMessage, b: ChatMessage): number {
  // Delivered before pending ('~' sorts after every order key), then by order key (then id, so no tie is left to
  // chance).
  return a.order < b.order ? -1 : a.order > b.order ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function buildTimeline(
  messages: readonly ChatMessage[],
  system: readonly SystemLine[],
  notes: readonly Note[],
  now: number,
): TimelineItem[] {
  const sorted = [...messages].sort(compareMessages);
  const asides: Entry[] = [
    ...system.map((line, i): Entry => ({ kind: 'system', key: `s${i}`, line })),
    ...notes.map((note): Entry => ({ kind: 'note', key: `n${note.id}`, note })),
  ].sort((a, b) => timeOf(a) - timeOf(b));

  const merged: Entry[] = [];
  let j = 0;
  for (const message of sorted) {
    while (j < asides.length && timeOf(asides[j]!) < message.sentAt) merged.push(asides[j++]!);
    merged.push({ kind: 'message', key: `m${message.id}`, message });
  }
  while (j < asides.length) merged.push(asides[j++]!);

  const out: TimelineItem[] = [];
  let day = '';
  for (const entry of merged) {
    const at = timeOf(entry);
    const key = dayKey(at);
    if (key !== day) {
      day = key;
      // Named after the entry it stands before: the same separator keeps its key in any part of the log.
      out.push({ kind: 'day', key: `d${key}:${entry.key}`, label: dayLabel(at, now) });
    }
    out.push(entry);
  }
  return out;
}

function timeOf(e: Entry): number {
  return e.kind === 'message' ? e.message.sentAt : e.kind === 'system' ? e.line.at : e.note.at;
}

/**
 * A time the Date range can show, or null. The wire refuses a sentAt past
 * MAX_SENT_AT_MS, but a record stored before that cap (IndexedDB) can still
 * hold one, and `toISOString()` throws on it: every label goes through here.
 */
function validDate(at: number): Date | null {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function dayKey(at: number): string {
  const d = validDate(at);
  return d === null ? 'unknown' : `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

// One formatter each, made once: `toLocaleTimeString(undefined, options)` builds
// a new Intl.DateTimeFormat on every call (about 0.5 ms in Chromium), which a log
// of a hundred messages paid on every render.
let timeFormat: Intl.DateTimeFormat | undefined;
let dayFormat: Intl.DateTimeFormat | undefined;

export function dayLabel(at: number, now: number): string {
  const key = dayKey(at);
  if (key === 'unknown') return 'Unknown date';
  if (key === dayKey(now)) return 'Today';
  if (key === dayKey(now - 86_400_000)) return 'Yesterday';
  dayFormat ??= new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
  return dayFormat.format(new Date(at));
}

export function timeLabel(at: number): string {
  const d = validDate(at);
  if (d === null) return '';
  timeFormat ??= new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  return timeFormat.format(d);
}

/** The `datetime` attribute of a <time>: undefined (no attribute) for a time outside the Date range. */
export function isoTime(at: number): string | undefined {
  return validDate(at)?.toISOString();
}
