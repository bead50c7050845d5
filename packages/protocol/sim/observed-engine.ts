// The engine inside a simulated session, seen from outside: every call is
// passed on unchanged, and its result is shown to the simulator before the
// session's core gets it, so the checker sees deliveries and view installs in
// the engine's own order (the core turns them into commands later). Also the
// two moments the checker must see first: a DATA frame about to be sent (the
// sender committed it) and a sponsor's state adopted (the history before it).

import type { EngineResult, OrderingEngine } from '../src/ordering/engine.ts';
import { isRejection } from '../src/ordering/engine.ts';
import type { DataFrame, JoinerState } from '../src/wire/frames.ts';
import { ViolationError } from './checker.ts';

export interface EngineObserver {
  readonly result: (what: string, result: EngineResult) => void;
  readonly sending: (frame: DataFrame) => void;
  readonly adopting: (state: JoinerState) => void;
}

export const observeEngine = (engine: OrderingEngine, o: EngineObserver): OrderingEngine => {
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ViolationError) throw e;
      throw new ViolationError({
        rule: 'ENGINE',
        node: engine.self,
        message: `${engine.groupId}: ${what} threw: ${(e as Error).message}`,
      });
    }
  };
  const seen = (what: string, r: EngineResult): EngineResult => {
    o.result(what, r);
    return r;
  };
  return {
    get mode() {
      return engine.mode;
    },
    get self() {
      return engine.self;
    },
    get groupId() {
      return engine.groupId;
    },
    get view() {
      return engine.view;
    },
    get hasState() {
      return engine.hasState === true;
    },
    get resumeFloor() {
      return engine.resumeFloor ?? null;
    },
    get reissued() {
      return engine.reissued ?? null;
    },
    draft: (body, now) => guard('draft', () => engine.draft(body, now)),
    send: (frame, now) => {
      o.sending(frame);
      const r = guard('send', () => engine.send(frame, now));
      if (isRejection(r)) {
        throw new ViolationError({
          rule: 'ENGINE',
          node: engine.self,
          message: `send refused the frame built from its own draft: ${r.error.code} ${r.error.message}`,
        });
      }
      return seen('send', r);
    },
    receive: (from, frame, now) =>
      seen(
        `receive from ${from}`,
        guard('receive', () => engine.receive(from, frame, now)),
      ),
    installView: (view, now) =>
      seen(
        'installView',
        guard('installView', () => engine.installView(view, now)),
      ),
    linkUp: (peer, now) =>
      seen(
        `linkUp ${peer}`,
        guard('linkUp', () => engine.linkUp(peer, now)),
      ),
    tick: (now) =>
      seen(
        'tick',
        guard('tick', () => engine.tick(now)),
      ),
    agreementOverdue: (now, waitMs) => guard('agreementOverdue', () => engine.agreementOverdue?.(now, waitMs) ?? []),
    flushOverdue: (now, waitMs) => guard('flushOverdue', () => engine.flushOverdue?.(now, waitMs) ?? []),
    chaseAgreement: (now, waitMs) =>
      seen(
        'chaseAgreement',
        guard(
          'chaseAgreement',
          () => engine.chaseAgreement?.(now, waitMs) ?? { frames: [], deliveries: [], events: [] },
        ),
      ),
    joinerState: () => guard('joinerState', () => engine.joinerState()),
    markShown: (shown) => engine.markShown(shown),
    adoptJoinerState: (state, reissue) => {
      const r = guard('adoptJoinerState', () => engine.adoptJoinerState(state, reissue));
      if (!isRejection(r)) o.adopting(state);
      return seen('adoptJoinerState', r);
    },
  };
};
