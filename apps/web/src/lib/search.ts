// Search in the stored history (docs/design.md §6, "Search"): which messages
// of a run read from the store match a query, as they show now (the group's
// operations folded: an edit's text is searched, a deleted message is not,
// an operation is never a result itself). Pure: the store is read by the caller.

import type { StoredMessage } from '@chorus/peer';
import { OpFold, type GroupId, type MessageId } from '@chorus/protocol/light';

/** Shorter queries match nearly everything: nothing is searched below this. */
export const SEARCH_MIN_CHARS = 2;
/** Characters of a result's snippet at most (around the match). */
export const SNIPPET_CHARS = 80;

export interface SearchMatch {
  readonly item: StoredMessage;
  readonly id: MessageId;
  readonly text: string;
  readonly snippet: string;
}

/** Case-insensitive, whitespace-collapsed form of a query; null when too short to search. */
export function normalizeQuery(raw: string): string | null {
  const q = raw.trim().replace(/\s+/gu, ' ').toLocaleLowerCase();
  return [...q].length >= SEARCH_MIN_CHARS ? q : null;
}

/** Where `query` (normalized) is in `text`, case-insensitively; -1 when it is not. */
export function matchAt(text: string, query: string): number {
  return text.replace(/\s/gu, ' ').toLocaleLowerCase().indexOf(query);
}

/** A line of at most SNIPPET_CHARS around the match, with … where it was cut. */
export function snippetOf(text: string, at: number, length: number): string {
  const flat = text.replace(/\s+/gu, ' ');
  if (flat.length <= SNIPPET_CHARS) return flat;
  const center = Math.max(0, Math.min(at, flat.length - 1));
  const start = Math.max(0, Math.min(center - Math.floor((SNIPPET_CHARS - length) / 2), flat.length - SNIPPET_CHARS));
  const end = start + SNIPPET_CHARS;
  return `${start > 0 ? '…' : ''}${flat.slice(start, end).trim()}${end < flat.length ? '…' : ''}`;
}

/**
 * The messages of `items` (one group's, any order) whose current text
 * contains `query` (normalized), newest first, at most `limit`.
 */
export function searchItems(
  groupId: GroupId,
  items: readonly StoredMessage[],
  query: string,
  limit: number,
): SearchMatch[] {
  const sorted = [...items].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const fold = new OpFold(groupId);
  for (const item of sorted)
    fold.add({
      id: item.id,
      sender: item.frame.sender,
      ...(item.senderKey === undefined ? {} : { senderKey: item.senderKey }),
      order: item.order,
      body: item.frame.body,
    });
  const out: SearchMatch[] = [];
  for (let i = sorted.length - 1; i >= 0 && out.length < limit; i--) {
    const item = sorted[i] as StoredMessage;
    if (!fold.isMessage(item.id)) continue;
    const view = fold.view(item.id);
    if (!view || view.deleted) continue;
    const at = matchAt(view.text, query);
    if (at < 0) continue;
    out.push({ item, id: item.id, text: view.text, snippet: snippetOf(view.text, at, query.length) });
  }
  return out;
}

/**
 * The directory as listed: names containing `filter` (case-insensitive; all
 * when blank), groups with people online first, each part by name (a
 * count changing does not reorder the list, only someone arriving or the last one leaving).
 */
export function filterDirectory<G extends { readonly name: string; readonly online: number }>(
  groups: readonly G[],
  filter: string,
): G[] {
  const f = filter.trim().toLocaleLowerCase();
  return groups
    .filter((g) => f === '' || g.name.toLocaleLowerCase().includes(f))
    .sort((a, b) => (b.online > 0 ? 1 : 0) - (a.online > 0 ? 1 : 0) || a.name.localeCompare(b.name));
}
