// Broken on purpose: at a view change, some survivors drop a dead sender's
// unfinalized message while the others deliver it (breaks view synchrony).
// Which survivors drop is a pure function of their peer id, so a run is
// reproducible: the ones whose id starts with a hex digit below 8.

import type { PeerId } from '../../src/ids.ts';
import { createEngine } from '../../src/ordering/create-engine.ts';
import type { EngineFactory } from '../engine-factory.ts';

const dropsHere = (self: PeerId): boolean => (self[0] ?? 'f') < '8';

export const dropDeadSenderPending: EngineFactory = (options) =>
  createEngine({ ...options, hooks: { dropDeadSenderPending: (me) => dropsHere(me) } });
