// The scenarios in the order they run and appear in BENCHMARKS.md.
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

export const SCENARIOS: readonly Scenario[] = [
  { name: 'latency', title: '1. Delivery latency', run: runLatency },
  { name: 'throughput', title: '2. Throughput', run: runThroughput },
  { name: 'mesh-formation', title: '3. Mesh formation', run: runMeshFormation },
  { name: 'history-sync', title: '4. History sync to a late joiner', run: runHistorySync },
  { name: 'tracker-capacity', title: '5. Tracker capacity', run: runTrackerCapacity },
  { name: 'indexeddb', title: '6. IndexedDB in Chromium', run: runIndexedDb },
  { name: 'bundle', title: '7. Bundle size', run: runBundle },
];
