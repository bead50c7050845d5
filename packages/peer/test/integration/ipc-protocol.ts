// Messages between the test (parent) and a peer-child process. Plain JSON
// over Node's IPC channel; the child's state is pushed so the parent can
// answer ChorusPeer's synchronous getters (groups, directory, metrics).

import type { GroupSummary } from '@chorus/protocol';
import type { GroupMetrics, JoinedGroup, PeerEventMap } from '../../src/api.ts';

export interface ChildRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args?: Record<string, unknown>;
}

export type ChildResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export type ChildPush =
  | { readonly push: 'loaded' }
  | {
      readonly push: 'state';
      readonly groups: readonly JoinedGroup[];
      readonly directory: readonly GroupSummary[];
      readonly metrics: Readonly<Record<string, GroupMetrics | null>>;
    }
  | { readonly push: 'event'; readonly event: keyof PeerEventMap; readonly value: unknown };
