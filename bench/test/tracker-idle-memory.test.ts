import { describe, expect, it } from 'vitest';
import { invalidRun, type IdleRun } from '../scenarios/tracker-idle-memory.ts';

const run = (alive: number, sessions: number | null, lost = ''): IdleRun => ({
  heapPerConn: 11_000,
  rssPerConn: 20_000,
  cpu: 0.1,
  alive,
  sessions,
  lost,
  firstError: null,
  byKind: [],
});

describe('a memory level counts only when its clients stayed connected', () => {
  it('takes a run where every client stayed with both servers and the tracker agrees', () => {
    expect(invalidRun(19_900, run(19_900, 19_900), run(19_900, null))).toBeNull();
  });

  it('refuses the run of 2026-11-30 (2 866 of 19 900 kept) and says why', () => {
    const why = invalidRun(19_900, run(2_866, 2_866, 'ping timeout 17034'), run(19_900, null));
    expect(why).toContain('the tracker kept 2866 of 19900 clients (lost: ping timeout 17034)');
  });

  it('refuses a run whose bare server lost its clients', () => {
    expect(invalidRun(5_000, run(5_000, 5_000), run(4_000, null))).toContain('bare Socket.IO kept 4000 of 5000');
  });

  it('refuses a run where the tracker holds fewer sessions than its clients see', () => {
    expect(invalidRun(19_900, run(19_900, 0), run(19_900, null))).toContain('the tracker counted 0 sessions');
  });
});
