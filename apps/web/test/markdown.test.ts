// The message-body markdown subset: what it renders, and that hostile or
// broken input stays text (nothing becomes markup, no link but http(s)).
import { describe, expect, it } from 'vitest';
import { parseBody, parseInline, plainText, type Block, type Inline } from '../src/lib/markdown.ts';

const text = (t: string): Inline => ({ kind: 'text', text: t });
const link = (url: string): Inline => ({ kind: 'link', href: new URL(url).href, text: url });

/** Every link href in the parse tree. */
function hrefs(blocks: readonly Block[]): string[] {
  const walk = (nodes: readonly Inline[]): string[] =>
    nodes.flatMap((n) =>
      n.kind === 'link' ? [n.href] : n.kind === 'strong' || n.kind === 'em' ? walk(n.children) : [],
    );
  return blocks.flatMap((b) => (b.kind === 'inline' ? walk(b.children) : []));
}

describe('markdown subset', () => {
  it('plain text is one text node, as typed', () => {
    expect(parseBody('hello, world\nsecond line')).toEqual([
      { kind: 'inline', children: [text('hello, world\nsecond line')] },
    ]);
    expect(parseBody('')).toEqual([]);
  });

  it('bold, italic and inline code', () => {
    expect(parseInline('a **bold** b *it* c _it2_ d `x <y>`')).toEqual([
      text('a '),
      { kind: 'strong', children: [text('bold')] },
      text(' b '),
      { kind: 'em', children: [text('it')] },
      text(' c '),
      { kind: 'em', children: [text('it2')] },
      text(' d '),
      { kind: 'code', text: 'x <y>' },
    ]);
  });

  it('nests emphasis and keeps code literal inside it', () => {
    expect(parseInline('*a **b** c*')).toEqual([
      { kind: 'em', children: [text('a '), { kind: 'strong', children: [text('b')] }, text(' c')] },
    ]);
    expect(parseInline('**see `*not em*`**')).toEqual([
      { kind: 'strong', children: [text('see '), { kind: 'code', text: '*not em*' }] },
    ]);
  });

  it('code blocks keep their text verbatim, markers and all', () => {
    expect(parseBody('before\n```\nconst a = **b** * c;\n<script>x</script>\n```\nafter')).toEqual([
      { kind: 'inline', children: [text('before\n')] },
      { kind: 'codeblock', text: 'const a = **b** * c;\n<script>x</script>' },
      { kind: 'inline', children: [text('\nafter')] },
    ]);
  });

  it('unclosed or stray markers stay text', () => {
    for (const s of [
      '**not closed',
      '*not closed',
      '`not closed',
      '```\nnot closed',
      'a * b * c',
      '** spaced **',
      '_ x _',
      '****',
      '``',
      '* *',
    ]) {
      const blocks = parseBody(s);
      expect(plainText(blocks), s).toBe(s);
      expect(
        blocks.every((b) => b.kind === 'inline' && b.children.every((n) => n.kind === 'text')),
        s,
      ).toBe(true);
    }
  });

  it('intraword underscores and arithmetic are not emphasis', () => {
    expect(parseInline('snake_case_name and 2*3*4')).toEqual([text('snake_case_name and 2*3*4')]);
  });

  it('emphasis does not cross a line', () => {
    expect(parseInline('*one\ntwo*')).toEqual([text('*one\ntwo*')]);
  });

  it('bare http(s) links, without trailing punctuation', () => {
    expect(parseInline('see https://example.com/a_b_c?x=1&y=2. And (http://example.org/wiki/X_(y)).')).toEqual([
      text('see '),
      link('https://example.com/a_b_c?x=1&y=2'),
      text('. And ('),
      link('http://example.org/wiki/X_(y)'),
      text(').'),
    ]);
  });

  it('a link inside bold stays one link', () => {
    expect(parseInline('**https://example.com/x**')).toEqual([
      { kind: 'strong', children: [link('https://example.com/x')] },
    ]);
  });

  it('no scheme but http(s) ever becomes a link', () => {
    const hostile = [
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      '[click](javascript:alert(1))',
      'file:///etc/passwd',
      'xhttps://example.com',
      'https://',
      'http:///nohost',
      'https:// spaced',
      'https://\\evil.example',
    ];
    for (const s of hostile) expect(hrefs(parseBody(s)), s).toEqual([]);
    expect(plainText(parseBody('[click](javascript:alert(1))'))).toBe('[click](javascript:alert(1))');
    // No link syntax: a link's text is always the address it opens.
    expect(parseInline('[x](https://evil.example)')).toEqual([text('[x]('), link('https://evil.example'), text(')')]);
  });

  it('HTML is text: a script tag or an event handler comes back as the characters typed', () => {
    const s = '<script>alert(1)</script><img src=x onerror=alert(1)> **<b>bold?</b>**';
    const blocks = parseBody(s);
    expect(plainText(blocks)).toBe('<script>alert(1)</script><img src=x onerror=alert(1)> <b>bold?</b>');
    expect(blocks).toEqual([
      {
        kind: 'inline',
        children: [
          text('<script>alert(1)</script><img src=x onerror=alert(1)> '),
          { kind: 'strong', children: [text('<b>bold?</b>')] },
        ],
      },
    ]);
  });

  it('a link stops before quotes and angle brackets', () => {
    expect(hrefs(parseBody('https://example.com/"onmouseover="alert(1)'))).toEqual(['https://example.com/']);
    expect(hrefs(parseBody('<https://example.com/a>'))).toEqual(['https://example.com/a']);
    // The URL parser reads "\\" as "/": the link ends there, so the host shown is the host opened.
    expect(hrefs(parseBody('https://example.com\\@evil.example'))).toEqual(['https://example.com/']);
  });

  it('deep nesting stops at a bounded depth and long hostile input stays linear enough', () => {
    const deep = '*_**'.repeat(50) + 'x' + '**_*'.repeat(50);
    expect(plainText(parseBody(deep)).replace(/[*_]/g, '')).toBe('x');
    const stars = '*a '.repeat(1300);
    expect(plainText(parseBody(stars))).toBe(stars);
  });
});
