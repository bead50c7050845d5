// A small, safe markdown subset for message bodies: **bold**,
// *italic* / _italic_, `inline code`, ```code blocks``` and bare http(s)
// links. It is a tokenizer that returns plain data — text, never markup — which
// MessageBody.svelte turns into Svelte nodes; nothing a member sends is ever
// parsed as HTML (`<script>` stays the text "<script>").
//
// Rules, chosen to surprise nobody who types ordinary text:
// - A code block runs from ``` to the next ```; an unclosed one is plain text.
//   Inside code (block or inline) nothing else is interpreted.
// - Inline code runs from ` to the next ` on the same line.
// - A link is a bare `http://` or `https://` address (never `[text](url)`, so the
//   text shown is always the address it opens), up to whitespace, a quote,
//   `<`, `>`, a backtick or a backslash (which the URL parser would read as
//   `/`, so the host shown would not be the host opened); trailing
//   punctuation (`.,;:!?'"`, emphasis markers `*` `_`, an unbalanced `)` or
//   `]`) is left out. Anything the
//   URL parser refuses, or whose protocol is not http(s), stays text.
// - Emphasis does not cross a line. An opener is followed by a non-space, a
//   closer preceded by one; `_`/`*` italics need a non-word character (or the
//   edge) outside, so `snake_case_name` and `2*3*4` stay as typed. Unclosed
//   markers are plain text. Emphasis nests at most MAX_DEPTH deep.

export type Inline =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'link'; readonly href: string; readonly text: string }
  | { readonly kind: 'strong'; readonly children: readonly Inline[] }
  | { readonly kind: 'em'; readonly children: readonly Inline[] };

export type Block =
  | { readonly kind: 'codeblock'; readonly text: string }
  | { readonly kind: 'inline'; readonly children: readonly Inline[] };

const FENCE = '```';
const MAX_DEPTH = 3;
const TRAILING_PUNCT = /[.,;:!?'"*_]/u;
const WORD = /[\p{L}\p{N}_]/u;

/** The body as blocks: code blocks, and runs of text with inline markup. */
export function parseBody(body: string): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < body.length) {
    const open = body.indexOf(FENCE, i);
    const close = open < 0 ? -1 : body.indexOf(FENCE, open + FENCE.length);
    if (open < 0 || close < 0) {
      pushInline(blocks, body.slice(i));
      break;
    }
    if (open > i) pushInline(blocks, body.slice(i, open));
    blocks.push({ kind: 'codeblock', text: trimFenceNewlines(body.slice(open + FENCE.length, close)) });
    i = close + FENCE.length;
  }
  return blocks;
}

/** Inline markup of one run of text (no code blocks in it). */
export function parseInline(text: string): Inline[] {
  return new InlineParser(text).parse(0, text.length, 0);
}

/** The text a person reads, markers removed: what a screen reader or a test sees. */
export function plainText(blocks: readonly Block[]): string {
  const inline = (nodes: readonly Inline[]): string =>
    nodes.map((n) => (n.kind === 'strong' || n.kind === 'em' ? inline(n.children) : n.text)).join('');
  return blocks.map((b) => (b.kind === 'codeblock' ? b.text : inline(b.children))).join('');
}

function pushInline(blocks: Block[], text: string): void {
  if (text.length > 0) blocks.push({ kind: 'inline', children: parseInline(text) });
}

/**
 * ```\ncode\n``` shows as "code": the newline after the opening fence and before the closing one belong to the fences.
 */
function trimFenceNewlines(text: string): string {
  return text.replace(/^\r?\n/u, '').replace(/\r?\n$/u, '');
}

/** An atom: a span emphasis markers cannot cut (inline code, a link). */
interface Atom {
  readonly start: number;
  readonly end: number;
  readonly node: Inline;
}

class InlineParser {
  readonly #s: string;
  /** Atoms by their start index. */
  readonly #atoms = new Map<number, Atom>();
  /** For every index inside an atom, true (markers there are not markers). */
  readonly #covered: boolean[];

