import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../lib/markdown.ts';
import { checkTarget, putSpread, type Row, type ScenarioReport } from '../lib/report.ts';
import { initialScripts } from '../scenarios/bundle.ts';

const machine = {
  cpu_model: 'Test CPU',
  cores: 2,
  memory_bytes: 2 ** 30,
  node_version: 'v20',
  platform: 'Linux',
  date: '2026-01-01T00:00:00Z',
  loadavg_1m_at_start: 0.5,
  open_files_limit: 1024,
};

const report = (rows: Row[], targets = [] as ReturnType<typeof checkTarget>[]): ScenarioReport => ({
  scenario: 'latency',
  title: '1. Delivery latency',
  mode: 'full',
  date: '2026-01-01T00:00:00Z',
  duration_s: 1,
  loadavg_1m_at_start: 0.5,
  status: 'ran',
  not_run_reason: null,
  method: ['how'],
  rows,
  targets,
  notes: [],
  facts: {},
  columns: [
    { key: 'where', header: 'peers in', kind: 'text' },
    { key: 'fifo_p50_ms', header: 'FIFO p50', kind: 'spread', digits: 2 },
  ],
});

describe('BENCHMARKS.md', () => {
  it('prints a figure over several runs as median (min–max) and keeps the runs in the row', () => {
    const row: Row = { where: 'node' };
    putSpread(row, 'fifo_p50_ms', [3, 1, 2]);
    expect(row['fifo_p50_ms_runs']).toEqual([3, 1, 2]);
    const md = renderMarkdown(machine, 'npm run bench', [report([row])], []);
    expect(md).toContain('| node | 2.00 (1.00–3.00) |');
  });

  it('says "not run" with the reason for a row that could not be measured', () => {
    const md = renderMarkdown(
      machine,
      'npm run bench',
      [report([{ where: 'chromium', not_run: 'no Chromium at /usr/bin/chromium' }])],
      [],
    );
    expect(md).toContain('not run (peers in chromium): no Chromium at /usr/bin/chromium');
  });

  it('lists a missed target as missed and one without a figure as not measured', () => {
    const missed = checkTarget('total/floor ≤ 3.5 at p50', 'Node, 8 peers', 4.2, '<=', 3.5);
    const unmeasured = checkTarget('fifo/relay < 1 at p50', 'Node, 8 peers', null, '<', 1);
    expect(missed.met).toBe(false);
    expect(unmeasured.met).toBeNull();
    const md = renderMarkdown(machine, 'npm run bench', [report([], [missed, unmeasured])], []);
    expect(md).toContain('| total/floor ≤ 3.5 at p50 | Node, 8 peers | 4.20 | <= 3.5 | **missed** |');
    expect(md).toContain('| fifo/relay < 1 at p50 | Node, 8 peers | n/a | < 1 | not measured |');
  });
});

describe('initial scripts of the built app', () => {
  it('counts the entry script and the chunks it modulepreloads, not other links', () => {
    const html =
      '<script type="module" crossorigin src="./assets/main-1.js"></script>' +
      '<link rel="modulepreload" crossorigin href="./assets/vendor-2.js"><link rel="stylesheet" href="./assets/a.css">';
    expect(initialScripts(html).map((p) => p.slice(p.indexOf('assets/')))).toEqual([
      'assets/main-1.js',
      'assets/vendor-2.js',
    ]);
  });
});
