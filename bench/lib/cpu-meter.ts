// How busy the whole machine was over a window, from /proc/stat (Linux):
// the share of all cores' time not idle. Used to state CPU contention next
// to figures taken with many peer processes on few cores.
import { readFileSync } from 'node:fs';

interface Sample {
  readonly busy: number;
  readonly total: number;
}

const sample = (): Sample | null => {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('cpu '));
    if (line === undefined) return null;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle + iowait are not busy.
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, x) => a + x, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
};

/** Starts a window; the returned function gives the busy share (0–1) since then, NaN where /proc is missing. */
export const startCpuWindow = (): (() => number) => {
  const a = sample();
  return () => {
    const b = sample();
    if (a === null || b === null || b.total === a.total) return Number.NaN;
    return (b.busy - a.busy) / (b.total - a.total);
  };
};
