// Seeded simulation, fifo groups of 1 to 4 members (test/sim-chunk.ts).
import { simulationChunk } from './sim-chunk.ts';

simulationChunk({ mode: 'fifo', minSize: 1, maxSize: 4, file: 'sim-fifo-small.test.ts' });
