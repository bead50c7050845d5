// The engine the simulator runs unless a test asks for a broken variant: the
// production createEngine with no hooks.

import { createEngine } from '../src/ordering/create-engine.ts';
import type { EngineFactory } from './engine-factory.ts';

export const correctEngine: EngineFactory = (options) => createEngine(options);