  constructor(s: string) {
    this.#s = s;
    this.#covered = new Array<boolean>(s.length).fill(false);
    for (let i = 0; i < s.length;) {
      const atom = this.#codeAt(i) ?? this.#linkAt(i);
      if (!atom) {
        i++;
        continue;
      }
      this.#atoms.set(i, atom);
      for (let k = atom.start; k < atom.end; k++) this.#covered[k] = true;
      i = atom.end;
    }
  }

  parse(from: number, to: number, depth: number): Inline[] {
    const out: Inline[] = [];
    let text = '';
    const flush = (): void => {
      if (text) out.push({ kind: 'text', text });
      text = '';
    };
    let i = from;
    while (i < to) {
      const atom = this.#atoms.get(i);
      if (atom && atom.end <= to) {
        flush();
        out.push(atom.node);
        i = atom.end;
        continue;
      }
      const emphasis = depth < MAX_DEPTH ? this.#emphasisAt(i, to) : null;
      if (emphasis) {
        flush();
        const children = this.parse(emphasis.innerStart, emphasis.innerEnd, depth + 1);
        out.push(emphasis.strong ? { kind: 'strong', children } : { kind: 'em', children });
        i = emphasis.end;
        continue;
      }
      text += this.#s[i];
      i++;
    }
    flush();
    return out;
  }

  #codeAt(i: number): Atom | null {
    const s = this.#s;
    if (s[i] !== '`') return null;
    const close = s.indexOf('`', i + 1);
    if (close < 0 || close === i + 1) return null;
    const text = s.slice(i + 1, close);
    if (text.includes('\n')) return null;
    return { start: i, end: close + 1, node: { kind: 'code', text } };
  }

  #linkAt(i: number): Atom | null {
    const s = this.#s;
    if (i > 0 && WORD.test(s[i - 1] ?? '')) return null; // "xhttp://" is not a link
    const m = /^https?:\/\/[^\s<>"`\\/][^\s<>"`\\]*/iu.exec(s.slice(i, i + 2048));
    if (!m) return null;
    let url = m[0];
    for (;;) {
      const last = url.at(-1) ?? '';
      if (TRAILING_PUNCT.test(last)) url = url.slice(0, -1);
      else if (last === ')' && count(url, '(') < count(url, ')')) url = url.slice(0, -1);
      else if (last === ']' && count(url, '[') < count(url, ']')) url = url.slice(0, -1);
      else break;
    }
    let href: string;
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
      if (parsed.host === '') return null;
      href = parsed.href;
    } catch {
      return null;
    }
    return { start: i, end: i + url.length, node: { kind: 'link', href, text: url } };
  }

  #emphasisAt(i: number, to: number): { strong: boolean; innerStart: number; innerEnd: number; end: number } | null {
    const s = this.#s;
    const c = s[i];
    if ((c !== '*' && c !== '_') || this.#covered[i]) return null;
    const strong = c === '*' && s[i + 1] === '*';
    const width = strong ? 2 : 1;
    const after = s[i + width] ?? '';
    if (after === '' || /\s/u.test(after) || after === c) return null;
    if (!strong && i > 0 && WORD.test(s[i - 1] ?? '')) return null;
    for (let k = i + width + 1; k + width <= to; k++) {
      const ch = s[k];
      if (ch === '\n') return null;
      if (ch !== c || this.#covered[k]) continue;
      if (strong && s[k + 1] !== '*') continue;
      if (/\s/u.test(s[k - 1] ?? ' ')) continue;
      if (!strong && WORD.test(s[k + 1] ?? '')) continue;
      if (!strong && (s[k + 1] === c || s[k - 1] === c)) continue; // one of a "**" pair, not an italic closer
      return { strong, innerStart: i + width, innerEnd: k, end: k + width };
    }
    return null;
  }
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}
