// The boot's steps before the peer exists: load the store's small chunk, then
// ask for the runtime's, open the store (its problems and recoveries become
// banners), load or make this name's key while the newest page of the
// remembered groups is read (a failure becomes a banner saying to reload, and
// the boot stops there), show that cached history, then wait for the runtime.
// AppState creates the peer and connects after these.

import type { IdbStore, PeerIdentity } from '@chorus/peer';
import type { GroupId } from '@chorus/protocol/light';
import { errorMessage } from '@chorus/peer/light';
import type { Banners } from './banners.svelte.ts';
import type { DirectMessages } from './direct-messages.svelte.ts';
import { FIRST_SCREEN, type JoinedGroups } from './joined-groups.svelte.ts';
import type { Runtime, StoreKit } from './runtime.ts';
import type { RememberedGroup, TabMemory } from './tab-memory.ts';

export interface StartedSession {
  readonly runtime: Runtime;
  readonly store: IdbStore;
  readonly identity: Required<PeerIdentity>;
  /** The remembered groups, shown from the store: re-joined once connected. */
  readonly remembered: readonly RememberedGroup[];
}

export interface BootSteps {
  readonly loadRuntime: () => Promise<Runtime>;
  readonly loadStore: () => Promise<StoreKit>;
  readonly name: string;
  readonly banners: Banners;
  /** The store is open (AppState holds it from now on: the cached pages are read through it). */
  readonly opened: (store: IdbStore) => void;
  /** This tab's key is loaded. */
  readonly identified: (publicKey: string) => void;
  /** Reads and shows the cached history once `ready` (the identity) is true (showCached below). */
  readonly showCached: (ready: Promise<boolean>) => Promise<readonly RememberedGroup[] | null>;
}

/**
 * Everything before the peer exists; null when a step failed (a banner says so). The runtime's chunks are asked for
 * once the store's small chunk is in (so compiling them does not hold it up) and load while the store is opened and
 * the cached history read and shown.
 */
export async function bootSession(steps: BootSteps): Promise<StartedSession | null> {
  const { banners, name } = steps;
  let loading: Promise<Runtime> | null = null;
  const loadRuntime = (): Promise<Runtime> => {
    loading ??= steps.loadRuntime();
    loading.catch(() => {}); // reported below, when it is awaited
    return loading;
  };
  const failed = (what: string, e: unknown): null => {
    banners.show('error', `Chorus could not ${what} (${errorMessage(e)}). Reload the page to try again.`);
    return null;
  };
  let kit: StoreKit;
  try {
    kit = await steps.loadStore().finally(() => void loadRuntime());
  } catch (e) {
    return failed('load', e);
  }
  const store = kit.openStore({
    onProblem: (p) => banners.show('storage', p.message),
    onRecovered: () => banners.clear('storage'),
  });
  steps.opened(store);
  // Who "you" are is your key: loaded (or made) before anything is shown, so your own cached messages show as
  // yours. The newest pages are read meanwhile.
  const identity = kit.loadIdentity(store.keys(), name).then(
    (id) => {
      steps.identified(id.publicKey);
      return id;
    },
    (e: unknown) => failed(`open your identity for ${name}`, e),
  );
  const remembered = await steps.showCached(identity.then((id) => id !== null));
  const id = await identity;
  if (id === null || remembered === null) return null;
  let runtime: Runtime;
  try {
    runtime = await loadRuntime();
  } catch (e) {
    return failed('load', e);
  }
  return { runtime, store, identity: id, remembered };
}

/**
 * Cached history first: the tab shows what it knows before the network is up
 * (the group an opened address names, else the one open last). The pages are
 * read while `ready` (the identity) loads and shown once it has: nothing is
 * shown when it fails (false). Returns the remembered groups, to re-join once
 * connected.
 */
export async function showCached(
  memory: TabMemory,
  groups: JoinedGroups,
  dms: DirectMessages,
  target: GroupId | null,
  ready: Promise<boolean>,
): Promise<readonly RememberedGroup[] | null> {
  const remembered = memory.groups;
  for (const g of remembered) {
    groups.ensure(g.groupId, g.name, g.ordering);
    dms.remembered(g);
  }
  const opening = target !== null && remembered.some((g) => g.groupId === target) ? target : null;
  groups.setCurrent(opening ?? memory.current ?? remembered[0]?.groupId ?? null);
  const current = groups.currentId;
  // The open group's newest screenful is read and shown first, alone (the log's first paint holds that many), so
  // the paint waits for no more records than it shows; its whole page and the other groups' follow that paint.
  // The log is busy until the page is in and painted, so a screen reader does not announce it as news.
  const open = current === null ? undefined : groups.get(current);
  open?.setLoadingOlder(true);
  try {
    const first = current === null ? null : groups.readCached(current, FIRST_SCREEN);
    if (!(await ready)) return null;
    if (first !== null) {
      (await first)();
      await afterPaint();
    }
    await Promise.all(remembered.map(async (g) => (await groups.readCached(g.groupId))()));
    await afterPaint();
  } finally {
    open?.setLoadingOlder(false);
  }
  groups.showMetrics();
  return remembered;
}

/** Resolves after the next frame has been drawn (at once where there are no frames). */
function afterPaint(): Promise<void> {
  if (typeof requestAnimationFrame !== 'function') return Promise.resolve();
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
}
