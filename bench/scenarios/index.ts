// The scenarios of `npm run bench`.
import type { BenchContext } from '../lib/context.ts';
import type { ScenarioReport } from '../lib/report.ts';
import { runBundle } from './bundle.ts';
import { runFiles } from './files.ts';
import { runHistorySync } from './history-sync.ts';
import { runIndexedDb } from './indexeddb.ts';
import { runLatency } from './latency.ts';
import { runMeshFormation } from './mesh-formation.ts';
import { runThroughput } from './throughput.ts';
import { runTrackerCapacity } from './tracker-capacity.ts';
import { runUiLog } from './ui-log.ts';

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Rough duration of the full set on an idle 2-core machine, for --deadline. */
  readonly fullSeconds: number;
  run(ctx: BenchContext): Promise<ScenarioReport>;
}

/**
 * Run order (BENCHMARKS.md sorts by the number in the title): latency first
 * because mesh formation reuses the groups it forms; the heaviest,
 * least-shared scenarios after the ones the targets depend on most.
 */
export const SCENARIOS: readonly Scenario[] = [
  { name: 'latency', title: '1. Delivery latency', fullSeconds: 300, run: runLatency },
  { name: 'mesh-formation', title: '3. Mesh formation', fullSeconds: 60, run: runMeshFormation },
  { name: 'history-sync', title: '4. History sync to a late joiner', fullSeconds: 140, run: runHistorySync },
  { name: 'bundle', title: '7. Bundle size', fullSeconds: 30, run: runBundle },
  { name: 'indexeddb', title: '6. IndexedDB in Chromium', fullSeconds: 25, run: runIndexedDb },
  { name: 'tracker-capacity', title: '5. Tracker capacity', fullSeconds: 210, run: runTrackerCapacity },
  { name: 'throughput', title: '2. Throughput', fullSeconds: 180, run: runThroughput },
  { name: 'files', title: '9. Files over the mesh', fullSeconds: 330, run: runFiles },
  { name: 'ui-log', title: '8. Chat page with a long conversation', fullSeconds: 600, run: runUiLog },
];
