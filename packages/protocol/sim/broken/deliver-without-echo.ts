// Broken on purpose: a member moves another sender's message on the sender's
// FINAL alone, without waiting for every other member's echo, so a sender that
// tells two members two FINALs splits the total order (S4). Only a hostile
// sender shows it: the hostile seeds catch it (test/sim-broken.test.ts).

import { createEngine } from '../../src/ordering/create-engine.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import type { EngineFactory } from '../engine-factory.ts';

export class NoEchoEngine extends GroupEngine {
  protected override echoesAgree(): boolean {
    return true;
  }
}

export const deliverWithoutEcho: EngineFactory = (options) => createEngine(options, NoEchoEngine);
