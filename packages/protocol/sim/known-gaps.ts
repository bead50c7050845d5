// Engine behaviour the simulator has shown to break a guarantee, not fixed
// yet. The big seeded suites work around each gap in the narrowest way there
// is (leave the one fault that exposes it out of their mix, or record instead
// of fail the one guarantee it breaks) and print that they do;
// test/sim-known-gaps.test.ts replays each gap's minimal scenario with the
// strict checker and fails the day it passes, so the workaround goes too.

import type { Guarantee } from './checker.ts';
import type { Action, Scenario } from './scenario.ts';
import type { ActionWeights } from './scenario-arbitrary.ts';
import { DEFAULT_WEIGHTS } from './scenario-arbitrary.ts';

export interface KnownGap {
  readonly id: string;
  readonly breaks: Guarantee;
  readonly why: string;
  readonly workaround: { readonly leaveOut: Action['k'] } | { readonly tolerate: Guarantee };
  /** The shrunk scenario fast-check found. */
  readonly scenario: Scenario;
}

/**
 * Fixed in the engine since found (and so removed here): a FLUSH lost with a
 * link; a FLUSH echo between installed members; joiners' history missing from
 * later flushes; a group that empties while someone joins forking its log
 * (incarnations, PROTOCOL.md §3.11); a member removed unawares completing a
 * flush the others abandoned (the FLUSH-OK round, §3.4).
 */
export const KNOWN_GAPS: readonly KnownGap[] = [
  {
    id: 'crashed-sender-delivered-ahead',
    breaks: 'S4U',
    why:
      'a sender delivers its message as soon as it has every proposal (another member: once every member echoed the FINAL) and may ' +
      'crash before anyone else learns that priority; when the members whose proposals decided it crash too, the ' +
      'survivors cannot know it and give the message another place, so the crashed log is no prefix of theirs ' +
      '(ISIS with virtual synchrony is not uniform; the brief asks crashed logs to be prefixes: a spec or engine decision)',
    workaround: { tolerate: 'S4U' },
    // Seed 3118 of `npm run sim -- --seeds` since the echo (PROTOCOL.md §3.3): only a sender delivers
    // at a FINAL nobody else holds now, so seed 3395's scenario (a non-sender's lonely delivery) no longer
    // reaches the case.
    scenario: {
      mode: 'total',
      groups: ['fifo'],
      size: 3,
      seed: 4,
      steps: [
        { gap: 396, action: { k: 'join', send: 1 } },
        { gap: 3, action: { k: 'crash-after', node: 12, frames: 3, send: false } },
        { gap: 4, action: { k: 'send', node: 14, count: 1, group: 1 } },
        { gap: 66, action: { k: 'crash-after', node: 12, frames: 1, send: false } },
        { gap: 227, action: { k: 'link-fail', a: 1, b: 4, downMs: 2989, group: 2 } },
        { gap: 1, action: { k: 'link-fail', a: 0, b: 7, downMs: 2999, group: 2 } },
        { gap: 398, action: { k: 'join', send: 0 } },
        { gap: 3, action: { k: 'send', node: 4, count: 2 } },
      ],
    },
  },
];

/** DEFAULT_WEIGHTS without the faults that expose a known gap. */
export const weightsWithoutKnownGaps = (): ActionWeights => {
  const w: Record<string, number> = { ...DEFAULT_WEIGHTS };
  for (const g of KNOWN_GAPS) if ('leaveOut' in g.workaround) w[g.workaround.leaveOut] = 0;
  return w as ActionWeights;
};

/**
 * The forgetting tracker restart's mix (test/sim-tracker-forgets.test.ts, `npm run sim -- --forgets`):
 * the suites' mix plus `tracker-forgets`, any number of them per scenario, 1-5 members.
 */
export const forgettingBounds = (): {
  readonly minSize: number;
  readonly maxSize: number;
  readonly weights: ActionWeights;
} => ({
  minSize: 1,
  maxSize: 5,
  weights: { ...weightsWithoutKnownGaps(), 'tracker-forgets': 4 },
});

/** Guarantees the suites record instead of fail because of a known gap. */
export const toleratedByKnownGaps = (): Guarantee[] =>
  KNOWN_GAPS.flatMap((g) => ('tolerate' in g.workaround ? [g.workaround.tolerate] : []));

export const describeKnownGaps = (): string =>
  KNOWN_GAPS.map((g) => {
    const w =
      'leaveOut' in g.workaround
        ? `'${g.workaround.leaveOut}' is left out of this suite's mix`
        : `${g.workaround.tolerate} is recorded, not fatal, in this suite`;
    return `known engine gap ${g.id} (${g.breaks}): ${g.why}; ${w}`;
  }).join('\n');
