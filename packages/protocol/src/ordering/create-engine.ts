// The one way to build an ordering engine: the runtime and the simulator call
// this. Hooks default to the correct behaviour; see engine-hooks.ts for what
// the simulator's broken variants override.

import type { GroupId, Ordering, PeerId } from '../ids.ts';
import type { EngineHooks } from './engine-hooks.ts';
import { withDefaultHooks } from './engine-hooks.ts';
import { GroupEngine } from './group-engine.ts';

export interface EngineOptions {
  readonly mode: Ordering;
  readonly self: PeerId;
  readonly groupId: GroupId;
  readonly hooks?: Partial<EngineHooks>;
}

/** Returns the concrete engine so callers may use `debugState()`; it is an OrderingEngine. */
export function createEngine(opts: EngineOptions): GroupEngine {
  return new GroupEngine(opts.mode, opts.self, opts.groupId, withDefaultHooks(opts.hooks));
}
