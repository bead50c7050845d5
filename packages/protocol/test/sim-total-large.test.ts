// Seeded simulation, total groups of 5 to 8 members (test/sim-chunk.ts).
import { simulationChunk } from './sim-chunk.ts';

simulationChunk({ mode: 'total', minSize: 5, maxSize: 8, file: 'sim-total-large.test.ts' });
