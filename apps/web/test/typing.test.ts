// The typing line: who is listed, how they are named, and that silence or
// their message takes them off (issue 14 point 4).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TYPING_RETRY_MS, TYPING_SHOWN_MS, TypingState, typingLine } from '../src/lib/state/typing.svelte.ts';

describe('typing line', () => {
  it('names one or two people and counts more as several', () => {
    expect(typingLine([])).toBe('');
    expect(typingLine(['Ann'])).toBe('Ann is typing…');
    expect(typingLine(['Ann', 'Ben'])).toBe('Ann and Ben are typing…');
    expect(typingLine(['Ann', 'Ben', 'Cat'])).toBe('Several people are typing…');
    expect(typingLine(['Ann', 'Ann'])).toBe('Ann is typing…');
  });
});

describe('TypingState', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lists a typer until its silence lasts the shown time, per group', () => {
    const t = new TypingState();
    t.heard('g1', 'p-ann', 'Ann');
    t.heard('g1', 'p-ben', 'Ben');
    expect(t.line('g1')).toBe('Ann and Ben are typing…');
    expect(t.line('g2')).toBe('');
    vi.advanceTimersByTime(TYPING_SHOWN_MS - 1000);
    t.heard('g1', 'p-ann', 'Ann'); // Ann types on: her time starts again
    vi.advanceTimersByTime(1000);
    expect(t.line('g1')).toBe('Ann is typing…');
    vi.advanceTimersByTime(TYPING_SHOWN_MS);
    expect(t.line('g1')).toBe('');
  });

  it('takes a typer off when its message arrives', () => {
    const t = new TypingState();
    t.heard('g1', 'p-ann', 'Ann');
    t.stopped('g1', 'p-ann');
    expect(t.line('g1')).toBe('');
    t.clear();
  });

  it('names typers as the group labels them: namesakes apart, two tabs of one person once', () => {
    const t = new TypingState();
    t.heard('g1', 'p-alice', 'Alice');
    t.heard('g1', 'p-other-alice', 'Alice');
    expect(t.line('g1')).toBe('Alice is typing…'); // without the group's labels two people read as one
    const keyOf: Record<string, string> = {
      'p-alice': '3f9a·c2',
      'p-alice-tab2': '3f9a·c2',
      'p-other-alice': '77d0·1e',
    };
    const label = (from: string, name: string): string => `${name} (${keyOf[from]})`;
    expect(t.line('g1', label)).toBe('Alice (3f9a·c2) and Alice (77d0·1e) are typing…');
    t.stopped('g1', 'p-other-alice');
    t.heard('g1', 'p-alice-tab2', 'Alice');
    expect(t.line('g1', label)).toBe('Alice (3f9a·c2) is typing…');
    t.clear();
  });

  it('says our typing again once when the runtime refused it (a marker went out under a second ago)', () => {
    const t = new TypingState();
    const gateOpenAt = 1000; // the message just sent carried a typing marker at 0
    let now = 0;
    const sent: number[] = [];
    const send = (): boolean => {
      if (now < gateOpenAt) return false;
      sent.push(now);
      return true;
    };
    t.say(send);
    t.say(send); // a second keystroke while the retry waits adds none
    expect(sent).toEqual([]);
    now = TYPING_RETRY_MS;
    vi.advanceTimersByTime(TYPING_RETRY_MS);
    expect(sent).toEqual([TYPING_RETRY_MS]);
    vi.advanceTimersByTime(10 * TYPING_RETRY_MS);
    expect(sent).toHaveLength(1);
    t.say(send); // taken at once: no retry
    expect(sent).toHaveLength(2);
    t.clear();
  });
});
