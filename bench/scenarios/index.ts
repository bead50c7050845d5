// The scenarios of `npm run bench`.
import type { BenchContext } from '../lib/context.ts';
import type { ScenarioReport } from '../lib/report.ts';
import { runBundle } from './bundle.ts';
import { runHistorySync } from './history-sync.ts';
import { runIndexedDb } from './indexeddb.ts';
import { runLatency } from './latency.ts';
import { runMeshFormation } from './mesh-formation.ts';
import { runThroughput } from './throughput.ts';
import { runTrackerCapacity } from './tracker-capacity.ts';

export interface Scenario {
  readonly name: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<ScenarioReport>;
}

/**
 * Run order (BENCHMARKS.md sorts by the number in the title): latency first
 * because mesh formation reuses the groups it forms; the heaviest,
 * least-shared scenarios after the ones the targets depend on most.
 */
export const SCENARIOS: readonly Scenario[] = [
  { name: 'latency', title: '1. Delivery latency', run: runLatency },
  { name: 'mesh-formation', title: '3. Mesh formation', run: runMeshFormation },
  { name: 'history-sync', title: '4. History sync to a late joiner', run: runHistorySync },
  { name: 'bundle', title: '7. Bundle size', run: runBundle },
  { name: 'indexeddb', title: '6. IndexedDB in Chromium', run: runIndexedDb },
  { name: 'tracker-capacity', title: '5. Tracker capacity', run: runTrackerCapacity },
  { name: 'throughput', title: '2. Throughput', run: runThroughput },
];
