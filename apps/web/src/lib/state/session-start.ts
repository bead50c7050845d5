// The boot's steps before the peer exists: load the runtime (its own chunk),
// open the store (its problems and recoveries become banners), load or make
// this name's key (a failure becomes a banner saying to reload, and the boot
// stops there), then show the cached history of the remembered groups.
// AppState creates the peer and connects after these.

import type { IdbStore, PeerIdentity } from '@chorus/peer';
import type { GroupId } from '@chorus/protocol/light';
import { errorMessage } from '@chorus/peer/light';
import type { Banners } from './banners.svelte.ts';
import type { DirectMessages } from './direct-messages.svelte.ts';
import type { JoinedGroups } from './joined-groups.svelte.ts';
import type { Runtime } from './runtime.ts';
import type { RememberedGroup, TabMemory } from './tab-memory.ts';

export interface StartedSession {
  readonly runtime: Runtime;
  readonly store: IdbStore;
  readonly identity: Required<PeerIdentity>;
}

/** Null when a step failed (a banner says so); `opened` learns the runtime and store as soon as the store is open. */
export async function startSession(
  loadRuntime: () => Promise<Runtime>,
  name: string,
  banners: Banners,
  opened: (runtime: Runtime, store: IdbStore) => void,
): Promise<StartedSession | null> {
  let runtime: Runtime;
  try {
    runtime = await loadRuntime();
  } catch (e) {
    banners.show('error', `Chorus could not load (${errorMessage(e)}). Reload the page to try again.`);
    return null;
  }
  const store = runtime.openStore({
    onProblem: (p) => banners.show('storage', p.message),
    onRecovered: () => banners.clear('storage'),
  });
  opened(runtime, store);
  // Who "you" are is your key: loaded (or made) before anything is shown, so your own cached messages show as yours.
  try {
    return { runtime, store, identity: await runtime.loadIdentity(store.keys(), name) };
  } catch (e) {
    banners.show(
      'error',
      `Chorus could not open your identity for ${name} (${errorMessage(e)}). Reload the page to try again.`,
    );
    return null;
  }
}

/**
 * Cached history first: the tab shows what it knows before the network is up
 * (the group an opened address names, else the one open last). Returns the
 * remembered groups, to re-join once connected.
 */
export async function showCached(
  memory: TabMemory,
  groups: JoinedGroups,
  dms: DirectMessages,
  target: GroupId | null,
): Promise<readonly RememberedGroup[]> {
  const remembered = memory.groups;
  for (const g of remembered) {
    groups.ensure(g.groupId, g.name, g.ordering);
    dms.remembered(g);
  }
  const opening = target !== null && remembered.some((g) => g.groupId === target) ? target : null;
  groups.setCurrent(opening ?? memory.current ?? remembered[0]?.groupId ?? null);
  await Promise.all(remembered.map((g) => groups.loadCached(g.groupId)));
  groups.showMetrics();
  return remembered;
}
