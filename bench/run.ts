// `npm run bench` (full) or `npm run bench -- --quick` (reduced, < 3 min).
// `--only latency,bundle` runs some scenarios; `--smoke` shrinks every
// scenario to its smallest case (to check the scripts, not to measure).
// Writes bench/results/<scenario>.json and renders BENCHMARKS.md from every
// JSON file present, so a partial run updates only its own sections.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchContext } from './lib/context.ts';
import { machineInfo, openFilesLimit, type MachineInfo } from './lib/machine.ts';
import { renderMarkdown } from './lib/markdown.ts';
import { errorText, notRun, type ScenarioReport } from './lib/report.ts';
import { SCENARIOS } from './scenarios/index.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const smoke = args.includes('--smoke');
// A smoke run writes next to the build cache, never over the committed results.
const RESULTS_DIR = fileURLToPath(new URL(smoke ? './.cache/smoke-results/' : './results/', import.meta.url));
const BENCHMARKS_MD = fileURLToPath(
  new URL(smoke ? './.cache/SMOKE-BENCHMARKS.md' : '../BENCHMARKS.md', import.meta.url),
);
/** Re-render BENCHMARKS.md from the JSON already in bench/results, running nothing. */
const renderOnly = args.includes('--render');
const onlyArg =
  args.find((a) => a.startsWith('--only='))?.slice('--only='.length) ??
  (args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined);
const only = onlyArg === undefined ? null : new Set(onlyArg.split(','));
/**
 * --deadline HH:MM (local clock): a scenario whose usual duration would end
 * past it is skipped, and its JSON from an earlier run is kept (the report
 * shows that run's date and mode), so a run that must end on time does.
 */
const deadlineArg =
  args.find((a) => a.startsWith('--deadline='))?.slice('--deadline='.length) ??
  (args.includes('--deadline') ? args[args.indexOf('--deadline') + 1] : undefined);
const deadline = (() => {
  if (deadlineArg === undefined) return null;
  const m = /^(\d{1,2}):(\d{2})$/.exec(deadlineArg);
  if (m === null) {
    console.error(`--deadline wants HH:MM, got "${deadlineArg}".`);
    process.exit(2);
  }
  const d = new Date();
  d.setHours(Number(m[1]), Number(m[2]), 0, 0);
  return d.getTime();
})();
const unknown = only === null ? [] : [...only].filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${SCENARIOS.map((s) => s.name).join(', ')}.`);
  process.exit(2);
}

const main = async (): Promise<void> => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (renderOnly) {
    const saved = JSON.parse(readFileSync(`${RESULTS_DIR}machine.json`, 'utf8')) as MachineInfo;
    writeFileSync(BENCHMARKS_MD, renderMarkdown(saved, 'npm run bench', loadReports(), preface(saved)) + comparisons());
    console.log('rendered BENCHMARKS.md from bench/results');
    return;
  }
  const machine = machineInfo(openFilesLimit());
  const ctx = new BenchContext(quick ? 'quick' : 'full', smoke);
  writeFileSync(`${RESULTS_DIR}machine.json`, `${JSON.stringify(machine, null, 2)}\n`);
  const started = Date.now();
  console.log(
    `Chorus bench (${ctx.mode}${smoke ? ', smoke' : ''}) on ${machine.cpu_model}, ${machine.cores} cores, Node ${machine.node_version}, load ${machine.loadavg_1m_at_start.toFixed(2)}`,
  );
  const stop = async (): Promise<void> => {
    await ctx.close();
    process.exit(130);
  };
  process.once('SIGINT', () => void stop());
  try {
    for (const s of SCENARIOS) {
      if (only !== null && !only.has(s.name)) continue;
      const expected = (quick ? s.fullSeconds / 4 : s.fullSeconds) * 1000;
      if (deadline !== null && Date.now() + expected > deadline) {
        console.log(
          `\n== ${s.title} ==\n   skipped: it usually takes ${Math.round(expected / 1000)} s and the deadline is ${deadlineArg}; bench/results/${s.name}.json from an earlier run is kept`,
        );
        continue;
      }
      console.log(`\n== ${s.title} ==`);
      let report: ScenarioReport;
      try {
        report = await s.run(ctx);
      } catch (e) {
        report = notRun(s.name, s.title, ctx.mode, errorText(e));
      }
      writeFileSync(`${RESULTS_DIR}${s.name}.json`, `${JSON.stringify(report, null, 2)}\n`);
      console.log(
        `   ${report.status} in ${report.duration_s} s${report.not_run_reason === null ? '' : ` — ${report.not_run_reason}`}`,
      );
      for (const r of report.rows) console.log(`   ${compact(r)}`);
      for (const n of report.notes) console.log(`   note: ${n}`);
      for (const t of report.targets)
        console.log(
          `   target ${t.target} (${t.measured_as}): ${t.value?.toFixed(2) ?? 'n/a'} → ${t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED'}`,
        );
    }
  } finally {
    await ctx.close();
  }
  const reports = loadReports();
  const command = `npm run bench${quick ? ' -- --quick' : ''}${only === null ? '' : ` -- --only ${[...only].join(',')}`}`;
  writeFileSync(BENCHMARKS_MD, renderMarkdown(machine, command, reports, preface(machine)) + comparisons());
  console.log(`\nwrote ${RESULTS_DIR}*.json and ${BENCHMARKS_MD} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
};

/** A row for the console: medians only (the JSON keeps min/max and the runs). */
const compact = (row: Record<string, unknown>): string =>
  Object.entries(row)
    .filter(([k, v]) => !k.endsWith('_runs') && !k.endsWith('_min') && !k.endsWith('_max') && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(2)) : String(v)}`)
    .join(' ');

/**
 * Hand-written before/after comparisons of a change (bench/results/comparisons.md:
 * each with its date, machine, load and the runs behind it), kept at the end of
 * BENCHMARKS.md across re-renders: the scenario JSONs hold one state of the code only.
 */
const comparisons = (): string => {
  const path = `${RESULTS_DIR}comparisons.md`;
  return existsSync(path) ? `\n${readFileSync(path, 'utf8')}` : '';
};

const loadReports = (): ScenarioReport[] => {
  const files = new Set(readdirSync(RESULTS_DIR));
  // Printed in the issue's numbering (titles start with it), whatever order they ran in.
  return SCENARIOS.filter((s) => files.has(`${s.name}.json`))
    .map((s) => JSON.parse(readFileSync(`${RESULTS_DIR}${s.name}.json`, 'utf8')) as ScenarioReport)
    .sort((a, b) => a.title.localeCompare(b.title, 'en', { numeric: true }));
};

const preface = (m: MachineInfo): string[] => [
  '## How to read this',
  '',
  '- Every figure is the median over repeated runs, with min–max in brackets when there was more than one run; the number of runs is in each section and in the JSON (`<field>_runs`).',
  '- Each scenario measures its baseline in the same run, on the same processes and cores, so ratios compare like with like.',
  `- This machine has ${m.cores} cores. Groups of many Node processes (one per peer) share them with the tracker, the relay server and the driver, so large groups measure CPU contention as well as the protocol; the notes say where.`,
  '- Speed is only measured here, never asserted in tests.',
];

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
