// The shape every scenario hands back: rows with stable, self-describing
// field names (written as JSON), the columns to print, and the targets
// checked against those rows. A figure repeated over runs is stored as
// `<name>` (median) plus `<name>_min` / `<name>_max` and `<name>_runs`.
import os from 'node:os';
import { spreadOf } from './stats.ts';

export type Cell = number | string | boolean | null;
export type Row = Record<string, Cell | readonly number[]>;

export interface Column {
  readonly key: string;
  readonly header: string;
  /** 'spread' prints `median (min–max)` from key, key_min, key_max. */
  readonly kind: 'spread' | 'value' | 'text';
  readonly digits?: number;
}

export interface TargetCheck {
  readonly target: string;
  /** Which figure (row label + field) the target was checked against. */
  readonly measured_as: string;
  readonly value: number | null;
  readonly limit: number;
  readonly comparison: '<=' | '<';
  /** null when the figure could not be measured in this run. */
  readonly met: boolean | null;
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly title: string;
  readonly mode: 'quick' | 'full';
  readonly date: string;
  readonly duration_s: number;
  /** 1-minute load average when the scenario started: other jobs on a shared machine show up here. */
  readonly loadavg_1m_at_start: number;
  /**
   * The CPU and core count the scenario ran on ("Intel(R) Xeon(R) Processor, 2 cores"). A `--only` run re-renders
   * every section, so each names its own machine; records written before this field have none.
   */
  readonly machine?: string;
  readonly status: 'ran' | 'partial' | 'not-run';
  readonly not_run_reason: string | null;
  readonly method: readonly string[];
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  readonly targets: readonly TargetCheck[];
  readonly notes: readonly string[];
  /** Single measured facts that explain the rows (e.g. the cost of one signature check), by stable name. */
  readonly facts: Readonly<Record<string, number>>;
}

/** Store a figure measured once per run as median + min/max + the raw runs. */
export const putSpread = (row: Row, key: string, perRun: readonly number[]): void => {
  const s = spreadOf(perRun);
  row[key] = finiteOrNull(s.median);
  row[`${key}_min`] = finiteOrNull(s.min);
  row[`${key}_max`] = finiteOrNull(s.max);
  row[`${key}_runs`] = perRun.filter((v) => Number.isFinite(v));
};

/** Colour codes stripped, whitespace collapsed, bounded: an error as one readable line for the report. */
export const errorText = (e: unknown): string => {
  const raw = e instanceof Error ? e.message : String(e);
  const line = raw
    // eslint-disable-next-line no-control-regex -- strips the terminal's colour codes
    .replace(/\u001b\[[0-9;]*m/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS)}…` : line;
};

/** Long enough for a cause and a location, short enough to keep a table's notes readable. */
const MAX_ERROR_CHARS = 400;

export const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export const checkTarget = (
  target: string,
  measuredAs: string,
  value: Cell | readonly number[] | undefined,
  comparison: '<=' | '<',
  limit: number,
): TargetCheck => {
  const v = typeof value === 'number' && Number.isFinite(value) ? value : null;
  return {
    target,
    measured_as: measuredAs,
    value: v,
    limit,
    comparison,
    met: v === null ? null : comparison === '<=' ? v <= limit : v < limit,
  };
};

/** Collects the rows of one scenario; a failing row is recorded with its reason instead of aborting the scenario. */
export class ScenarioBuilder {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];
  readonly targets: TargetCheck[] = [];
  readonly facts: Record<string, number> = {};
  private readonly started = Date.now();
  private readonly load = os.loadavg()[0] ?? Number.NaN;
  private failures = 0;

  constructor(
    readonly scenario: string,
    readonly title: string,
    readonly mode: 'quick' | 'full',
    readonly columns: readonly Column[],
    readonly method: readonly string[],
  ) {}

  /** A row that could not be measured: printed as "not run: <reason>". */
  failRow(label: Row, why: string): void {
    this.failures += 1;
    const reason = errorText(why);
    this.rows.push({ ...label, not_run: reason });
    console.log(`  not run: ${JSON.stringify(label)} — ${reason}`);
  }

  finish(): ScenarioReport {
    const measured = this.rows.filter((r) => r['not_run'] === undefined).length;
    return {
      scenario: this.scenario,
      title: this.title,
      mode: this.mode,
      date: new Date().toISOString(),
      duration_s: Math.round((Date.now() - this.started) / 100) / 10,
      loadavg_1m_at_start: Math.round(this.load * 100) / 100,
      machine: thisMachine(),
      status: measured === 0 ? 'not-run' : this.failures > 0 ? 'partial' : 'ran',
      not_run_reason:
        measured === 0
          ? String(this.rows.find((r) => r['not_run'] !== undefined)?.['not_run'] ?? 'nothing measured')
          : null,
      method: this.method,
      columns: this.columns,
      rows: this.rows,
      targets: this.targets,
      notes: this.notes,
      facts: this.facts,
    };
  }
}

const thisMachine = (): string => `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores`;

export const notRun = (scenario: string, title: string, mode: 'quick' | 'full', reason: string): ScenarioReport => ({
  scenario,
  title,
  mode,
  date: new Date().toISOString(),
  duration_s: 0,
  loadavg_1m_at_start: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  machine: thisMachine(),
  status: 'not-run',
  not_run_reason: reason,
  method: [],
  columns: [],
  rows: [],
  targets: [],
  notes: [],
  facts: {},
});
