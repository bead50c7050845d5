// Mentions (docs/design.md §6): who a message names with `@`.
import { describe, expect, it } from 'vitest';
import { mentions } from '../src/lib/mentions.ts';

describe('mentions', () => {
  it('finds @name anywhere, case-insensitively, with punctuation around it', () => {
    expect(mentions('@alice look', 'Alice')).toBe(true);
    expect(mentions('thanks, @Alice!', 'Alice')).toBe(true);
    expect(mentions('(@ALICE)', 'Alice')).toBe(true);
    expect(mentions('hi @Ann Lee, welcome', 'Ann Lee')).toBe(true);
  });

  it('does not take a name inside a word, a longer name or without @', () => {
    expect(mentions('@Alicia', 'Alice')).toBe(false);
    expect(mentions('@Al is here', 'Alice')).toBe(false);
    expect(mentions('mail bob@alice', 'Alice')).toBe(false);
    expect(mentions('alice, hi', 'Alice')).toBe(false);
    expect(mentions('@Alicia and @alice', 'Alice')).toBe(true);
    expect(mentions('@ alone', '')).toBe(false);
  });
});
