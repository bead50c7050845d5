// Seeded simulation, fifo groups of 5 to 8 members (test/sim-chunk.ts).
import { simulationChunk } from './sim-chunk.ts';

simulationChunk({ mode: 'fifo', minSize: 5, maxSize: 8, file: 'sim-fifo-large.test.ts' });
