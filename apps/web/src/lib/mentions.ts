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
    const before = i === 0 ? '' : t[i - 1] ?? '';
    const after = t[i + n.length] ?? '';
    if (!WORD.test(before) && !WORD.test(after)) return true;
  }
  return false;
}
