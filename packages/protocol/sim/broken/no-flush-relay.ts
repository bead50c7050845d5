// Broken on purpose: a member that never asks for a FLUSH report it lacks, although a FLUSH-OK it
// holds restates it (PROTOCOL.md §3.4 "Relay"). A participant that withholds its report from some
// members (the `flush-lie` kind's withhold-report, sim/flush-liar.ts), or sends them one that does
// not hash to what it signed (bad-report), then stalls the view change for them, and so for every
// member, until it leaves; with the shipped engine they ask, take the relayed report and install
// the view. test/sim-flush-lies.test.ts shows both.

import { createEngine } from '../../src/ordering/create-engine.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import type { OutputBuilder } from '../../src/ordering/rejection.ts';
import type { EngineFactory } from '../engine-factory.ts';

export class NoFlushRelayEngine extends GroupEngine {
  protected override askForMissing(_now: number, _out: OutputBuilder): void {}
}

export const noFlushRelay: EngineFactory = (options) => createEngine(options, NoFlushRelayEngine);
