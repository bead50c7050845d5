// Mentions (docs/design.md §6): who a message names with `@`.
import { describe, expect, it } from 'vitest';
import { mentionQuery, mentions, suggestNames } from '../src/lib/mentions.ts';

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

describe('mentionQuery and suggestNames', () => {
  it('finds the @word before the caret, not an address', () => {
    expect(mentionQuery('hi @al')).toEqual({ start: 3, query: 'al' });
    expect(mentionQuery('@')).toEqual({ start: 0, query: '' });
    expect(mentionQuery('mail bob@al')).toBeNull();
    expect(mentionQuery('@al done')).toBeNull();
  });
  it('offers names starting with the query first, once each', () => {
    expect(suggestNames(['Carol', 'Alice', 'Malia', 'Alice'], 'al')).toEqual(['Alice', 'Malia']);
    expect(suggestNames(['Bob', 'Alice'], '')).toEqual(['Alice', 'Bob']);
  });
});
