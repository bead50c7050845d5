// Entry point: builds the page's state from its dependencies and mounts the app.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { AppState } from './lib/state/app-state.svelte.ts';
import { DmMemory } from './lib/state/dm-memory.ts';
import { Attention } from './lib/state/attention.svelte.ts';
import { loadRuntime, loadStoreKit } from './lib/state/runtime.ts';
import { MetricsMemory } from './lib/state/metrics-memory.ts';
import { NotifyPrefs } from './lib/state/notify-prefs.svelte.ts';
import { TabMemory } from './lib/state/tab-memory.ts';
import { windowAddressBar } from './lib/route.ts';

const app = new AppState({
  memory: new TabMemory(window.sessionStorage, window.localStorage),
  attention: new Attention(document),
  loadRuntime,
  loadStore: loadStoreKit,
  // The tracker serves this page, so it lives at our own origin; `vite dev` can point elsewhere.
  trackerUrl: import.meta.env.VITE_TRACKER_URL ?? window.location.origin,
  address: windowAddressBar(window),
  metrics: new MetricsMemory(window.sessionStorage),
  dms: new DmMemory(window.localStorage),
  notify: new NotifyPrefs(window.localStorage),
  profile: window.localStorage,
});
// The browser knows at once when the network goes; the tracker socket only after its ping timeout.
app.setNetwork(navigator.onLine);
window.addEventListener('online', () => app.setNetwork(true));
window.addEventListener('offline', () => app.setNetwork(false));
// A group address typed or pasted into this tab's address bar (a link opened in a new tab arrives at load).
window.addEventListener('hashchange', () => app.followAddress(window.location.hash));
// Back to the tab: the open group's newest message is now seen (a read marker, PROTOCOL.md §9).
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') app.pageShown();
});

mount(App, { target: document.getElementById('app') ?? document.body, props: { app } });
