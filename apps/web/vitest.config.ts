// Unit tests run the app's state classes as the page does: compiled by the
// Svelte plugin for the client and against Svelte's browser runtime, so
// effects run (test/*.svelte.test.ts watch what re-runs when state changes).
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [svelte({ dynamicCompileOptions: () => ({ generate: 'client' }) })],
  resolve: { conditions: ['browser'] },
  ssr: { resolve: { conditions: ['browser'], externalConditions: ['browser'] } },
});
