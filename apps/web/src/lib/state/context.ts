// Typed access to the one AppState of the page for components below <App>.
import { getContext, setContext } from 'svelte';
import type { AppState } from './app-state.svelte.ts';

const KEY = Symbol('chorus-app');

export function setAppState(app: AppState): AppState {
  return setContext(KEY, app);
}

export function appState(): AppState {
  const app = getContext<AppState | undefined>(KEY);
  if (!app) throw new Error('appState() called outside <App>: the component tree has no AppState.');
  return app;
}
