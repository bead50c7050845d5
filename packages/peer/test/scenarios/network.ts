// The seam the shared group-session scenarios run over (automerge-repo's
// adapter conformance idea): an in-memory network here, real WebRTC peers and
// a real tracker in child processes in test/integration. A scenario only sees
// ChorusPeer facades plus the fault controls below, so it asserts what a user
// or a peer would notice, whatever carries the frames.

import type { GroupId, PeerId } from '@chorus/protocol';
import type { ChatMessage, ChorusPeer } from '../../src/index.ts';

export interface ScenarioPeer {
  readonly name: string;
  readonly peerId: PeerId;
  readonly peer: ChorusPeer;
}

export interface ScenarioNetwork {
  /** Shown in failure messages, with the seed: enough to reproduce the run. */
  readonly label: string;
  /** A connected peer with its own identity and store. */
  addPeer(name: string): Promise<ScenarioPeer>;
  /** The peer's process dies without a word; the tracker then declares it failed. */
  crash(peer: ScenarioPeer): Promise<void>;
  /** Cut and restore every data channel between two peers (not every network can; scenarios skip with a reason). */
  cutLink?(a: ScenarioPeer, b: ScenarioPeer): Promise<void>;
  healLink?(a: ScenarioPeer, b: ScenarioPeer): Promise<void>;
  /** Deliver raw text to `to` on its data channel from `from` in `groupId`, as a hostile peer would send it. */
  inject?(groupId: GroupId, from: ScenarioPeer, to: ScenarioPeer, text: string): Promise<void>;
  close(): Promise<void>;
}

export type NetworkFactory = (seed: number) => Promise<ScenarioNetwork>;

/** Liveness waits only: a generous deadline so a slow CI box passes, a hang still fails with a reason. */
export const SCENARIO_WAIT_MS = 20_000;
const POLL_MS = 20;

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = SCENARIO_WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A member's delivered log of a group, as its UI would show it after a reload (from its store, by order key). */
export async function logOf(p: ScenarioPeer, groupId: GroupId): Promise<readonly ChatMessage[]> {
  return p.peer.history(groupId, { limit: 100_000 });
}

export const ids = (log: readonly ChatMessage[]): string[] => log.map((m) => m.id);
export const bodies = (log: readonly ChatMessage[]): string[] => log.map((m) => m.body);
