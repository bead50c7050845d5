import { describe, expect, it } from 'vitest';
import { asGroupId } from '@chorus/protocol';
import { GroupMetricsRecorder, LATENCY_SAMPLES, THROUGHPUT_WINDOW_MS, percentile } from '../src/metrics.ts';

describe('GroupMetricsRecorder', () => {
  it('counts sent, received, total and rejected frames', () => {
    const m = new GroupMetricsRecorder(0);
    m.recordSent();
    m.recordSent();
    m.recordDelivery(true, 0, 5);
    m.recordDelivery(false, 0, 7);
    m.recordRejected();
    const s = m.snapshot(10);
    expect([s.sent, s.received, s.total, s.rejectedFrames]).toEqual([2, 1, 3, 1]);
  });

  it('computes latency percentiles from sentAt to delivery, skew clamped at zero', () => {
    const m = new GroupMetricsRecorder(0);
    for (let i = 1; i <= 100; i++) m.recordDelivery(false, 1000, 1000 + i);
    m.recordDelivery(false, 5000, 4000); // sender's clock ahead of ours
    const s = m.snapshot(2000);
    expect(s.latencyP50Ms).toBe(50);
    expect(s.latencyP99Ms).toBe(99);
    expect(s.recentLatenciesMs.at(-1)).toBe(0);
  });

  it('keeps only the newest latency samples', () => {
    const m = new GroupMetricsRecorder(0);
    for (let i = 0; i < LATENCY_SAMPLES; i++) m.recordDelivery(false, 0, 1_000_000);
    for (let i = 0; i < LATENCY_SAMPLES; i++) m.recordDelivery(false, 1_000_000, 1_000_010);
    expect(m.snapshot(1_000_010).latencyP99Ms).toBe(10);
  });

  it('throughput counts deliveries inside the window only', () => {
    const m = new GroupMetricsRecorder(0);
    for (let i = 0; i < 20; i++) m.recordDelivery(false, 0, 1_000);
    expect(m.snapshot(THROUGHPUT_WINDOW_MS).throughputPerSec).toBe(2);
    expect(m.snapshot(THROUGHPUT_WINDOW_MS + 1_000).throughputPerSec).toBe(0);
  });

  it('reports the numbers the tracker expects for a group', () => {
    const m = new GroupMetricsRecorder(0);
    m.recordSent();
    m.recordDelivery(true, 0, 4);
    const r = m.report(asGroupId('g'), 1000);
    expect(r).toEqual({
      groupId: 'g',
      sent: 1,
      received: 0,
      total: 1,
      throughputPerSec: 1,
      latencyP50Ms: 4,
      latencyP99Ms: 4,
      rejectedFrames: 0,
    });
  });
});

describe('percentile', () => {
  it('is nearest-rank and zero on no samples', () => {
    expect(percentile([], 0.5)).toBe(0);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
  });
});
