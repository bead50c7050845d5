// Mentions (docs/design.md §6): `@<display name>` in a message's text names
// that person. Case-insensitive; the name must stand alone (not inside a word
// or a longer name: `@Al` does not mention Alice).

const WORD = /[\p{L}\p{N}_]/u;

/** Whether `text` mentions `name` (`@name`, standing alone). */
export function mentions(text: string, name: string): boolean {
  const n = `@${name.trim().toLocaleLowerCase()}`;
  if (n.length < 2) return false;
  const t = text.toLocaleLowerCase();
  for (let i = t.indexOf(n); i >= 0; i = t.indexOf(n, i + 1)) {
    const before = i === 0 ? '' : (t[i - 1] ?? '');
    const after = t[i + n.length] ?? '';
    if (!WORD.test(before) && !WORD.test(after)) return true;
  }
  return false;
}

/** Names offered at most while typing `@`. */
export const MAX_SUGGESTIONS = 8;

/** The `@word` being typed just before the caret: where its `@` is and what follows it; null when none. */
export function mentionQuery(beforeCaret: string): { readonly start: number; readonly query: string } | null {
  const m = /(^|\s)@([^\s@]*)$/u.exec(beforeCaret);
  if (!m) return null;
  return { start: m.index + (m[1] ?? '').length, query: m[2] ?? '' };
}

/** Distinct names starting with `query` (case-insensitive), then those containing it, each part sorted. */
export function suggestNames(names: readonly string[], query: string): string[] {
  const q = query.toLocaleLowerCase();
  const distinct = [...new Set(names)].sort((a, b) => a.localeCompare(b));
  const starts = distinct.filter((n) => n.toLocaleLowerCase().startsWith(q));
  const contains = distinct.filter((n) => !n.toLocaleLowerCase().startsWith(q) && n.toLocaleLowerCase().includes(q));
  return [...starts, ...contains].slice(0, MAX_SUGGESTIONS);
}
