// Seeded simulation, total groups of 1 to 4 members (test/sim-chunk.ts).
import { simulationChunk } from './sim-chunk.ts';

simulationChunk({ mode: 'total', minSize: 1, maxSize: 4, file: 'sim-total-small.test.ts' });
