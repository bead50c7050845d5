// A terminal says a running count (error events of one topic) once, and
// everything else every time.
import { describe, expect, it } from 'vitest';
import { firstOfTopic } from '../src/error-topics.ts';

describe('firstOfTopic', () => {
  it('passes the first event of each topic and every event without one', () => {
    const show = firstOfTopic();
    const shown = [
      { message: 'Refused 1 chunk from Mallory', topic: 'a' },
      { message: 'Refused 2 chunks from Mallory', topic: 'a' },
      { message: 'Mallory is not asked again' },
      { message: 'Refused 3 chunks from Mallory', topic: 'a' },
      { message: 'Refused 1 chunk from Trudy', topic: 'b' },
      { message: 'Mallory is not asked again' },
    ].filter(show);
    expect(shown.map((e) => e.message)).toEqual([
      'Refused 1 chunk from Mallory',
      'Mallory is not asked again',
      'Refused 1 chunk from Trudy',
      'Mallory is not asked again',
    ]);
  });

  it('forgets the oldest topics past its bound, so a long run holds a bounded set', () => {
    const show = firstOfTopic();
    for (let i = 0; i <= 1_000; i++) expect(show({ topic: `t${i}` })).toBe(true);
    expect(show({ topic: 't1000' })).toBe(false);
    expect(show({ topic: 't0' })).toBe(true);
  });
});
