// The log's shape: log order by order key, day separators where the local
// date changes, system lines placed by time among the messages.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, SystemLine } from '@chorus/peer';
import type { GroupId, MessageId, PeerId, ViewId } from '@chorus/protocol';
import { buildTimeline, dayLabel, isoTime, timeLabel } from '../src/lib/timeline.ts';

const at = (day: number, hour: number): number => new Date(2026, 0, day, hour, 0).getTime();

function msg(id: string, order: string, sentAt: number, state: ChatMessage['state'] = 'delivered'): ChatMessage {
  return {
    id: id as MessageId,
    groupId: 'g' as GroupId,
    sender: 'p' as PeerId,
    senderName: 'Pat',
    body: id,
    sentAt,
    order,
    state,
    viewId: 1 as ViewId,
  };
}

const line = (name: string, when: number): SystemLine => ({
  groupId: 'g' as GroupId,
  at: when,
  peerId: 'q' as PeerId,
  name,
  change: 'joined',
});

const shape = (items: ReturnType<typeof buildTimeline>): string[] =>
  items.map((i) =>
    i.kind === 'day'
      ? `--${i.label}`
      : i.kind === 'message'
        ? i.message.body
        : i.kind === 'system'
          ? `*${i.line.name}`
          : `!${i.note.text}`,
  );

describe('buildTimeline', () => {
  it('orders messages by order key (pending last) and separates days', () => {
    const now = at(10, 12);
    const items = buildTimeline(
      [
        msg('today-2', '0004', at(10, 9)),
        msg('pending', '~1', at(10, 11), 'pending'),
        msg('old', '0001', at(8, 9)),
        msg('yesterday', '0002', at(9, 20)),
        msg('today-1', '0003', at(10, 8)),
      ],
      [],
      [],
      now,
    );
    expect(shape(items)).toEqual([
      `--${dayLabel(at(8, 9), now)}`,
      'old',
      '--Yesterday',
      'yesterday',
      '--Today',
      'today-1',
      'today-2',
      'pending',
    ]);
    expect(dayLabel(at(8, 9), now)).not.toMatch(/Today|Yesterday/);
  });

  it('places system lines and notes by time among the messages', () => {
    const now = at(10, 12);
    const items = buildTimeline(
      [msg('a', '0001', at(10, 8)), msg('b', '0002', at(10, 10))],
      [line('Quinn', at(10, 9)), line('Late', at(10, 11))],
      [{ id: '1', at: at(10, 7), text: 'first note', tone: 'info' }],
      now,
    );
    expect(shape(items)).toEqual(['--Today', '!first note', 'a', '*Quinn', 'b', '*Late']);
  });

  it('an empty group has an empty log', () => {
    expect(buildTimeline([], [], [], at(10, 12))).toEqual([]);
  });
});

describe('a stored sentAt outside the Date range (a record from before the wire cap)', () => {
  it('builds the log and labels it instead of throwing', () => {
    const bad = Number.MAX_SAFE_INTEGER;
    const now = at(10, 12);
    const items = buildTimeline(
      [msg('ok', '0001', at(10, 9)), msg('poisoned', '0002', bad)],
      [line('Sam', bad)],
      [],
      now,
    );
    expect(shape(items)).toEqual(['--Today', 'ok', '--Unknown date', 'poisoned', '*Sam']);
    expect(timeLabel(bad)).toBe('');
    expect(isoTime(bad)).toBeUndefined();
    expect(isoTime(at(10, 9))).toBe(new Date(at(10, 9)).toISOString());
  });
});
