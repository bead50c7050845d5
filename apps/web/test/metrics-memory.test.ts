// A group's metrics survive a reload of the tab: counts add up, latency
// samples carry over, damaged storage starts from zero.
import { describe, expect, it } from 'vitest';
import type { GroupMetrics } from '@chorus/peer';
import type { GroupId } from '@chorus/protocol';
import { MetricsMemory } from '../src/lib/state/metrics-memory.ts';
import { MapStorage } from './map-storage.ts';

const G = 'g1' as GroupId;
const live = (over: Partial<GroupMetrics> = {}): GroupMetrics => ({
  sent: 0,
  received: 0,
  total: 0,
  throughputPerSec: 0,
  latencyP50Ms: 0,
  latencyP99Ms: 0,
  rejectedFrames: 0,
  refusedOps: 0,
  droppedSignals: 0,
  recentLatenciesMs: [],
  ...over,
});

describe('MetricsMemory', () => {
  it("shows the live numbers in the first page, then adds the next page's to them", () => {
    const storage = new MapStorage();
    const first = new MetricsMemory(storage);
    expect(first.show(G, null)).toBeNull();
    expect(
      first.show(G, live({ sent: 3, received: 2, total: 5, latencyP50Ms: 12, recentLatenciesMs: [10, 12, 14] })),
    ).toMatchObject({ sent: 3, received: 2, total: 5, carried: false });

    const reloaded = new MetricsMemory(storage);
    // Before the new session counts anything, the carried numbers show as such.
    expect(reloaded.show(G, null)).toMatchObject({ sent: 3, received: 2, total: 5, latencyP50Ms: 12, carried: true });
    // A fresh session with no samples yet: counts add, the carried percentiles stay.
    expect(reloaded.show(G, live({ sent: 1, total: 1 }))).toMatchObject({
      sent: 4,
      received: 2,
      total: 6,
      latencyP50Ms: 12,
      recentLatenciesMs: [10, 12, 14],
    });
    expect(
      reloaded.show(G, live({ sent: 1, received: 1, total: 2, latencyP50Ms: 30, recentLatenciesMs: [30] })),
    ).toMatchObject({ sent: 4, received: 3, total: 7, latencyP50Ms: 30, recentLatenciesMs: [10, 12, 14, 30] });
    // And again: the base is what the page found at load, never counted twice.
    expect(new MetricsMemory(storage).show(G, live({ sent: 2, total: 2 }))).toMatchObject({
      sent: 6,
      received: 3,
      total: 9,
    });
  });

  it('keeps the plot to its window and forgets a group that was left', () => {
    const storage = new MapStorage();
    const m = new MetricsMemory(storage);
    m.show(G, live({ recentLatenciesMs: Array.from({ length: 120 }, (_, i) => i) }));
    const next = new MetricsMemory(storage).show(G, live({ recentLatenciesMs: [500, 501] }));
    expect(next?.recentLatenciesMs).toHaveLength(120);
    expect(next?.recentLatenciesMs.slice(-2)).toEqual([500, 501]);
    m.forget(G);
    expect(new MetricsMemory(storage).show(G, null)).toBeNull();
  });

  it('starts from zero when the stored numbers are damaged', () => {
    const storage = new MapStorage();
    for (const bad of ['{not json', '{"sent":-1}', '{"sent":"3"}', 'null']) {
      storage.setItem(`chorus:metrics:${G}`, bad);
      expect(new MetricsMemory(storage).show(G, null), bad).toBeNull();
    }
    expect(new MetricsMemory(null).show(G, live({ sent: 1 }))).toMatchObject({ sent: 1 });
  });
});
