// Building engine results: rejections (state untouched, fault named) and
// output accumulation. No engine state lives here.

import type { ErrorCode } from '../result.ts';
import type { Delivery, EngineEvent, EngineOutput, Outbound, Rejection } from './engine.ts';

export const reject = (fault: 'remote' | 'local', code: ErrorCode, message: string): Rejection => ({
  rejected: true,
  fault,
  error: { code, message },
});

export const EMPTY_OUTPUT: EngineOutput = Object.freeze({ frames: [], deliveries: [], events: [] });

/** Mutable collector an engine fills during one call, returned as an EngineOutput. */
export class OutputBuilder {
  readonly frames: Outbound[] = [];
  readonly deliveries: Delivery[] = [];
  readonly events: EngineEvent[] = [];

  build(): EngineOutput {
    return { frames: this.frames, deliveries: this.deliveries, events: this.events };
  }
}
